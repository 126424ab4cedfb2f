//! Workflow rules, derived status and the committee's due date.

use chrono::{NaiveDate, TimeZone, Utc};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::sample::realistic_case;
use mandoob_shared::workflow::*;

fn t(day: u32, hour: u32) -> Timestamp {
    Timestamp::new(
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
            .single()
            .expect("time"),
    )
}

fn event(
    case: &CaseFile,
    kind: EventKind,
    role: Role,
    at: Timestamp,
    reason: &str,
) -> WorkflowEvent {
    WorkflowEvent {
        id: EventId::generate(),
        kind,
        request: case.requests[0].id.clone(),
        actor: UserId::new(format!("{}-1", role.code())),
        role,
        at,
        reason: reason.into(),
        grant: None,
    }
}

/// The sample case with its events replaced.
fn case_with(events: &[(EventKind, Role, &str)]) -> CaseFile {
    let mut case = realistic_case(11);
    case.events.clear();
    for (i, (kind, role, reason)) in events.iter().enumerate() {
        let e = event(&case, *kind, *role, t(2, i as u32), reason);
        case.events.push(e);
    }
    case
}

#[test]
fn the_full_path_of_a_request() {
    use EventKind as E;
    use Role as R;
    let case = case_with(&[
        (E::Referred, R::Representative, "الأسرة لا تفهم شروط الدعم"),
        (E::ReferralAnswered, R::SocialResearcher, ""),
        (E::Submitted, R::Representative, ""),
        (E::InfoRequested, R::Committee, "نحتاج كشف حساب أحدث"),
        (E::InfoProvided, R::Representative, ""),
        (E::Accepted, R::Committee, "الدخل أقل من الحد"),
        (E::Registered, R::Representative, ""),
        (E::ServiceDelivered, R::Representative, ""),
        (E::ServiceDelivered, R::Representative, ""),
    ]);
    let states = derive(&case);
    assert_eq!(states.len(), 1);
    let s = &states[0];
    assert_eq!(s.status, RequestStatus::InService);
    assert!(s.refused.is_empty(), "{:?}", s.refused);
    assert_eq!(s.open_referrals, 0);
    let d = s.decision.as_ref().expect("decided");
    assert!(d.accepted);
    assert_eq!(d.reason, "الدخل أقل من الحد");
    assert_eq!(s.submitted_at, Some(t(2, 2)));
}

#[test]
fn roles_may_only_do_their_part() {
    use EventKind as E;
    use Role as R;
    // A representative cannot decide; a committee member cannot submit.
    let case = case_with(&[
        (E::Submitted, R::Committee, ""),
        (E::Submitted, R::Representative, ""),
        (E::Accepted, R::Representative, "أنا أقرر"),
        (E::Accepted, R::Administrator, "المدير يقرر"),
        (E::ReferralAnswered, R::SocialResearcher, ""),
    ]);
    let s = &derive(&case)[0];
    assert_eq!(s.status, RequestStatus::AwaitingDecision);
    let why: Vec<Refusal> = s.refused.iter().map(|r| r.why).collect();
    assert_eq!(
        why,
        vec![
            Refusal::NotPermitted,
            Refusal::NotPermitted,
            Refusal::NotPermitted,
            Refusal::NoOpenReferral
        ]
    );
    for kind in EventKind::ALL {
        assert!(
            Role::ALL.iter().any(|r| permitted(*r, *kind)),
            "someone may record {kind:?}"
        );
    }
    assert!(!permitted(Role::Representative, EventKind::Accepted));
    assert!(!permitted(Role::Representative, EventKind::Rejected));
    assert!(permitted(Role::Committee, EventKind::Rejected));
}

#[test]
fn decisions_need_a_reason() {
    use EventKind as E;
    use Role as R;
    let case = case_with(&[
        (E::Submitted, R::Representative, ""),
        (E::Rejected, R::Committee, "   "),
    ]);
    let s = &derive(&case)[0];
    assert_eq!(s.status, RequestStatus::AwaitingDecision);
    assert_eq!(s.refused[0].why, Refusal::ReasonRequired);
}

#[test]
fn concurrent_decisions_resolve_the_same_way_on_every_replica() {
    let case = case_with(&[(EventKind::Submitted, Role::Representative, "")]);
    let hq = Author {
        user: UserId::new("c-1"),
        at: t(3, 9),
    };
    let mut a = CaseDoc::create(&case, &hq).expect("create");
    let mut b = CaseDoc::load(&a.save()).expect("load");
    b.set_actor(automerge::ActorId::from(vec![9; 16]));
    let accept = event(
        &case,
        EventKind::Accepted,
        Role::Committee,
        t(3, 10),
        "مستحق",
    );
    let reject = event(
        &case,
        EventKind::Rejected,
        Role::Committee,
        t(3, 10),
        "غير مستحق",
    );
    a.update(&hq, |c| c.events.push(accept.clone())).expect("a");
    b.update(&hq, |c| c.events.push(reject.clone())).expect("b");
    let mut a2 = a.clone();
    let mut b2 = b.clone();
    a.merge(&mut b2).expect("a<-b");
    b.merge(&mut a2).expect("b<-a");
    let (sa, sb) = (
        derive(&a.hydrate().expect("a")),
        derive(&b.hydrate().expect("b")),
    );
    assert_eq!(sa, sb);
    let s = &sa[0];
    // One decision wins; the other is kept and shown as refused.
    assert!(matches!(
        s.status,
        RequestStatus::Accepted | RequestStatus::Rejected
    ));
    assert_eq!(s.refused.len(), 1);
    assert_eq!(s.refused[0].why, Refusal::InvalidTransition);
}

#[test]
fn calendar_days_due_date_and_overdue() {
    let sla = SlaPolicy::default();
    // Submitted Monday 2 Nov 2026, 23:30 UTC = Tuesday 3 Nov 02:30 in Kuwait.
    let submitted = Timestamp::new(
        Utc.with_ymd_and_hms(2026, 11, 2, 23, 30, 0)
            .single()
            .expect("t"),
    );
    assert_eq!(
        kuwait_date(submitted),
        NaiveDate::from_ymd_opt(2026, 11, 3).expect("d")
    );
    let due = sla.due_date(submitted);
    assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 17).expect("d"));

    let case = case_with(&[(EventKind::Submitted, Role::Representative, "")]);
    let mut case = case;
    case.events[0].at = submitted;
    let s = &derive(&case)[0];
    assert_eq!(s.due_date(&sla), Some(due));
    // On the due date (late evening in Kuwait) it is not yet overdue; the next day it is.
    let due_evening = Timestamp::new(
        Utc.with_ymd_and_hms(2026, 11, 17, 20, 0, 0)
            .single()
            .expect("t"),
    );
    assert!(!s.is_overdue(&sla, due_evening));
    let next_day = Timestamp::new(
        Utc.with_ymd_and_hms(2026, 11, 17, 21, 0, 0)
            .single()
            .expect("t"),
    );
    assert!(s.is_overdue(&sla, next_day));
}

#[test]
fn working_days_skip_friday_saturday_and_holidays() {
    let sla = SlaPolicy {
        days: 10,
        count: DayCount::Working,
        holidays: vec![NaiveDate::from_ymd_opt(2026, 11, 10).expect("d")],
    };
    // Thursday 5 Nov 2026, 10:00 Kuwait.
    let start = Timestamp::new(
        Utc.with_ymd_and_hms(2026, 11, 5, 7, 0, 0)
            .single()
            .expect("t"),
    );
    // Working days after it: Sun 8, Mon 9, (Tue 10 holiday), Wed 11, Thu 12, Sun 15, Mon 16,
    // Tue 17, Wed 18, Thu 19, Sun 22.
    assert_eq!(
        sla.due_date(start),
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("d")
    );
    assert!(!sla.is_working_day(NaiveDate::from_ymd_opt(2026, 11, 6).expect("Fri")));
    assert!(!sla.is_working_day(NaiveDate::from_ymd_opt(2026, 11, 7).expect("Sat")));
    assert!(sla.is_working_day(NaiveDate::from_ymd_opt(2026, 11, 8).expect("Sun")));
}

#[test]
fn waiting_for_information_pauses_the_clock() {
    use EventKind as E;
    use Role as R;
    let sla = SlaPolicy::default();
    let mut case = case_with(&[
        (E::Submitted, R::Representative, ""),
        (E::InfoRequested, R::Committee, "كشف حساب"),
    ]);
    case.events[0].at = t(1, 8);
    case.events[1].at = t(5, 8);
    let s = &derive(&case)[0];
    assert_eq!(s.status, RequestStatus::InfoRequested);
    assert_eq!(s.due_date(&sla), None);
    assert!(!s.is_overdue(&sla, t(28, 8)));
    assert_eq!(
        s.open_round().map(|r| r.question.as_str()),
        Some("كشف حساب")
    );
    let provided = event(
        &case,
        E::InfoProvided,
        R::Representative,
        t(20, 8),
        "أرفقنا الكشف",
    );
    case.events.push(provided);
    let s = &derive(&case)[0];
    assert_eq!(s.status, RequestStatus::AwaitingDecision);
    assert_eq!(s.open_round(), None);
    // Submitted on the 1st, 4 days used before the question; 15 days waited for the family
    // do not count: due on 30 November, not 15 (clock run on) nor 4 December (reset).
    assert_eq!(s.due_date(&sla), NaiveDate::from_ymd_opt(2026, 11, 30));
    assert_eq!(s.rounds.len(), 1);
    assert_eq!(s.rounds[0].answer, "أرفقنا الكشف");
    assert_eq!(s.rounds[0].answered_at, Some(t(20, 8)));
    assert_eq!(s.submitted_at, Some(t(1, 8)));
}

#[test]
fn any_number_of_rounds_each_pausing_the_clock() {
    use EventKind as E;
    use Role as R;
    let sla = SlaPolicy::default();
    let mut case = case_with(&[]);
    let steps = [
        (E::Submitted, R::Representative, t(1, 8), ""),
        (E::InfoRequested, R::Committee, t(3, 8), "عقد الإيجار"),
        (E::InfoProvided, R::Representative, t(6, 8), "مرفق"),
        (E::InfoRequested, R::Committee, t(8, 8), "شهادة الراتب"),
        (E::InfoProvided, R::Representative, t(10, 8), "مرفقة"),
    ];
    for (kind, role, at, reason) in steps {
        let e = event(&case, kind, role, at, reason);
        case.events.push(e);
    }
    let s = &derive(&case)[0];
    assert_eq!(s.status, RequestStatus::AwaitingDecision);
    let questions: Vec<&str> = s.rounds.iter().map(|r| r.question.as_str()).collect();
    assert_eq!(questions, ["عقد الإيجار", "شهادة الراتب"]);
    // 3 + 2 days waited: due on 15 + 5 = 20 November.
    assert_eq!(s.due_date(&sla), NaiveDate::from_ymd_opt(2026, 11, 20));
    // A device clock that dates the answer before the question pauses nothing.
    let mut skewed = case_with(&[]);
    for (kind, role, at, reason) in [
        (E::Submitted, R::Representative, t(1, 8), ""),
        (E::InfoRequested, R::Committee, t(3, 8), "؟"),
        (E::InfoProvided, R::Representative, t(2, 8), "."),
    ] {
        let e = event(&skewed, kind, role, at, reason);
        skewed.events.push(e);
    }
    assert_eq!(
        derive(&skewed)[0].due_date(&sla),
        NaiveDate::from_ymd_opt(2026, 11, 15)
    );
}

#[test]
fn a_grant_goes_with_an_acceptance_and_says_what_is_given() {
    use EventKind as E;
    use Role as R;
    let grant = |amount: Option<i64>, in_kind: &str| Grant {
        amount: amount.map(Fils),
        in_kind: in_kind.into(),
    };
    let decide = |kind: EventKind, g: Grant| {
        let mut case = case_with(&[(E::Submitted, R::Representative, "")]);
        let mut e = event(&case, kind, R::Committee, t(3, 8), "الدخل يغطي جزءًا");
        e.grant = Some(g);
        case.events.push(e);
        derive(&case).remove(0)
    };
    let s = decide(E::Accepted, grant(Some(150_000), ""));
    assert_eq!(s.status, RequestStatus::Accepted);
    let d = s.decision.expect("decided");
    assert_eq!(d.grant.and_then(|g| g.amount), Some(Fils(150_000)));
    let s = decide(E::Accepted, grant(None, "سلة غذائية شهرية"));
    assert_eq!(s.status, RequestStatus::Accepted);
    for (kind, g) in [
        (E::Rejected, grant(Some(1), "")),
        (E::Accepted, grant(None, "  ")),
    ] {
        let s = decide(kind, g);
        assert_eq!(s.status, RequestStatus::AwaitingDecision);
        assert_eq!(s.refused[0].why, Refusal::InvalidGrant);
    }
}

#[test]
fn events_for_unknown_requests_are_kept_and_reported() {
    let mut case = case_with(&[]);
    let mut e = event(
        &case,
        EventKind::Submitted,
        Role::Representative,
        t(2, 1),
        "",
    );
    e.request = RequestId::new("elsewhere");
    case.events.push(e);
    assert_eq!(derive(&case)[0].status, RequestStatus::Draft);
    assert_eq!(orphan_events(&case).len(), 1);
}
