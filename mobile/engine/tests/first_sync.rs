//! A first sync indexes each received document from the server's summary only when that
//! summary was computed, by these rules, from exactly that document; otherwise the device reads
//! the document itself.

mod common;
use common::engine;

use mandoob_engine::engine::*;
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::*;
use mandoob_shared::sample;
use mandoob_shared::summary::{SUMMARY_VERSION, Summary};
use mandoob_shared::sync::{Bytes, PROTOCOL_VERSION, Pulled, SyncResponse};

/// A stored case as the server would send it, with its true summary.
fn whole(seed: u64) -> (CaseId, Vec<u8>, Summary, String) {
    let case = sample::realistic_case(seed);
    let author = Author {
        user: case.created_by.clone(),
        at: Timestamp::now(),
    };
    let mut doc = CaseDoc::create(&case, &author).expect("doc");
    let heads = doc.heads().iter().map(|h| h.0).collect();
    let summary = Summary::of(&case, false, heads);
    (
        case.id.clone(),
        doc.save(),
        summary,
        case.reference.as_str().to_owned(),
    )
}

fn reference_listed(e: &Engine, id: &CaseId) -> String {
    e.list(&ListQuery {
        limit: 100,
        ..ListQuery::default()
    })
    .expect("list")
    .into_iter()
    .find(|c| c.id == *id)
    .expect("listed")
    .reference
}

#[test]
fn summaries_are_used_only_when_they_describe_the_received_document() {
    let mut e = engine();
    let (a, a_doc, mut a_sum, _) = whole(1);
    let (b, b_doc, mut b_sum, b_ref) = whole(2);
    let (c, c_doc, _, c_ref) = whole(3);
    let (d, d_doc, mut d_sum, d_ref) = whole(4);
    // The summary is what the index shows when it describes the document (marked here so
    // the test can tell where the row came from).
    a_sum.reference = "FROM-SUMMARY".into();
    // Computed at other heads (a stale summary): ignored.
    b_sum.reference = "STALE".into();
    b_sum.heads = vec![[0; 32]];
    // By rules this device does not know: ignored.
    d_sum.reference = "NEWER-RULES".into();
    d_sum.version = SUMMARY_VERSION + 1;
    let whole = |case: &CaseId, doc: Vec<u8>, summary: Option<Summary>| Pulled::Whole {
        case: case.clone(),
        doc: Bytes(doc),
        summary: summary.map(Box::new),
    };
    e.apply_sync(SyncResponse {
        protocol: PROTOCOL_VERSION,
        pushed: Vec::new(),
        pulled: vec![
            whole(&a, a_doc, Some(a_sum.clone())),
            whole(&b, b_doc, Some(b_sum)),
            whole(&c, c_doc, None),
            whole(&d, d_doc, Some(d_sum)),
        ],
        cursor: 9,
        whole_after: None,
        more: false,
        library_version: String::new(),
        sla: mandoob_shared::workflow::SlaPolicy::default(),
        remaining: None,
    })
    .expect("applied");
    assert_eq!(reference_listed(&e, &a), "FROM-SUMMARY");
    assert_eq!(reference_listed(&e, &b), b_ref);
    assert_eq!(reference_listed(&e, &c), c_ref);
    assert_eq!(reference_listed(&e, &d), d_ref);
    // Search runs on the summary's civil IDs and name tokens.
    let civil = &a_sum.civil_ids[0];
    let found = e
        .list(&ListQuery {
            text: civil.clone(),
            limit: 10,
            ..ListQuery::default()
        })
        .expect("search");
    assert_eq!(found.iter().map(|c| &c.id).collect::<Vec<_>>(), vec![&a]);
    // Opening the case reads the document itself, whatever the summary said.
    let open = e.open_case(&a).expect("open");
    assert_ne!(open.case.reference.as_str(), "FROM-SUMMARY");
}

#[test]
fn the_summary_of_a_case_gives_the_index_row_of_reading_it() {
    let sla = mandoob_shared::workflow::SlaPolicy::default();
    for seed in 0..100 {
        let case = sample::realistic_case(seed);
        let read = index_row(&case, seed % 3 == 0, &sla, false);
        let shipped: Summary = mandoob_shared::sync::decode(&mandoob_shared::sync::encode(
            &Summary::of(&case, seed % 3 == 0, vec![[1; 32]]),
        ))
        .expect("round trip");
        assert_eq!(
            summary_row(case.id.as_str(), shipped, &sla, false),
            read,
            "seed {seed}"
        );
    }
}
