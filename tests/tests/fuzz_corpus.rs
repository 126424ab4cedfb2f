//! Every committed fuzz input (the seed corpus, and each crash a fuzzer ever found, kept in
//! `fuzz/regressions/`) replayed through the same bodies the fuzz targets run. See README
//! ("Fuzzing") for running the targets themselves.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = mandoob_tests::repo().join("fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() {
                let bytes = std::fs::read(&path).expect("read");
                out.push((path, bytes));
            }
        }
    }
    out
}

fn replay(target: &str, body: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no committed inputs for {target}");
    for (path, bytes) in inputs {
        let result = std::panic::catch_unwind(|| body(&bytes));
        assert!(result.is_ok(), "{target} fails on {}", path.display());
    }
}

#[test]
fn sync_request() {
    replay("sync_request", mandoob_sync_server::fuzzing::sync_request);
}

#[test]
fn push_change() {
    replay("push_change", mandoob_sync_server::fuzzing::push_change);
}

#[test]
fn load_document() {
    replay("load_document", mandoob_shared::fuzzing::load_document);
}

#[test]
fn photo() {
    replay("photo", mandoob_engine::fuzzing::photo);
}

#[test]
fn console_forms() {
    replay("console_forms", mandoob_sync_server::fuzzing::console_forms);
}
