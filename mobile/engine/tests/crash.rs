//! A writer process is killed (SIGKILL) at random moments while it writes 1,000 edits; after
//! every kill the database passes `PRAGMA integrity_check` and every edit whose call had
//! returned (acknowledged on the writer's stdout) is present.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mandoob_engine::engine::{Engine, ListQuery};

const EDITS: u64 = 1000;
const KILLS: usize = 20;

fn present(db: &std::path::Path) -> BTreeSet<u64> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    drop(conn);
    let mut engine = Engine::open(db).expect("engine opens after a kill");
    let cases = engine
        .list(&ListQuery {
            limit: 100,
            ..ListQuery::default()
        })
        .expect("list");
    let mut found = BTreeSet::new();
    for c in cases {
        let case = engine.open_case(&c.id).expect("case loads").case;
        for contact in case.contacts {
            if let Some(n) = contact.summary.strip_prefix("edit ") {
                found.insert(n.parse::<u64>().expect("number"));
            }
        }
    }
    found
}

#[test]
fn killed_writer_loses_no_acknowledged_edit() {
    let dir = std::env::temp_dir().join(format!("mandoob-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("device.sqlite");
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    let mut next = 1u64;
    let mut kills = 0;
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let started = Instant::now();
    while kills < KILLS || next <= EDITS {
        if next > EDITS {
            break;
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_mandoob-engine-writer"))
            .arg(&db)
            .arg(next.to_string())
            .arg(EDITS.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("ack ") {
                    let _ = tx.send(n.parse::<u64>().expect("ack number"));
                }
            }
        });
        // Kill after a random number of acknowledged edits plus a random delay, so kills land
        // both between and inside transactions.
        let target = rng.u64(5..=60);
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        let killing = kills < KILLS;
        if killing {
            while seen < target && Instant::now() < deadline {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(n) => {
                        acked.insert(n);
                        seen += 1;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if child.try_wait().expect("wait").is_some() {
                            break;
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            std::thread::sleep(Duration::from_micros(rng.u64(0..3000)));
            let _ = child.kill(); // SIGKILL
            kills += 1;
        }
        let status = child.wait().expect("wait");
        reader.join().expect("reader");
        acked.extend(rx.try_iter());
        if !killing {
            assert!(
                status.success(),
                "the last writer runs to completion: {status}"
            );
        }
        let found = present(&db);
        let lost: Vec<_> = acked.difference(&found).collect();
        assert!(
            lost.is_empty(),
            "after kill {kills}: acknowledged edits lost: {lost:?}"
        );
        next = found.iter().max().map_or(1, |m| m + 1).max(next);
        next = next.max(acked.iter().max().map_or(1, |m| m + 1));
    }
    let found = present(&db);
    assert_eq!(kills, KILLS);
    assert!(
        acked.len() as u64 > 100,
        "the writer made progress: {}",
        acked.len()
    );
    assert!(acked.is_subset(&found));
    eprintln!(
        "{kills} kills, {} acknowledged, {} present, {:.1}s",
        acked.len(),
        found.len(),
        started.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).ok();
}
