//! The rules at the sync boundary refuse what they must and nothing else: random sequences of
//! *valid* edits, each by the role whose work it is, go through exactly the server's check
//! (`push::check_push`) and are never refused.

use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sync::{Bytes, PushDoc};
use mandoob_shared::workflow::{self, EventKind, RequestStatus, Role};
use mandoob_sync_server::push::{MemoryLookups, Pusher, check_push};
use mandoob_sync_server::storage::UserRecord;
use proptest::prelude::*;

fn user(id: &str, role: Role) -> UserRecord {
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

#[derive(Debug, Clone)]
enum Op {
    Notes(String),
    AddMember(String),
    AddContact(usize),
    AddDocument,
    AddReferral,
    AnswerReferral,
    AddDraftRequest(usize),
    Submit,
    Decide(usize),
    ProvideInfo,
    Register,
    Deliver,
    Survey(u64),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => "[ a-zء-ي]{0,40}".prop_map(Op::Notes),
        1 => "[ء-ي]{2,20}".prop_map(Op::AddMember),
        1 => (0..Channel::ALL.len()).prop_map(Op::AddContact),
        1 => Just(Op::AddDocument),
        1 => Just(Op::AddReferral),
        1 => Just(Op::AnswerReferral),
        1 => (0..RequestType::ALL.len()).prop_map(Op::AddDraftRequest),
        2 => Just(Op::Submit),
        3 => (0..3usize).prop_map(Op::Decide),
        1 => Just(Op::ProvideInfo),
        1 => Just(Op::Register),
        1 => Just(Op::Deliver),
        1 => (1..=5u64).prop_map(Op::Survey),
        1 => Just(Op::Close),
    ]
}

/// An edit of the case file.
type Edit = Box<dyn FnOnce(&mut CaseFile)>;

fn status_where(case: &CaseFile, want: &[RequestStatus]) -> Option<RequestId> {
    workflow::derive(case)
        .into_iter()
        .find(|s| want.contains(&s.status))
        .map(|s| s.request)
}

fn event(kind: EventKind, request: RequestId, by: &UserRecord, reason: &str) -> WorkflowEvent {
    WorkflowEvent {
        id: EventId::generate(),
        kind,
        request,
        actor: by.id.clone(),
        role: by.role,
        at: Timestamp::now(),
        reason: reason.into(),
        grant: None,
    }
}

/// The edit of `op` on `case` by the role whose work it is, or `None` when it does not apply.
fn plan(op: &Op, case: &CaseFile, users: &[UserRecord; 4]) -> Option<(usize, Edit)> {
    let [rep, researcher, committee, admin] = users;
    let (rep, researcher, committee, admin) = (
        rep.clone(),
        researcher.clone(),
        committee.clone(),
        admin.clone(),
    );
    let now = Timestamp::now();
    Some(match op.clone() {
        Op::Notes(text) => (0, Box::new(move |c| c.household.notes = text)),
        Op::AddMember(name) => (
            0,
            Box::new(move |c| c.household.members.push(Member::new(name, Relation::Son))),
        ),
        Op::AddContact(channel) => (
            0,
            Box::new(move |c| {
                c.contacts.push(ContactEntry {
                    id: ContactId::generate(),
                    channel: Channel::ALL[channel],
                    direction: Direction::Outbound,
                    at: now,
                    by: rep.id.clone(),
                    summary: "اتصال".into(),
                    follow_up_on: None,
                    follow_up_done: false,
                })
            }),
        ),
        Op::AddDocument => (
            0,
            Box::new(move |c| {
                let sha = format!("{:064x}", fastrand::u128(..));
                c.documents.push(DocumentMeta {
                    id: DocumentId::generate(),
                    kind: DocumentKind::Other,
                    member: None,
                    sha256: sha,
                    thumbnail_sha256: String::new(),
                    bytes: 1000,
                    width: 10,
                    height: 10,
                    captured_at: now,
                    captured_by: rep.id.clone(),
                    expires_on: None,
                })
            }),
        ),
        Op::AddReferral => (
            0,
            Box::new(move |c| {
                c.referrals.push(Referral {
                    id: ReferralId::generate(),
                    request: None,
                    question: "سؤال".into(),
                    by: rep.id.clone(),
                    at: now,
                    answer: None,
                    answered_by: None,
                    answered_at: None,
                })
            }),
        ),
        Op::AnswerReferral => {
            let open = case
                .referrals
                .iter()
                .find(|r| r.answer.is_none())?
                .id
                .clone();
            (
                1,
                Box::new(move |c| {
                    if let Some(r) = c.referrals.iter_mut().find(|r| r.id == open) {
                        r.answer = Some("جواب".into());
                        r.answered_by = Some(researcher.id.clone());
                        r.answered_at = Some(now);
                    }
                }),
            )
        }
        Op::AddDraftRequest(kind) => (
            0,
            Box::new(move |c| {
                c.requests.push(SupportRequest {
                    id: RequestId::generate(),
                    kind: RequestType::ALL[kind],
                    amount: Some(Fils::from_kwd(50)),
                    reason: "حاجة".into(),
                    documents: Vec::new(),
                    declaration: None,
                })
            }),
        ),
        Op::Submit => {
            let r = status_where(case, &[RequestStatus::Draft])?;
            (
                0,
                Box::new(move |c| c.events.push(event(EventKind::Submitted, r, &rep, ""))),
            )
        }
        Op::Decide(which) => {
            let r = status_where(case, &[RequestStatus::AwaitingDecision])?;
            let kind = [
                EventKind::Accepted,
                EventKind::Rejected,
                EventKind::InfoRequested,
            ][which];
            (
                2,
                Box::new(move |c| c.events.push(event(kind, r, &committee, "السبب"))),
            )
        }
        Op::ProvideInfo => {
            let r = status_where(case, &[RequestStatus::InfoRequested])?;
            (
                0,
                Box::new(move |c| c.events.push(event(EventKind::InfoProvided, r, &rep, ""))),
            )
        }
        Op::Register => {
            let r = status_where(case, &[RequestStatus::Accepted])?;
            (
                0,
                Box::new(move |c| c.events.push(event(EventKind::Registered, r, &rep, ""))),
            )
        }
        Op::Deliver => {
            let r = status_where(case, &[RequestStatus::Registered, RequestStatus::InService])?;
            (
                0,
                Box::new(move |c| {
                    c.services.push(ServiceRecord {
                        id: ServiceId::generate(),
                        request: Some(r.clone()),
                        kind: ServiceKind::FoodBasket,
                        description: "سلة".into(),
                        value: Fils::from_kwd(20),
                        delivered_at: now,
                        by: rep.id.clone(),
                    });
                    c.events
                        .push(event(EventKind::ServiceDelivered, r, &rep, ""));
                }),
            )
        }
        Op::Survey(score) => (
            0,
            Box::new(move |c| {
                c.surveys.push(SatisfactionSurvey {
                    id: SurveyId::generate(),
                    at: now,
                    administered_by: rep.id.clone(),
                    reception: Some(score),
                    time_and_answers: None,
                    clarity: Some(score),
                    speed: None,
                    overall: Some(score),
                    comment: String::new(),
                    wants_contact: false,
                })
            }),
        ),
        Op::Close => {
            let r = status_where(
                case,
                &[
                    RequestStatus::Rejected,
                    RequestStatus::InService,
                    RequestStatus::Registered,
                ],
            )?;
            (
                3,
                Box::new(move |c| c.events.push(event(EventKind::Closed, r, &admin, "انتهت"))),
            )
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `stale`: the edit is made on the copy from before the previous edit (a device that had
    /// not synced), for edits of the household's data; the server merges it.
    #[test]
    fn valid_edits_by_the_right_roles_are_never_refused(seed in any::<u64>(), ops in prop::collection::vec((op(), any::<bool>()), 1..25)) {
        let users = [
            user("rep-a", Role::Representative),
            user("researcher", Role::SocialResearcher),
            user("committee", Role::Committee),
            user("admin", Role::Administrator),
        ];
        let lookups = MemoryLookups::new();
        let now = Timestamp::now().millis();
        let pusher = |who: usize| Pusher { user: &users[who], enrolled_at: Some(now - 3_600_000), now: now + 60_000 };

        // The representative registers the household (a realistic case, its request submitted).
        let mut case = mandoob_shared::sample::realistic_case(seed);
        mandoob_shared::sample::attribute_to(&mut case, &users[0].id);
        let author = |who: usize| Author { user: users[who].id.clone(), at: Timestamp::now() };
        let mut created = CaseDoc::create(&case, &author(0)).expect("create");
        let push = PushDoc { case: case.id.clone(), changes: created.changes_since(&[]).into_iter().map(Bytes).collect() };
        let checked = check_push(&pusher(0), None, &push, &lookups).expect("check");
        prop_assert!(checked.refused.is_empty(), "creation refused: {:?}", checked.refused);
        lookups.bind(&checked.actors, &users[0].id);
        let mut stored = created.save();
        let mut previous = stored.clone();

        for (op, stale) in &ops {
            let data_only = matches!(
                op,
                Op::Notes(_) | Op::AddMember(_) | Op::AddContact(_) | Op::AddDocument
                    | Op::AddReferral | Op::AddDraftRequest(_) | Op::Survey(_)
            );
            let base = if *stale && data_only { &previous } else { &stored };
            let mut doc = CaseDoc::load(base).expect("load");
            let current = doc.hydrate().expect("hydrate");
            let Some((who, edit)) = plan(op, &current, &users) else { continue };
            let heads = doc.heads();
            doc.update(&author(who), edit).expect("a valid edit is written");
            let push = PushDoc { case: case.id.clone(), changes: doc.changes_since(&heads).into_iter().map(Bytes).collect() };
            let checked = check_push(&pusher(who), Some(&stored), &push, &lookups).expect("check");
            prop_assert!(checked.refused.is_empty(), "{op:?} by {} refused: {:?}", users[who].id, checked.refused);
            prop_assert!(checked.count as usize >= push.changes.len());
            lookups.bind(&checked.actors, &users[who].id);
            let mut after = checked.doc;
            previous = std::mem::replace(&mut stored, after.save());
        }
    }
}
