//! The layout ARCHITECTURE.md describes, checked so that it stays true:
//! - no source file outside tests is over 700 lines (a file that size holds several concerns);
//! - the server's adapters (the device API and the console) never import each other, and
//!   nothing under them (services, storage, pure checks) imports an adapter;
//! - the device engine's SQL lives in its store modules.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

/// Every `.rs` file below `dir`, skipping build output.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable directory") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !matches!(name, "target" | "node_modules" | ".git")
                    && !name.starts_with("target")
                {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_test_source(path: &Path) -> bool {
    path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("tests" | "benches" | "examples" | "fuzz")
        )
    })
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("readable source")
}

#[test]
fn no_source_file_is_over_700_lines() {
    let root = root();
    let mut long = Vec::new();
    let mut read_files = 0;
    for dir in ["shared", "sync-server", "mobile"] {
        for file in sources(&root.join(dir)) {
            if is_test_source(file.strip_prefix(&root).expect("below the root")) {
                continue;
            }
            read_files += 1;
            let lines = read(&file).lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(read_files > 60, "only {read_files} sources found");
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:#?}");
}

#[test]
fn the_server_adapters_do_not_import_each_other() {
    let src = root().join("sync-server/src");
    let mut found = Vec::new();
    let rules: [(&str, &[&str]); 5] = [
        ("console", &["crate::api"]),
        ("api", &["crate::console"]),
        ("service", &["crate::api", "crate::console"]),
        (
            "storage",
            &["crate::api", "crate::console", "crate::service"],
        ),
        (
            "push.rs",
            &["crate::api", "crate::console", "crate::service"],
        ),
    ];
    for (place, forbidden) in rules {
        let path = src.join(place);
        let files = if path.is_dir() {
            sources(&path)
        } else {
            vec![path]
        };
        assert!(!files.is_empty(), "{place} has no sources");
        for file in files {
            for (n, line) in read(&file).lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                for f in forbidden {
                    if code.contains(f) {
                        found.push(format!("{}:{}: {}", file.display(), n + 1, code));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "adapters imported across layers: {found:#?}"
    );
}

#[test]
fn the_engines_sql_lives_in_its_store() {
    let src = root().join("mobile/engine/src");
    let store = src.join("store");
    assert!(
        sources(&store).len() >= 2,
        "the engine's store is a folder of modules"
    );
    let mut found = Vec::new();
    for file in sources(&src) {
        if file.starts_with(&store) {
            continue;
        }
        for (n, line) in read(&file).lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let sql = [
                ".execute(",
                ".execute_batch(",
                ".prepare(",
                ".prepare_cached(",
                ".query_row(",
            ]
            .iter()
            .any(|call| code.contains(call))
                || ["SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"]
                    .iter()
                    .any(|kw| code.contains(&format!("\"{kw}")));
            if sql {
                found.push(format!("{}:{}: {}", file.display(), n + 1, code));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside the engine's store: {found:#?}"
    );
}
