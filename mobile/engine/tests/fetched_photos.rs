//! Photos taken on another device: which thumbnails the engine asks for, what it keeps of what
//! the sync client fetched, and how it tries again after a failure.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use mandoob_engine::engine::*;
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A case whose two documents name the photos `photo-0`/`thumb-0` and `photo-1`/`thumb-1`
/// (their bytes are these words), as it would arrive from another device.
fn case_from_elsewhere(e: &mut Engine) -> (CaseId, Vec<String>) {
    let mut case = mandoob_shared::sample::realistic_case(3);
    let template = case.documents[0].clone();
    case.documents = (0..2)
        .map(|i| DocumentMeta {
            id: DocumentId::generate(),
            sha256: sha(format!("photo-{i}").as_bytes()),
            thumbnail_sha256: sha(format!("thumb-{i}").as_bytes()),
            ..template.clone()
        })
        .collect();
    for r in &mut case.requests {
        r.documents.clear();
    }
    let author = Author {
        user: UserId::new("rep-other"),
        at: Timestamp::now(),
    };
    let mut doc = CaseDoc::create(&case, &author).expect("create");
    let id = e.import_case(&mut doc, false).expect("import");
    let mut thumbs: Vec<String> = case
        .documents
        .iter()
        .map(|d| d.thumbnail_sha256.clone())
        .collect();
    thumbs.sort();
    (id, thumbs)
}

static NOW: AtomicI64 = AtomicI64::new(1_750_000_000_000);

fn test_clock() -> Timestamp {
    Timestamp::from_millis(NOW.load(Ordering::SeqCst)).expect("a time")
}

#[test]
fn thumbnails_from_elsewhere_are_wanted_until_fetched_and_only_right_bytes_are_kept() {
    let mut e = common::engine();
    let (_, thumbs) = case_from_elsewhere(&mut e);
    let mut wanted = e.wanted_thumbnails(100).expect("wanted");
    wanted.sort();
    assert_eq!(wanted, thumbs);
    assert_eq!(e.wanted_thumbnails(1).expect("wanted").len(), 1, "bounded");

    // Bytes that are not the thumbnail asked for (damaged on the way) are not kept.
    let target = sha(b"thumb-0");
    let err = e
        .save_fetched_blob(&target, b"thumb-0 but damaged")
        .expect_err("refused");
    assert!(matches!(err, EngineError::Photo(_)), "{err:?}");
    assert_eq!(e.blob(&target).expect("blob"), None);
    assert!(e.wanted_thumbnails(100).expect("wanted").contains(&target));
    // Nor under a name that is not a SHA-256.
    assert!(e.save_fetched_blob("../etc", b"x").is_err());

    // The right bytes are kept, as already on the server: never uploaded, no longer wanted.
    e.save_fetched_blob(&target, b"thumb-0").expect("kept");
    assert_eq!(
        e.blob(&target).expect("blob").as_deref(),
        Some(&b"thumb-0"[..])
    );
    assert_eq!(e.pending_blobs().expect("pending"), Vec::<String>::new());
    assert_eq!(e.stats().expect("stats").blobs_not_uploaded, 0);
    assert_eq!(
        e.wanted_thumbnails(100).expect("wanted"),
        vec![sha(b"thumb-1")]
    );
    // A full photo fetched on demand is kept the same way (and is not a thumbnail to fetch).
    e.save_fetched_blob(&sha(b"photo-0"), b"photo-0")
        .expect("kept");
    assert_eq!(
        e.blob(&sha(b"photo-0")).expect("blob").as_deref(),
        Some(&b"photo-0"[..])
    );
    assert_eq!(e.pending_blobs().expect("pending"), Vec::<String>::new());
}

#[test]
fn a_failed_fetch_is_tried_at_the_next_sync_then_after_growing_waits() {
    let mut e = common::engine();
    e.set_clock(test_clock);
    let (_, thumbs) = case_from_elsewhere(&mut e);
    let (first, second) = (&thumbs[0], &thumbs[1]);
    e.blob_fetch_failed(first).expect("recorded");
    // Tried again at the next sync, after those never tried.
    assert_eq!(
        e.wanted_thumbnails(100).expect("wanted"),
        vec![second.clone(), first.clone()]
    );
    e.blob_fetch_failed(first).expect("recorded");
    assert_eq!(
        e.wanted_thumbnails(100).expect("wanted"),
        vec![second.clone()]
    );
    NOW.fetch_add(60_000, Ordering::SeqCst);
    assert!(e.wanted_thumbnails(100).expect("wanted").contains(first));
    e.blob_fetch_failed(first).expect("recorded");
    NOW.fetch_add(60_000, Ordering::SeqCst);
    assert!(!e.wanted_thumbnails(100).expect("wanted").contains(first));
    NOW.fetch_add(60_000, Ordering::SeqCst);
    assert!(e.wanted_thumbnails(100).expect("wanted").contains(first));
    // Many failures wait at most a day.
    for _ in 0..40 {
        e.blob_fetch_failed(first).expect("recorded");
    }
    NOW.fetch_add(24 * 60 * 60 * 1000, Ordering::SeqCst);
    assert!(e.wanted_thumbnails(100).expect("wanted").contains(first));
    // Fetched at last: the failures are forgotten.
    e.save_fetched_blob(
        first,
        if first == &sha(b"thumb-0") {
            b"thumb-0"
        } else {
            b"thumb-1"
        },
    )
    .expect("kept");
    assert_eq!(
        e.wanted_thumbnails(100).expect("wanted"),
        vec![second.clone()]
    );
}

#[test]
fn cases_stored_before_thumbnails_were_kept_are_read_once() {
    let dir = std::env::temp_dir().join(format!("mandoob-engine-{}-fetched", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path: PathBuf = dir.join("device.sqlite");
    let thumbs = {
        let mut e = Engine::open(&path).expect("open");
        e.set_session(common::session(
            mandoob_shared::workflow::Role::Representative,
        ))
        .expect("session");
        case_from_elsewhere(&mut e).1
    };
    // The database as the version before thumbnails were kept left it (migrations 4 and 5
    // undone).
    {
        let c = rusqlite::Connection::open(&path).expect("sqlite");
        c.execute_batch(
            "DROP TABLE case_thumbnails; DROP TABLE blob_fetches; DROP TABLE name_suffixes;
             PRAGMA user_version = 3;",
        )
        .expect("downgrade");
    }
    let mut e = Engine::open(&path).expect("open");
    let mut wanted = e.wanted_thumbnails(100).expect("wanted");
    wanted.sort();
    assert_eq!(wanted, thumbs);
    drop(e);
    let _ = std::fs::remove_dir_all(&dir);
}
