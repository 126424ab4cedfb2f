//! Writes the fuzz targets' seed corpus into `fuzz/corpus/` (run by hand:
//! `cargo run -p mandoob-tests --example write_fuzz_seeds`); the files are committed and
//! replayed by `tests/fuzz_corpus.rs`.

fn main() {
    use mandoob_shared::doc::{Author, CaseDoc};
    use mandoob_shared::ids::{CaseId, Timestamp, UserId};
    use mandoob_shared::sync::{self as wire, PushDoc, SyncRequest};
    let root = mandoob_tests::repo().join("fuzz/corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join(name), bytes).expect("write");
    };
    // Documents: realistic ones, one with a conflict, one that is not a case.
    let author = |user: &str| Author {
        user: UserId::new(user),
        at: Timestamp::now(),
    };
    let mut changes = Vec::new();
    for seed in 0..3 {
        let case = mandoob_shared::sample::realistic_case(seed);
        let mut doc = CaseDoc::create(&case, &author("rep-1")).expect("create");
        write("load_document", &format!("case-{seed}"), &doc.save());
        if seed == 0 {
            let mut other = doc.clone();
            other.set_actor(automerge::ActorId::from(vec![7; 16]));
            doc.update(&author("rep-1"), |c| c.household.notes = "a".into())
                .expect("edit");
            other
                .update(&author("committee"), |c| c.household.notes = "b".into())
                .expect("edit");
            doc.merge(&mut other).expect("merge");
            write("load_document", "conflict", &doc.save());
            changes = doc.changes_since(&[]);
        }
    }
    let mut plain = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut plain, automerge::ROOT, "hello", "world")
        .expect("put");
    write("load_document", "not-a-case", &plain.save());
    // Sync requests.
    for (name, push) in [
        ("empty", Vec::new()),
        (
            "push",
            vec![PushDoc {
                case: CaseId::generate(),
                changes: changes.iter().cloned().map(wire::Bytes).collect(),
            }],
        ),
    ] {
        let req = SyncRequest {
            protocol: wire::PROTOCOL_VERSION,
            cursor: 7,
            whole_after: None,
            push,
            page: 100,
            budget: Some(wire::DEFAULT_BUDGET),
        };
        write("sync_request", name, &wire::encode(&req));
    }
    for (i, seed) in mandoob_sync_server::fuzzing::push_seeds()
        .iter()
        .enumerate()
    {
        write("push_change", &format!("seed-{i}"), seed);
    }
    // Photos: small images of each accepted format, and a damaged JPEG.
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    for (name, format) in [
        ("small.jpg", image::ImageFormat::Jpeg),
        ("small.png", image::ImageFormat::Png),
        ("small.webp", image::ImageFormat::WebP),
    ] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        img.write_to(&mut bytes, format).expect("encode");
        write("photo", name, bytes.get_ref());
    }
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .expect("encode");
    write(
        "photo",
        "truncated.jpg",
        &jpeg.get_ref()[..jpeg.get_ref().len() / 2],
    );
    // Console forms.
    for (i, form) in [
        "request=0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b&outcome=accepted&reason=%D9%85%D8%B3%D8%AA%D8%AD%D9%82&_csrf=x",
        "path=household.members%5B0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b%5D.phone&value=%2299887766%22",
        "referral=x&answer=%D9%86%D8%B9%D9%85",
        "username=rep-a&password=secret",
        "username=new.user&display_name=New&role=representative&branch=QRN&password=long-enough-password",
        "code=QRN&name=%D8%A7%D9%84%D9%82%D8%B1%D9%8A%D9%86",
        "days=14&count=working",
        "title_ar=a&title_en=b&body_ar=c&body_en=d",
        "active=true",
    ]
    .iter()
    .enumerate()
    {
        write("console_forms", &format!("form-{i}"), form.as_bytes());
    }
}
