//! Device figures, one per line: `cargo bench -p mandoob-engine --bench device`.
//!
//! - capture of `jolla.jpg` (8 MP phone photo): milliseconds on one thread, output bytes;
//! - with 10,000 realistic cases in the store: Arabic name-prefix search p50/p95, first page of
//!   50 cases, one edit committed durably (synchronous=FULL), cold open, bytes per case.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mandoob_engine::capture::{CaptureSettings, capture};
use mandoob_engine::engine::{Edit, Engine, ListQuery, Session};
use mandoob_shared::ids::*;
use mandoob_shared::workflow::Role;

/// 10,000 cases under `cargo bench`; a quick smoke run (100) under `cargo test --all-targets`,
/// which runs benchmark binaries without `--bench`.
fn cases() -> u64 {
    if std::env::args().any(|a| a == "--bench") {
        10_000
    } else {
        100
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/photos");
    let jolla = std::fs::read(fixtures.join("jolla.jpg")).expect("jolla.jpg");
    let settings = CaptureSettings::default();
    let _ = capture(&jolla, &settings).expect("warm-up");
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..if cases() > 100 { 10 } else { 1 } {
        let t = Instant::now();
        let out = capture(&jolla, &settings).expect("capture");
        times.push(t.elapsed());
        bytes = out.jpeg.len();
    }
    times.sort();
    println!("capture_jolla_ms_p50 {:.1}", percentile(&times, 0.5));
    println!("capture_jolla_ms_max {:.1}", percentile(&times, 1.0));
    println!("capture_jolla_output_bytes {bytes}");

    let cases = cases();
    let dir = std::env::temp_dir().join(format!("mandoob-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("device.sqlite");
    {
        let mut engine = Engine::open(&db).expect("open");
        engine
            .set_session(Session {
                user: UserId::new("rep-1"),
                role: Role::Representative,
                branch: BranchCode::new("QRN"),
                device: DeviceCode::new("A7"),
            })
            .expect("session");
        let t = Instant::now();
        engine.seed_samples(cases, 1).expect("seed");
        eprintln!("seeded {cases} cases in {:.1}s", t.elapsed().as_secs_f64());
    }
    // Checkpoint the WAL so the size is the database's own.
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .expect("checkpoint");
    }
    let size = std::fs::metadata(&db).expect("size").len();
    println!("cases {cases}");
    println!("db_bytes_per_case {}", size / cases);

    let t = Instant::now();
    let mut engine = Engine::open(&db).expect("cold open");
    let first = engine
        .list(&ListQuery {
            limit: 50,
            ..ListQuery::default()
        })
        .expect("list");
    println!(
        "cold_open_and_first_page_ms {:.1}",
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(first.len(), 50);

    let mut page = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let rows = engine
            .list(&ListQuery {
                limit: 50,
                ..ListQuery::default()
            })
            .expect("list");
        page.push(t.elapsed());
        assert_eq!(rows.len(), 50);
    }
    page.sort();
    println!("first_page_50_ms_p50 {:.2}", percentile(&page, 0.5));
    println!("first_page_50_ms_p95 {:.2}", percentile(&page, 0.95));

    // Prefixes people type: first names and family names, partial, in Arabic and Latin.
    let prefixes = [
        "مح",
        "محمد",
        "عبدال",
        "خالد",
        "فه",
        "سعو",
        "ناص",
        "يوس",
        "فاطم",
        "مري",
        "نور",
        "العن",
        "المطير",
        "العج",
        "الرش",
        "الظف",
        "الشم",
        "الهاج",
        "الدوس",
        "العتي",
        "الكند",
        "moh",
        "abdul",
        "khal",
        "al-mut",
        "fatim",
    ];
    let mut search = Vec::new();
    let mut hits = 0;
    for round in 0..4 {
        for p in prefixes {
            let t = Instant::now();
            let rows = engine
                .list(&ListQuery {
                    text: p.into(),
                    limit: 50,
                    ..ListQuery::default()
                })
                .expect("search");
            if round > 0 {
                search.push(t.elapsed());
            }
            hits += rows.len();
        }
    }
    search.sort();
    println!("name_prefix_search_ms_p50 {:.2}", percentile(&search, 0.5));
    println!("name_prefix_search_ms_p95 {:.2}", percentile(&search, 0.95));
    eprintln!("(search returned {hits} rows in all)");

    let ids: Vec<CaseId> = engine
        .list(&ListQuery {
            limit: 200,
            ..ListQuery::default()
        })
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut edits = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        // The first edit of a case loads its document; a representative's next edits hit it
        // in memory. Measure both: every edit here is committed with fsync.
        let t = Instant::now();
        engine
            .edit(id, Edit::SetHouseholdNotes(format!("زيارة {i}")))
            .expect("edit");
        edits.push(t.elapsed());
    }
    edits.sort();
    println!(
        "edit_durable_cold_doc_ms_p50 {:.2}",
        percentile(&edits, 0.5)
    );
    println!(
        "edit_durable_cold_doc_ms_p95 {:.2}",
        percentile(&edits, 0.95)
    );
    let mut warm = Vec::new();
    for i in 0..100 {
        let t = Instant::now();
        engine
            .edit(&ids[0], Edit::SetHouseholdNotes(format!("ملاحظة {i}")))
            .expect("edit");
        warm.push(t.elapsed());
    }
    warm.sort();
    println!("edit_durable_ms_p50 {:.2}", percentile(&warm, 0.5));
    println!("edit_durable_ms_p95 {:.2}", percentile(&warm, 0.95));
    std::fs::remove_dir_all(&dir).ok();
}
