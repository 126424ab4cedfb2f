//! Device figures, one per line: `cargo bench -p mandoob-engine --bench device`.
//!
//! - capture of `jolla.jpg` (8 MP phone photo): milliseconds on one thread, output bytes;
//! - with 10,000 realistic cases in the store: name search p50/p95 by word starts and by parts
//!   of words (infix), Arabic and Latin, of names in many cases and of one in two; first page
//!   of 50 cases, one edit committed durably (synchronous=FULL), cold open, database bytes and
//!   those of the name search's tables.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mandoob_engine::capture::{CaptureSettings, capture};
use mandoob_engine::engine::{Edit, Engine, ListQuery, NewHousehold, Session};
use mandoob_shared::ids::*;
use mandoob_shared::model::{Address, Member, Relation};
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

/// Searches for each of `texts` (50 rows), four rounds of which the first warms up: p50 and p95
/// in milliseconds.
fn search(engine: &Engine, texts: &[&str]) -> (f64, f64) {
    let mut times = Vec::new();
    let mut hits = 0;
    for round in 0..4 {
        for text in texts {
            let t = Instant::now();
            let rows = engine
                .list(&ListQuery {
                    text: (*text).into(),
                    limit: 50,
                    ..ListQuery::default()
                })
                .expect("search");
            if round > 0 {
                times.push(t.elapsed());
            }
            hits += rows.len();
        }
    }
    times.sort();
    eprintln!("(search returned {hits} rows in all)");
    (percentile(&times, 0.5), percentile(&times, 0.95))
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
        // The name search's tables (with their indexes): word starts, and parts of words.
        for table in ["name_tokens", "name_suffixes"] {
            let bytes: i64 = conn
                .query_row(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1 OR name IN
                        (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1)",
                    [table],
                    |r| r.get(0),
                )
                .expect("dbstat");
            println!("{table}_bytes {bytes}");
        }
    }
    let size = std::fs::metadata(&db).expect("size").len();
    println!("cases {cases}");
    println!("db_bytes {size}");
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
    let (p50, p95) = search(&engine, &prefixes);
    println!("name_prefix_search_ms_p50 {p50:.2}");
    println!("name_prefix_search_ms_p95 {p95:.2}");
    // Parts of names from inside words (family names without the article, ends of first
    // names), and the article alone, which is inside nearly every name.
    let infixes = [
        "عنزي",
        "نزي",
        "طيري",
        "جمي",
        "شيد",
        "ظفير",
        "مري",
        "اجري",
        "وسري",
        "تيبي",
        "ندري",
        "حمد",
        "بدالر",
        "ال",
        "اطمه",
        "enezi",
        "nezi",
        "utair",
        "ajmi",
        "ashid",
        "ammar",
        "dullah",
        "atim",
        "sser",
        "al",
    ];
    let (p50, p95) = search(&engine, &infixes);
    println!("name_infix_search_ms_p50 {p50:.2}");
    println!("name_infix_search_ms_p95 {p95:.2}");
    // Every name of the sample is in a tenth of the cases or more; a family on file twice is
    // found by lookup, not by reading the cases newest first.
    for (ar, en) in [
        ("مشعل بدر الفضلي", "Meshal Bader Al-Fadhli"),
        ("بدرية مشعل الفضلي", "Badriya Meshal Al-Fadhli"),
    ] {
        let mut head = Member::new(ar, Relation::Head);
        head.name_en = en.into();
        engine
            .create_case(NewHousehold {
                head,
                address: Address::default(),
                not_a_duplicate: true,
            })
            .expect("household");
    }
    let rare = [
        "فضل",
        "ضلي",
        "fadhl",
        "dhli",
        "شعل",
        "eshal",
        "بدري",
        "فضلي مشعل",
    ];
    let (p50, p95) = search(&engine, &rare);
    println!("name_rare_infix_search_ms_p50 {p50:.2}");
    println!("name_rare_infix_search_ms_p95 {p95:.2}");

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
