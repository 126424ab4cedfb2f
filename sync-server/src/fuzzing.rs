//! Bodies of the server's fuzz targets (see `fuzz/`); the corpus replay test runs the same
//! functions on every committed input, so a crash found once stays fixed. Each panics when an
//! invariant breaks.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::{BranchCode, Timestamp, UserId};
use mandoob_shared::sync::{self as wire, PushDoc, SyncRequest};
use mandoob_shared::workflow::Role;

use crate::push::{self, Pusher};
use crate::storage::{BlobAccess, UserRecord};

/// A sync request body as the server decodes it: never a panic, and the limits hold.
pub fn sync_request(data: &[u8]) {
    let Ok(req) = wire::decode::<SyncRequest>(data) else {
        return;
    };
    let _ = wire::check_version(req.protocol);
    if push::check_push_limits(&req.push).is_ok() {
        let n: usize = req.push.iter().map(|p| p.changes.len()).sum();
        assert!(n <= wire::MAX_PUSH_CHANGES);
    }
    for p in &req.push {
        for c in &p.changes {
            let _ = push::hash_of(&c.0);
        }
    }
}

/// The server's clock in the push target (fixed, so inputs replay the same way).
const NOW: i64 = 1_790_000_000_000;

/// The stored case every push input starts from: a realistic case of rep-a's.
fn base() -> &'static (Vec<u8>, mandoob_shared::ids::CaseId) {
    static BASE: OnceLock<(Vec<u8>, mandoob_shared::ids::CaseId)> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut case = mandoob_shared::sample::realistic_case(11);
        mandoob_shared::sample::attribute_to(&mut case, &UserId::new("rep-a"));
        let author = Author {
            user: UserId::new("rep-a"),
            at: Timestamp::from_millis(NOW - 60_000).expect("time"),
        };
        let mut doc = CaseDoc::create(&case, &author).expect("the sample fits");
        (doc.save(), case.id)
    })
}

/// The stored case's actors, bound to rep-a.
fn base_actors() -> &'static HashMap<String, UserId> {
    static ACTORS: OnceLock<HashMap<String, UserId>> = OnceLock::new();
    ACTORS.get_or_init(|| {
        let (stored, _) = base();
        let mut doc = AutoCommit::load(stored).expect("base loads");
        doc.get_changes(&[])
            .into_iter()
            .map(|c| (c.actor_id().to_hex_string(), UserId::new("rep-a")))
            .collect()
    })
}

fn user(byte: u8) -> UserRecord {
    let (id, role) = match byte % 4 {
        0 => ("rep-a", Role::Representative),
        1 => ("researcher", Role::SocialResearcher),
        2 => ("committee", Role::Committee),
        _ => ("admin", Role::Administrator),
    };
    UserRecord {
        id: UserId::new(id),
        display_name: id.into(),
        role,
        branch: BranchCode::new("QRN"),
        password_hash: String::new(),
        active: true,
        locked: false,
        must_change_password: false,
        enrol_needs_approval: false,
    }
}

const KEYS: &[&str] = &[
    "household",
    "members",
    "notes",
    "schema_version",
    "id",
    "events",
    "requests",
    "amount",
    "documents",
    "sha256",
    "referrals",
    "answer",
    "answered_by",
    "kind",
    "role",
    "actor",
    "reason",
    "at",
    "branch",
    "civil_id",
    "x",
];

fn scalar(b: u8, n: u8) -> ScalarValue {
    match b % 11 {
        0 => ScalarValue::Str("rep-a".into()),
        1 => ScalarValue::Str("x".repeat(usize::from(n) * 200).into()),
        2 => ScalarValue::Int(i64::from(n) - 128),
        3 => ScalarValue::Uint(u64::from(n)),
        4 => ScalarValue::F64(f64::from(n) / 3.0),
        5 => ScalarValue::Boolean(n.is_multiple_of(2)),
        6 => ScalarValue::Null,
        7 => ScalarValue::Timestamp(NOW - i64::from(n) * 1_000_000),
        8 => ScalarValue::counter(i64::from(n)),
        9 => ScalarValue::Str("Accepted".into()),
        _ => ScalarValue::Str("0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b".into()),
    }
}

/// Every map and list of the document, to pick edit targets from.
fn objects(doc: &AutoCommit) -> Vec<(ObjId, ObjType)> {
    let mut out = vec![(automerge::ROOT, ObjType::Map)];
    let mut i = 0;
    while i < out.len() && out.len() < 4096 {
        let (obj, kind) = out[i].clone();
        let props: Vec<automerge::Prop> = match kind {
            ObjType::List => (0..doc.length(&obj)).map(automerge::Prop::Seq).collect(),
            _ => doc.keys(&obj).map(automerge::Prop::Map).collect(),
        };
        for p in props {
            if let Ok(Some((Value::Object(t), child))) = doc.get(&obj, p) {
                out.push((child, t));
            }
        }
        i += 1;
    }
    out
}

/// Applies a small program of automerge edits to `doc`, committing as told.
fn run_program(doc: &mut AutoCommit, program: &[u8]) {
    let mut objs = objects(doc);
    for op in program.chunks(4) {
        let [code, target, key, value] = [
            op[0],
            *op.get(1).unwrap_or(&0),
            *op.get(2).unwrap_or(&0),
            *op.get(3).unwrap_or(&0),
        ];
        let (obj, kind) = objs[usize::from(target) % objs.len()].clone();
        let key_name = KEYS[usize::from(key) % KEYS.len()];
        let len = doc.length(&obj);
        let index = if len == 0 { 0 } else { usize::from(key) % len };
        let _ = match (code % 6, kind) {
            (0, ObjType::List) if len > 0 => doc.put(&obj, index, scalar(value, key)),
            (0, _) => doc.put(&obj, key_name, scalar(value, key)),
            (1, ObjType::List) => doc
                .insert_object(&obj, index.min(len), ObjType::Map)
                .map(|o| objs.push((o, ObjType::Map))),
            (1, _) => {
                let t = if value.is_multiple_of(2) {
                    ObjType::Map
                } else {
                    ObjType::List
                };
                doc.put_object(&obj, key_name, t).map(|o| objs.push((o, t)))
            }
            (2, ObjType::List) => doc.insert(&obj, index.min(len), scalar(value, key)),
            (3, ObjType::List) if len > 0 => doc.delete(&obj, index),
            (3, _) => doc.delete(&obj, key_name),
            (4, _) => {
                let author = ["rep-a", "committee", "researcher", "admin"][usize::from(value) % 4];
                let time = match key % 3 {
                    0 => NOW,
                    1 => NOW + 86_400_000,
                    _ => NOW - 10 * 365 * 86_400_000,
                };
                doc.commit_with(
                    CommitOptions::default()
                        .with_message(author)
                        .with_time(time),
                );
                Ok(())
            }
            _ => {
                // Nest: a chain of maps under the target.
                let mut o = obj.clone();
                for _ in 0..usize::from(value) * 4 {
                    match doc.put_object(&o, "x", ObjType::Map) {
                        Ok(child) => o = child,
                        Err(_) => break,
                    }
                }
                Ok(())
            }
        };
    }
    doc.commit_with(
        CommitOptions::default()
            .with_message("rep-a")
            .with_time(NOW),
    );
}

/// A push to a stored case, through exactly the server's check: never a panic, and whatever
/// is accepted leaves a case that loads, fits the schema and reads.
///
/// Input: one byte for the pusher's role; then either raw change bytes (second byte even) or a
/// program of edits made on the device's copy (odd).
pub fn push_change(data: &[u8]) {
    let (Some(&who), Some(&mode)) = (data.first(), data.get(1)) else {
        return;
    };
    let rest = &data[2..];
    let (stored, case) = base();
    let changes: Vec<Vec<u8>> = if mode.is_multiple_of(2) {
        vec![rest.to_vec()]
    } else {
        let Ok(mut doc) = AutoCommit::load(stored) else {
            return;
        };
        let heads = doc.get_heads();
        run_program(&mut doc, &rest[..rest.len().min(256)]);
        doc.get_changes(&heads)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    };
    let user = user(who);
    let pusher = Pusher {
        user: &user,
        enrolled_at: Some(NOW - 86_400_000),
        now: NOW,
    };
    // The replica that wrote the stored case is rep-a's.
    let lookups = push::MemoryLookups {
        actors: Mutex::new(base_actors().clone()),
        photos: |sha| match sha.as_bytes().first() {
            Some(b'0') => BlobAccess::Hidden,
            Some(b'1') => BlobAccess::Visible,
            _ => BlobAccess::Missing,
        },
    };
    let push = PushDoc {
        case: case.clone(),
        changes: changes.into_iter().map(wire::Bytes).collect(),
    };
    let checked =
        push::check_push(&pusher, Some(stored), &push, &lookups).expect("the stored case loads");
    if !checked.accepted.is_empty() {
        let mut doc = checked.doc;
        let saved = doc.save();
        let loaded = CaseDoc::load(&saved).expect("an accepted case loads");
        loaded
            .check_schema_full()
            .expect("an accepted case fits the schema");
        loaded.hydrate().expect("an accepted case hydrates");
        loaded
            .read_with_conflicts()
            .expect("an accepted case reads");
    }
}

/// A console form body, as the handlers decode and parse it: never a panic, and whatever a
/// handler would put in a redirect is a valid header value.
pub fn console_forms(data: &[u8]) {
    crate::console::fuzz_forms(data);
}

/// Seed inputs for `push_change`: a legitimate edit by each role's own means, and programs
/// that touch every kind of edit (the seed corpus is written from these).
pub fn push_seeds() -> Vec<Vec<u8>> {
    let (stored, _) = base();
    let mut seeds = Vec::new();
    for (who, name) in [(0u8, "rep-a"), (2, "committee")] {
        let mut doc = CaseDoc::load(stored).expect("base loads");
        let heads = doc.heads();
        let author = Author {
            user: UserId::new(name),
            at: Timestamp::from_millis(NOW).expect("time"),
        };
        doc.update(&author, |c| c.household.notes = format!("{name} was here"))
            .expect("edit");
        for change in doc.changes_since(&heads) {
            let mut input = vec![who, 0];
            input.extend(change);
            seeds.push(input);
        }
    }
    for (who, program) in [
        (0u8, vec![0u8, 1, 2, 0]),
        (0, vec![1, 0, 1, 0, 0, 5, 3, 4]),
        (2, vec![2, 3, 5, 9, 4, 0, 0, 0]),
        (1, vec![3, 7, 10, 0]),
        (0, vec![5, 1, 0, 20]),
        (3, vec![0, 0, 3, 2]),
    ] {
        let mut input = vec![who, 1];
        input.extend(program);
        seeds.push(input);
    }
    seeds
}
