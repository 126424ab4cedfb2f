//! Three replicas edit the same case file offline (including the same field and concurrent
//! workflow events), exchange changes in random orders, and must converge: same heads, same
//! hydrated case file, same derived status, no edit lost, and every concurrent value of a
//! same-field conflict still readable.

use std::collections::BTreeSet;

use automerge::ActorId;
use chrono::{Duration, TimeZone, Utc};
use mandoob_shared::doc::{Author, CaseDoc, FieldPath};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sample::realistic_case;
use mandoob_shared::workflow::{self, EventKind, Role};
use proptest::prelude::*;

const REPLICAS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// Write a fresh value to the head's phone (the contested field).
    SetHeadPhone(usize),
    SetArea(usize, u8),
    AddMember(usize),
    RenameMember(usize, usize, u8),
    AddContact(usize, usize),
    SetAnswer(usize, u8, u8),
    AddEvent(usize, usize, usize),
    /// Send every change of the first replica to the second.
    Sync(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..REPLICAS;
    prop_oneof![
        3 => r.clone().prop_map(Op::SetHeadPhone),
        1 => (r.clone(), any::<u8>()).prop_map(|(a, b)| Op::SetArea(a, b)),
        1 => r.clone().prop_map(Op::AddMember),
        1 => (r.clone(), 0..8usize, any::<u8>()).prop_map(|(a, b, c)| Op::RenameMember(a, b, c)),
        1 => (r.clone(), 0..Channel::ALL.len()).prop_map(|(a, b)| Op::AddContact(a, b)),
        1 => (r.clone(), 0..4u8, any::<u8>()).prop_map(|(a, b, c)| Op::SetAnswer(a, b, c)),
        3 => (r.clone(), 0..EventKind::ALL.len(), 0..Role::ALL.len())
            .prop_map(|(a, b, c)| Op::AddEvent(a, b, c)),
        3 => (r.clone(), r).prop_map(|(a, b)| Op::Sync(a, b)),
    ]
}

/// A write to the contested field, and every earlier write its replica had seen (which it
/// therefore overwrote).
struct Write {
    value: String,
    overwrites: BTreeSet<usize>,
}

struct World {
    docs: Vec<CaseDoc>,
    /// Per replica: indices of the contested-field writes it has seen.
    seen: Vec<BTreeSet<usize>>,
    writes: Vec<Write>,
    members: BTreeSet<MemberId>,
    contacts: BTreeSet<ContactId>,
    events: BTreeSet<EventId>,
    clock: i64,
}

impl World {
    fn author(&mut self, replica: usize) -> Author {
        self.clock += 1;
        Author {
            user: UserId::new(format!("user-{replica}")),
            at: Timestamp::new(
                Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0)
                    .single()
                    .expect("time")
                    + Duration::seconds(self.clock),
            ),
        }
    }

    fn edit(&mut self, replica: usize, f: impl FnOnce(&mut CaseFile)) {
        let author = self.author(replica);
        self.docs[replica].update(&author, f).expect("edit applies");
    }

    fn sync(&mut self, from: usize, to: usize) {
        if from == to {
            return;
        }
        let mut source = self.docs[from].clone();
        self.docs[to].merge(&mut source).expect("merge");
        let seen = self.seen[from].clone();
        self.seen[to].extend(seen);
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::SetHeadPhone(r) => {
                let index = self.writes.len();
                let value = format!("9{:07}", index);
                self.writes.push(Write {
                    value: value.clone(),
                    overwrites: self.seen[r].clone(),
                });
                self.seen[r].insert(index);
                self.edit(r, |c| {
                    if let Some(head) = c
                        .household
                        .members
                        .iter_mut()
                        .find(|m| m.relation == Relation::Head)
                    {
                        head.phone = value;
                    }
                });
            }
            Op::SetArea(r, v) => self.edit(r, |c| c.household.address.area = format!("area {v}")),
            Op::AddMember(r) => {
                let member = Member::new(format!("فرد {}", self.members.len()), Relation::Other);
                self.members.insert(member.id.clone());
                self.edit(r, |c| c.household.members.push(member));
            }
            Op::RenameMember(r, i, v) => self.edit(r, |c| {
                let n = c.household.members.len();
                c.household.members[i % n].name_en = format!("name {v}");
            }),
            Op::AddContact(r, ch) => {
                let entry = ContactEntry {
                    id: ContactId::generate(),
                    channel: Channel::ALL[ch],
                    direction: Direction::Outbound,
                    at: self.author(r).at,
                    by: UserId::new(format!("user-{r}")),
                    summary: format!("contact from replica {r}"),
                    follow_up_on: None,
                    follow_up_done: false,
                };
                self.contacts.insert(entry.id.clone());
                self.edit(r, |c| c.contacts.push(entry));
            }
            Op::SetAnswer(r, q, v) => self.edit(r, |c| {
                c.visits[0]
                    .answers
                    .insert(format!("q{q}"), format!("answer {v} by {r}"));
            }),
            Op::AddEvent(r, k, role) => {
                let author = self.author(r);
                let event = WorkflowEvent {
                    id: EventId::generate(),
                    kind: EventKind::ALL[k],
                    request: RequestId::new("placeholder"),
                    actor: author.user.clone(),
                    role: Role::ALL[role],
                    at: author.at,
                    reason: if k % 2 == 0 {
                        "سبب".into()
                    } else {
                        String::new()
                    },
                    grant: None,
                };
                self.events.insert(event.id.clone());
                self.docs[r]
                    .update(&author, |c| {
                        let mut event = event;
                        event.request = c.requests[0].id.clone();
                        c.events.push(event);
                    })
                    .expect("event appends");
            }
            Op::Sync(a, b) => self.sync(a, b),
        }
    }
}

fn head_phone_path(case: &CaseFile) -> FieldPath {
    let head = case.head().expect("the sample has a head");
    FieldPath::default()
        .key("household")
        .key("members")
        .item(head.id.as_str())
        .key("phone")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_without_losing_edits(
        seed in any::<u64>(),
        ops in prop::collection::vec(op(), 1..40),
        final_order in Just((0..REPLICAS).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let case = realistic_case(seed);
        let origin_author = Author { user: UserId::new("user-0"), at: case.created_at };
        let mut origin = CaseDoc::create(&case, &origin_author).expect("create");
        let bytes = origin.save();
        let docs: Vec<CaseDoc> = (0..REPLICAS)
            .map(|i| {
                let mut d = CaseDoc::load(&bytes).expect("load");
                d.set_actor(ActorId::from(vec![i as u8 + 1; 16]));
                d
            })
            .collect();
        let mut world = World {
            docs,
            seen: vec![BTreeSet::new(); REPLICAS],
            writes: Vec::new(),
            members: case.household.members.iter().map(|m| m.id.clone()).collect(),
            contacts: case.contacts.iter().map(|c| c.id.clone()).collect(),
            events: case.events.iter().map(|e| e.id.clone()).collect(),
            clock: 0,
        };
        for op in &ops {
            world.apply(op);
        }
        // Exchange everything, in a random order: gather into one replica, then spread.
        let hub = final_order[0];
        for &r in &final_order[1..] {
            world.sync(r, hub);
        }
        for &r in final_order[1..].iter().rev() {
            world.sync(hub, r);
        }

        let heads: Vec<_> = world.docs.iter_mut().map(|d| d.heads()).collect();
        prop_assert!(heads.windows(2).all(|w| w[0] == w[1]), "heads differ");
        let cases: Vec<CaseFile> = world.docs.iter().map(|d| d.hydrate().expect("hydrate")).collect();
        prop_assert!(cases.windows(2).all(|w| w[0] == w[1]), "hydrated case files differ");
        // The one-pass read (used to index synced documents) gives the same case file and
        // sees the same conflicts, on every replica.
        for (doc, case) in world.docs.iter_mut().zip(&cases) {
            let (fast, conflicts) = doc.read_materialized().expect("one-pass read");
            prop_assert_eq!(&fast, case);
            prop_assert_eq!(conflicts, !doc.conflicts().expect("conflicts").is_empty());
        }
        let statuses: Vec<_> = cases.iter().map(workflow::derive).collect();
        prop_assert!(statuses.windows(2).all(|w| w[0] == w[1]), "derived status differs");

        // No edit lost.
        let merged = &cases[0];
        let members: BTreeSet<_> = merged.household.members.iter().map(|m| m.id.clone()).collect();
        prop_assert_eq!(&members, &world.members);
        let contacts: BTreeSet<_> = merged.contacts.iter().map(|c| c.id.clone()).collect();
        prop_assert_eq!(&contacts, &world.contacts);
        let events: BTreeSet<_> = merged.events.iter().map(|e| e.id.clone()).collect();
        prop_assert_eq!(&events, &world.events);
        // Every event is either applied or refused with a reason: none silently dropped.
        let accounted: usize = statuses[0].iter().map(|s| s.applied.len() + s.refused.len()).sum();
        prop_assert_eq!(accounted, merged.events.len());

        // Every write to the contested field that no later write had seen is still readable.
        let expected: BTreeSet<String> = if world.writes.is_empty() {
            BTreeSet::from([case.head().expect("head").phone.clone()])
        } else {
            let overwritten: BTreeSet<usize> =
                world.writes.iter().flat_map(|w| w.overwrites.iter().copied()).collect();
            (0..world.writes.len())
                .filter(|i| !overwritten.contains(i))
                .map(|i| world.writes[i].value.clone())
                .collect()
        };
        for doc in &mut world.docs {
            let path = head_phone_path(&doc.hydrate().expect("hydrate"));
            let conflict = doc.conflicts_at(&path).expect("conflicts");
            let readable: BTreeSet<String> = if conflict.is_empty() {
                BTreeSet::from([doc.hydrate().expect("hydrate").head().expect("head").phone.clone()])
            } else {
                conflict.iter().map(|v| v.value.as_str().unwrap_or_default().to_owned()).collect()
            };
            prop_assert_eq!(&readable, &expected);
            if conflict.len() > 1 {
                prop_assert_eq!(conflict.iter().filter(|v| v.shown).count(), 1);
                prop_assert!(conflict.iter().all(|v| v.author.is_some() && v.at.is_some()));
            }
        }
    }
}
