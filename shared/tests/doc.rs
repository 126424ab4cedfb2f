//! The case document: round trips, field-level edits, conflicts and bad input.

use automerge::ActorId;
use chrono::{Duration, TimeZone, Utc};
use mandoob_shared::doc::{Author, CaseDoc, DocError, FieldPath};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sample::realistic_case;

fn author(user: &str, minute: i64) -> Author {
    Author {
        user: UserId::new(user),
        at: Timestamp::new(
            Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
                .single()
                .expect("time")
                + Duration::minutes(minute),
        ),
    }
}

fn replicas(case: &CaseFile) -> (CaseDoc, CaseDoc) {
    let mut a = CaseDoc::create(case, &author("rep-1", 0)).expect("create");
    let bytes = a.save();
    let mut b = CaseDoc::load(&bytes).expect("load");
    a.set_actor(ActorId::from(vec![1; 16]));
    b.set_actor(ActorId::from(vec![2; 16]));
    (a, b)
}

fn phone_path(case: &CaseFile) -> FieldPath {
    FieldPath::default()
        .key("household")
        .key("members")
        .item(case.head().expect("head").id.as_str())
        .key("phone")
}

#[test]
fn create_save_load_round_trip() {
    let case = realistic_case(7);
    let mut doc = CaseDoc::create(&case, &author("rep-1", 0)).expect("create");
    let bytes = doc.save();
    let loaded = CaseDoc::load(&bytes).expect("load");
    assert_eq!(loaded.hydrate().expect("hydrate"), case);
}

#[test]
fn an_edit_writes_only_what_changed() {
    let case = realistic_case(1);
    let mut doc = CaseDoc::create(&case, &author("rep-1", 0)).expect("create");
    let before = doc.automerge().get_changes(&[]).len();
    let heads = doc.heads();
    let changed = doc
        .update(&author("rep-1", 1), |c| {
            c.household.address.block = "9".into()
        })
        .expect("update");
    assert!(changed);
    let new_changes = doc.automerge().get_changes(&heads);
    assert_eq!(new_changes.len(), 1);
    assert_eq!(doc.automerge().get_changes(&[]).len(), before + 1);
    // One field changed: one operation.
    assert_eq!(new_changes[0].len(), 1, "ops in the change");
    // Nothing changed: no change at all.
    let heads = doc.heads();
    let unchanged = doc
        .update(&author("rep-1", 2), |c| {
            c.household.address.block = "9".into()
        })
        .expect("update");
    assert!(!unchanged);
    assert_eq!(doc.heads(), heads);
}

#[test]
fn list_items_merge_by_identity() {
    let case = realistic_case(2);
    let (mut a, mut b) = replicas(&case);
    let son = case.household.members[2].id.clone();
    a.update(&author("rep-1", 1), |c| {
        c.household
            .members
            .push(Member::new("ضيف أ", Relation::Other));
    })
    .expect("a");
    b.update(&author("rep-2", 1), |c| {
        c.household.members.retain(|m| m.id != son);
        c.household
            .members
            .push(Member::new("ضيف ب", Relation::Other));
    })
    .expect("b");
    a.merge(&mut b).expect("merge");
    let merged = a.hydrate().expect("hydrate");
    let names: Vec<_> = merged
        .household
        .members
        .iter()
        .map(|m| m.name_ar.as_str())
        .collect();
    assert!(
        names.contains(&"ضيف أ") && names.contains(&"ضيف ب"),
        "{names:?}"
    );
    assert!(merged.member(&son).is_none());
    assert_eq!(merged.household.members.len(), 5);
}

#[test]
fn same_field_conflict_keeps_both_values_with_author_and_time() {
    let case = realistic_case(3);
    let (mut a, mut b) = replicas(&case);
    a.update(&author("rep-1", 5), |c| {
        c.household.members[0].phone = "99111111".into();
    })
    .expect("a");
    b.update(&author("hq-1", 7), |c| {
        c.household.members[0].phone = "66222222".into();
    })
    .expect("b");
    a.merge(&mut b).expect("merge");
    let path = phone_path(&case);
    let values = a.conflicts_at(&path).expect("conflicts");
    assert_eq!(values.len(), 2, "{values:?}");
    let mut seen: Vec<(String, String)> = values
        .iter()
        .map(|v| {
            (
                v.value.as_str().expect("text").to_owned(),
                v.author.as_ref().expect("author").to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("66222222".to_owned(), "hq-1".to_owned()),
            ("99111111".to_owned(), "rep-1".to_owned())
        ]
    );
    assert!(values.iter().all(|v| v.at.is_some()));
    assert_eq!(values.iter().filter(|v| v.shown).count(), 1);
    let all = a.conflicts().expect("conflicts");
    assert_eq!(all.len(), 1);
    assert!(a.has_conflicts().expect("walk"));
    assert_eq!(all[0].path, path);
    assert_eq!(
        FieldPath::parse(&path.to_string()).as_ref(),
        Some(&path),
        "paths print and parse back"
    );

    // An unrelated edit does not resolve the conflict.
    a.update(&author("rep-1", 9), |c| c.household.notes = "ملاحظة".into())
        .expect("unrelated edit");
    assert_eq!(a.conflicts_at(&path).expect("conflicts").len(), 2);

    // A person chooses: one value remains, on every replica after sync.
    a.resolve(&path, &serde_json::json!("66222222"), &author("rep-1", 10))
        .expect("resolve");
    assert!(a.conflicts().expect("conflicts").is_empty());
    assert!(!a.has_conflicts().expect("walk"));
    b.merge(&mut a).expect("merge back");
    assert!(b.conflicts().expect("conflicts").is_empty());
    assert_eq!(
        b.hydrate().expect("hydrate").household.members[0].phone,
        "66222222"
    );
}

#[test]
fn resolving_a_missing_field_is_an_error() {
    let case = realistic_case(4);
    let mut doc = CaseDoc::create(&case, &author("rep-1", 0)).expect("create");
    let path = FieldPath::default()
        .key("household")
        .key("members")
        .item("no-such-member")
        .key("phone");
    assert!(matches!(
        doc.resolve(&path, &serde_json::json!("1"), &author("rep-1", 1)),
        Err(DocError::NoSuchField(_))
    ));
}

#[test]
fn garbage_and_foreign_documents_are_refused() {
    assert!(matches!(CaseDoc::load(b""), Err(DocError::Empty)));
    assert!(matches!(
        CaseDoc::load(b"not automerge at all"),
        Err(DocError::Corrupt(_))
    ));
    let mut good = CaseDoc::create(&realistic_case(5), &author("rep-1", 0)).expect("create");
    let bytes = good.save();
    let truncated = &bytes[..bytes.len() / 2];
    assert!(CaseDoc::load(truncated).is_err());
    // A valid automerge document that is not a case file.
    let mut other = automerge::AutoCommit::new();
    use automerge::transaction::Transactable;
    other.put(automerge::ROOT, "hello", "world").expect("put");
    assert!(matches!(
        CaseDoc::load(&other.save()),
        Err(DocError::Shape(_))
    ));
}

#[test]
fn a_newer_schema_is_refused_not_misread() {
    let mut case = realistic_case(6);
    case.schema_version = SCHEMA_VERSION + 1;
    // Written by a newer app (this one's `create` refuses a schema it does not know).
    assert!(matches!(
        CaseDoc::create(&case, &author("rep-1", 0)),
        Err(DocError::Schema(_))
    ));
    let mut newer = automerge::AutoCommit::new();
    autosurgeon::reconcile(&mut newer, &case).expect("reconcile");
    assert!(matches!(
        CaseDoc::load(&newer.save()),
        Err(DocError::NewerSchema { .. })
    ));
}

#[test]
fn incremental_changes_apply_on_another_replica() {
    let case = realistic_case(8);
    let (mut a, mut b) = replicas(&case);
    let known = b.heads();
    a.update(&author("rep-1", 1), |c| {
        c.household.address.street = "12".into()
    })
    .expect("edit");
    let delta = a.save_after(&known);
    let mut c = b.clone();
    b.load_incremental(&delta).expect("apply");
    assert_eq!(b.hydrate().expect("b"), a.hydrate().expect("a"));

    // The network path: one encoded change per item, all or nothing.
    let mut changes = a.changes_since(&known);
    assert_eq!(changes.len(), 1);
    let before = c.heads();
    let mut damaged = changes.clone();
    damaged.push(b"\x85\x6f\x4a\x83garbage".to_vec());
    assert!(matches!(
        c.apply_changes(&damaged),
        Err(DocError::BadChange(_))
    ));
    assert_eq!(c.heads(), before, "nothing applied");
    let last = changes[0].len() - 1;
    changes[0][last] ^= 0xff;
    assert!(
        c.apply_changes(&changes).is_err(),
        "a flipped byte fails the checksum"
    );
    assert_eq!(c.heads(), before);
    c.apply_changes(&a.changes_since(&known))
        .expect("good changes");
    c.apply_changes(&a.changes_since(&known))
        .expect("applying twice is harmless");
    assert_eq!(c.hydrate().expect("c"), a.hydrate().expect("a"));
}

/// The one-pass read gives what autosurgeon gives, for many realistic case files.
#[test]
fn one_pass_read_matches_hydrate() {
    for seed in 0..200 {
        let case = mandoob_shared::sample::realistic_case(seed);
        let author = mandoob_shared::doc::Author {
            user: case.created_by.clone(),
            at: case.created_at,
        };
        let doc = CaseDoc::create(&case, &author).expect("create");
        let (fast, conflicts) = doc.read_materialized().expect("one-pass read");
        assert_eq!(fast, doc.hydrate().expect("hydrate"), "seed {seed}");
        assert_eq!(fast, case, "seed {seed}");
        assert!(!conflicts);
    }
}
