//! Create, save and load a realistic case file (4 members, 2 visits, 5 documents, one request,
//! income and expenses, contacts, a survey: see `mandoob_shared::sample`).
//!
//! `cargo bench -p mandoob-shared --bench casefile` prints the saved size first, then
//! criterion's timings.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::UserId;
use mandoob_shared::sample::realistic_case;

fn leaves(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => m.values().map(leaves).sum(),
        serde_json::Value::Array(a) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}

fn bench(c: &mut Criterion) {
    let case = realistic_case(42);
    let author = Author {
        user: UserId::new("rep-1"),
        at: case.created_at,
    };
    let mut doc = CaseDoc::create(&case, &author).expect("create");
    let saved = doc.save();
    let json = serde_json::to_vec(&case).expect("json");
    let sizes: Vec<usize> = (0..100)
        .map(|seed| {
            let case = realistic_case(seed);
            CaseDoc::create(&case, &author)
                .expect("create")
                .save()
                .len()
        })
        .collect();
    println!(
        "case file: {} fields, saved {} bytes (JSON {} bytes); mean over 100 cases {} bytes",
        leaves(&serde_json::to_value(&case).expect("json")),
        saved.len(),
        json.len(),
        sizes.iter().sum::<usize>() / sizes.len()
    );

    c.bench_function("create", |b| {
        b.iter(|| CaseDoc::create(black_box(&case), &author).expect("create"))
    });
    c.bench_function("save", |b| b.iter(|| black_box(&mut doc).save()));
    c.bench_function("load", |b| {
        b.iter(|| CaseDoc::load(black_box(&saved)).expect("load"))
    });
    c.bench_function("load+hydrate", |b| {
        b.iter(|| {
            CaseDoc::load(black_box(&saved))
                .expect("load")
                .hydrate()
                .expect("hydrate")
        })
    });
    let loaded = CaseDoc::load(&saved).expect("load");
    c.bench_function("hydrate (autosurgeon)", |b| {
        b.iter(|| black_box(&loaded).hydrate().expect("hydrate"))
    });
    c.bench_function("read with conflicts (one pass)", |b| {
        b.iter(|| black_box(&loaded).read_with_conflicts().expect("read"))
    });
    c.bench_function("has_conflicts", |b| {
        b.iter(|| black_box(&loaded).has_conflicts().expect("walk"))
    });
    c.bench_function("edit one field", |b| {
        let mut doc = CaseDoc::create(&case, &author).expect("create");
        let mut n = 0u32;
        b.iter(|| {
            n += 1;
            doc.update(&author, |c| c.household.address.block = n.to_string())
                .expect("edit")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
