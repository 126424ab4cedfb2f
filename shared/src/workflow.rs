//! The workflow: who may do what, and each request's status derived from the event list.
//!
//! Status is never stored; it is the fold of [`WorkflowEvent`]s in document order with the
//! rules in [`transition`]. The event list is an automerge list, whose order is the same on
//! every replica after a merge and respects causality (an event appended after seeing another
//! comes after it). So every replica derives the same status, whatever order changes arrived in.
//! An event that the rules refuse at its place in the order (for example a second, concurrent
//! decision) stays in the document and is reported in [`RequestState::refused`], so nothing is
//! lost and a person can see it.
//!
//! Decision due dates are counted in **calendar days** by default (the policy says "two
//! weeks"), in Kuwait time (UTC+3, no daylight saving). [`SlaPolicy`] can count **working
//! days** instead, skipping Kuwait's Friday-Saturday weekend and listed public holidays.
//!
//! **The clock pauses while the committee waits for the family.** It starts at the
//! submission; "more information needed" stops it, and the answer restarts it where it
//! stopped: the time the request spent waiting is added to its start
//! ([`RequestState::clock_started_at`]), so the due date moves by exactly that wait. Asking a
//! question neither resets the committee's clock nor lets it run against the committee while
//! the family gathers a document. Any number of information rounds is possible
//! ([`RequestState::rounds`]).

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, RequestId, Timestamp, UserId};
use crate::model::{CaseFile, Grant, WorkflowEvent, domain_enum};

domain_enum!(
    /// A user's role.
    Role, "role" {
        Representative => "representative",
        SocialResearcher => "social-researcher",
        Committee => "committee",
        Administrator => "administrator",
    }
);

domain_enum!(
    /// What a workflow event records.
    EventKind, "event" {
        /// The representative submits the complete request to the committee (policy step 5).
        Submitted => "submitted",
        /// The case is referred to the social-research officer (policy step 3).
        Referred => "referred",
        /// The social-research officer answered a referral.
        ReferralAnswered => "referral-answered",
        /// The committee asks for more information; the SLA clock stops.
        InfoRequested => "info-requested",
        /// The requested information was added; the request goes back to the committee.
        InfoProvided => "info-provided",
        Accepted => "accepted",
        Rejected => "rejected",
        /// The family is registered as a beneficiary (policy step 6).
        Registered => "registered",
        /// A service was delivered (policy step 7).
        ServiceDelivered => "service-delivered",
        Closed => "closed",
    }
);

domain_enum!(
    /// A request's derived status.
    RequestStatus, "status" {
        Draft => "draft",
        AwaitingDecision => "awaiting-decision",
        InfoRequested => "info-requested",
        Accepted => "accepted",
        Rejected => "rejected",
        Registered => "registered",
        InService => "in-service",
        Closed => "closed",
    }
);

domain_enum!(
    /// Why an event was refused.
    Refusal, "refusal" {
        /// The actor's role may not record this kind of event.
        NotPermitted => "not-permitted",
        /// The event does not apply to the request's status at that point.
        InvalidTransition => "invalid-transition",
        /// Decisions, requests for information and closing need a reason.
        ReasonRequired => "reason-required",
        /// The event names a request that is not in the case.
        UnknownRequest => "unknown-request",
        /// There is no open referral to answer.
        NoOpenReferral => "no-open-referral",
        /// A grant on something other than an acceptance, or one that grants nothing.
        InvalidGrant => "invalid-grant",
    }
);

/// Whether `role` may ever record `kind` (independent of status).
pub fn permitted(role: Role, kind: EventKind) -> bool {
    use EventKind as E;
    use Role as R;
    match kind {
        E::Submitted | E::InfoProvided | E::Registered | E::ServiceDelivered => {
            matches!(role, R::Representative | R::Administrator)
        }
        E::Referred => matches!(role, R::Representative | R::Committee | R::Administrator),
        E::ReferralAnswered => matches!(role, R::SocialResearcher | R::Administrator),
        E::InfoRequested | E::Accepted | E::Rejected => role == R::Committee,
        E::Closed => matches!(role, R::Committee | R::Administrator),
    }
}

/// Whether `kind` must carry a reason.
pub fn needs_reason(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Accepted
            | EventKind::Rejected
            | EventKind::InfoRequested
            | EventKind::Closed
            | EventKind::Referred
    )
}

/// The status after `kind` is applied in `status`, or why it cannot be.
pub fn transition(status: RequestStatus, kind: EventKind) -> Result<RequestStatus, Refusal> {
    use EventKind as E;
    use RequestStatus as S;
    let next = match (status, kind) {
        (S::Draft, E::Submitted) => S::AwaitingDecision,
        (S::AwaitingDecision, E::InfoRequested) => S::InfoRequested,
        (S::InfoRequested, E::InfoProvided) => S::AwaitingDecision,
        (S::AwaitingDecision, E::Accepted) => S::Accepted,
        (S::AwaitingDecision, E::Rejected) => S::Rejected,
        (S::Accepted, E::Registered) => S::Registered,
        (S::Registered | S::InService, E::ServiceDelivered) => S::InService,
        (s, E::Closed) if s != S::Closed => S::Closed,
        // Referrals do not move the status; they are tracked beside it.
        (s, E::Referred | E::ReferralAnswered) if s != S::Closed => s,
        _ => return Err(Refusal::InvalidTransition),
    };
    Ok(next)
}

/// A decision of the committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub accepted: bool,
    pub by: UserId,
    pub at: Timestamp,
    pub reason: String,
    /// What was granted, when not simply what was asked (acceptances only).
    pub grant: Option<Grant>,
}

/// One round of "more information needed": the committee's question and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoRound {
    pub asked_by: UserId,
    pub asked_at: Timestamp,
    /// What the committee needs.
    pub question: String,
    /// When the representative answered and resubmitted (`None` while the round is open).
    pub answered_at: Option<Timestamp>,
    pub answered_by: Option<UserId>,
    pub answer: String,
}

/// An event the rules refused, kept for people to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEvent {
    pub event: EventId,
    pub why: Refusal,
}

/// A request's state, derived from the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestState {
    pub request: RequestId,
    pub status: RequestStatus,
    /// The first submission.
    pub submitted_at: Option<Timestamp>,
    /// Where the committee's clock runs from: the submission, moved later by the time the
    /// request waited for information (the clock pauses then; see the module's notes).
    pub clock_started_at: Option<Timestamp>,
    pub decision: Option<Decision>,
    /// The information rounds, oldest first; the last is open while the status is
    /// [`RequestStatus::InfoRequested`].
    pub rounds: Vec<InfoRound>,
    pub open_referrals: u32,
    pub applied: Vec<EventId>,
    pub refused: Vec<RefusedEvent>,
}

impl RequestState {
    fn new(request: RequestId) -> Self {
        Self {
            request,
            status: RequestStatus::Draft,
            submitted_at: None,
            clock_started_at: None,
            decision: None,
            rounds: Vec::new(),
            open_referrals: 0,
            applied: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Checks `event` against this state without changing it.
    pub fn check(&self, event: &WorkflowEvent) -> Result<RequestStatus, Refusal> {
        if !permitted(event.role, event.kind) {
            return Err(Refusal::NotPermitted);
        }
        if needs_reason(event.kind) && event.reason.trim().is_empty() {
            return Err(Refusal::ReasonRequired);
        }
        if event.kind == EventKind::ReferralAnswered && self.open_referrals == 0 {
            return Err(Refusal::NoOpenReferral);
        }
        if let Some(grant) = &event.grant
            && (event.kind != EventKind::Accepted || !grant.is_complete())
        {
            return Err(Refusal::InvalidGrant);
        }
        transition(self.status, event.kind)
    }

    fn apply(&mut self, event: &WorkflowEvent) {
        match self.check(event) {
            Err(why) => self.refused.push(RefusedEvent {
                event: event.id.clone(),
                why,
            }),
            Ok(next) => {
                match event.kind {
                    EventKind::Submitted => {
                        self.submitted_at = Some(event.at);
                        self.clock_started_at = Some(event.at);
                    }
                    EventKind::InfoRequested => self.rounds.push(InfoRound {
                        asked_by: event.actor.clone(),
                        asked_at: event.at,
                        question: event.reason.clone(),
                        answered_at: None,
                        answered_by: None,
                        answer: String::new(),
                    }),
                    EventKind::InfoProvided => {
                        if let Some(round) = self.rounds.last_mut() {
                            // The clock restarts where it stopped. Clocks of devices can be
                            // wrong: an answer "before" the question pauses nothing.
                            let waited = (event.at.get() - round.asked_at.get())
                                .max(chrono::TimeDelta::zero());
                            self.clock_started_at = self
                                .clock_started_at
                                .map(|start| Timestamp::new(start.get() + waited));
                            round.answered_at = Some(event.at);
                            round.answered_by = Some(event.actor.clone());
                            round.answer = event.reason.clone();
                        }
                    }
                    EventKind::Accepted | EventKind::Rejected => {
                        self.decision = Some(Decision {
                            accepted: event.kind == EventKind::Accepted,
                            by: event.actor.clone(),
                            at: event.at,
                            reason: event.reason.clone(),
                            grant: event.grant.clone(),
                        });
                    }
                    EventKind::Referred => self.open_referrals += 1,
                    EventKind::ReferralAnswered => self.open_referrals -= 1,
                    _ => {}
                }
                self.status = next;
                self.applied.push(event.id.clone());
            }
        }
    }

    /// The open information round: the committee's question waiting for an answer.
    pub fn open_round(&self) -> Option<&InfoRound> {
        match self.status {
            RequestStatus::InfoRequested => self.rounds.last(),
            _ => None,
        }
    }

    /// The day the committee's decision is due, while one is awaited.
    pub fn due_date(&self, sla: &SlaPolicy) -> Option<NaiveDate> {
        match self.status {
            RequestStatus::AwaitingDecision => self.clock_started_at.map(|t| sla.due_date(t)),
            _ => None,
        }
    }

    /// Whether a decision is awaited past its due date at `now`.
    pub fn is_overdue(&self, sla: &SlaPolicy, now: Timestamp) -> bool {
        self.due_date(sla)
            .is_some_and(|due| overdue_on(due, kuwait_date(now)))
    }
}

/// The derived state of every request of a case, in the order of `case.requests`.
pub fn derive(case: &CaseFile) -> Vec<RequestState> {
    let mut states: Vec<RequestState> = case
        .requests
        .iter()
        .map(|r| RequestState::new(r.id.clone()))
        .collect();
    for event in &case.events {
        // An event for a request this replica does not know is kept, not applied.
        if let Some(state) = states.iter_mut().find(|s| s.request == event.request) {
            state.apply(event);
        }
    }
    states
}

/// Events naming no request of the case (for display; they are never applied).
pub fn orphan_events(case: &CaseFile) -> Vec<RefusedEvent> {
    case.events
        .iter()
        .filter(|e| case.request(&e.request).is_none())
        .map(|e| RefusedEvent {
            event: e.id.clone(),
            why: Refusal::UnknownRequest,
        })
        .collect()
}

/// How days are counted for the committee's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayCount {
    /// Every day counts (the default: the policy's "two weeks").
    Calendar,
    /// Sunday to Thursday, less listed holidays.
    Working,
}

/// The committee's service-level target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub days: u32,
    pub count: DayCount,
    /// Public holidays, when counting working days.
    pub holidays: Vec<NaiveDate>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        Self {
            days: 14,
            count: DayCount::Calendar,
            holidays: Vec::new(),
        }
    }
}

impl SlaPolicy {
    /// The due date of a decision for a request (re)submitted at `start`.
    pub fn due_date(&self, start: Timestamp) -> NaiveDate {
        let start = kuwait_date(start);
        match self.count {
            DayCount::Calendar => start + Duration::days(i64::from(self.days)),
            DayCount::Working => {
                let mut day = start;
                let mut left = self.days;
                while left > 0 {
                    day += Duration::days(1);
                    if self.is_working_day(day) {
                        left -= 1;
                    }
                }
                day
            }
        }
    }

    /// Whether `day` is a working day in Kuwait under this policy.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Fri | Weekday::Sat) && !self.holidays.contains(&day)
    }

    /// Days from `today` to the due date of a request (re)submitted at `start`: positive while
    /// there is time left, 0 on the due day, negative once it is overdue.
    pub fn days_left(&self, start: Timestamp, today: NaiveDate) -> i64 {
        (self.due_date(start) - today).num_days()
    }

    /// Whether a decision awaited since `start` is overdue on `today` (the due day itself is
    /// still in time). The one definition of "overdue": console queue, dashboard, case list.
    pub fn is_overdue(&self, start: Timestamp, today: NaiveDate) -> bool {
        overdue_on(self.due_date(start), today)
    }

    /// Whether a decision made at `decided` for a request started at `start` met the target.
    pub fn met(&self, start: Timestamp, decided: Timestamp) -> bool {
        kuwait_date(decided) <= self.due_date(start)
    }
}

/// Whether a decision due on `due` is overdue on `today`.
pub fn overdue_on(due: NaiveDate, today: NaiveDate) -> bool {
    today > due
}

/// Kuwait's offset from UTC: +3 hours, all year.
pub fn kuwait_offset() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("+03:00 is a valid offset")
}

/// The calendar date in Kuwait at `at`.
pub fn kuwait_date(at: Timestamp) -> NaiveDate {
    at.get().with_timezone(&kuwait_offset()).date_naive()
}
