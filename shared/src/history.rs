//! What may change once it is written: the case file's history is append-only.
//!
//! One table ([`RULES`]) says, for every kind of record that is part of the history, from when
//! it is frozen. The server enforces it on every pushed change ([`check`], comparing the case
//! before and after the change), and the device engine checks the same before it writes an
//! edit, so the app never makes a change the server would refuse; the app's screens ask
//! [`request_edit`] what they may offer.

use std::collections::HashMap;

use crate::ids::{DocumentId, EventId};
use crate::model::{CaseFile, SupportRequest};
use crate::workflow::{self, RequestState, RequestStatus};

/// A kind of record that becomes part of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// A workflow event (submission, decision, referral, delivery…).
    Event,
    /// A referral to the social-research officer.
    Referral,
    /// The applicant's signed declaration on a request.
    Declaration,
    /// A support request.
    Request,
    /// A document (photo) attached to a request.
    Document,
}

/// From when a record is frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freeze {
    /// From the moment it is written: never edited, removed or moved.
    Written,
    /// Once answered: the question and the answer stay as they are, and it is never removed.
    Answered,
    /// Once its request is submitted: type, amount, reason and declaration frozen, never
    /// removed; while the committee waits for information, documents may be added (not
    /// removed).
    Submitted,
    /// Once attached to a submitted request (the request's documents list or its signature).
    AttachedToSubmitted,
}

/// One line of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub record: Record,
    pub freeze: Freeze,
}

/// The whole table.
pub const RULES: &[Rule] = &[
    Rule {
        record: Record::Event,
        freeze: Freeze::Written,
    },
    Rule {
        record: Record::Referral,
        freeze: Freeze::Answered,
    },
    // In a draft the applicant may sign again (after a correction); the declaration that
    // went to the committee stays.
    Rule {
        record: Record::Declaration,
        freeze: Freeze::Submitted,
    },
    Rule {
        record: Record::Request,
        freeze: Freeze::Submitted,
    },
    Rule {
        record: Record::Document,
        freeze: Freeze::AttachedToSubmitted,
    },
];

/// When `record` freezes (from [`RULES`]).
pub fn freeze_of(record: Record) -> Freeze {
    RULES
        .iter()
        .find(|r| r.record == record)
        .map_or(Freeze::Written, |r| r.freeze)
}

/// A change that would rewrite history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Violation {
    pub record: Record,
    /// A stable code for messages: `history`.
    pub code: &'static str,
    pub message: String,
}

fn violation(record: Record, message: impl Into<String>) -> Result<(), Violation> {
    Err(Violation {
        record,
        code: "history",
        message: message.into(),
    })
}

/// What may still be changed on a request, by its status (the app offers only these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestEdit {
    /// Type, amount and reason.
    pub details: bool,
    pub add_documents: bool,
    pub remove_documents: bool,
    /// Sign (or sign again) the declaration.
    pub sign: bool,
    /// Remove the request altogether.
    pub remove: bool,
}

/// What may change on a request in `status`.
pub fn request_edit_in(status: RequestStatus) -> RequestEdit {
    match (status, freeze_of(Record::Request)) {
        (RequestStatus::Draft, _) => RequestEdit {
            details: true,
            add_documents: true,
            remove_documents: true,
            sign: true,
            remove: true,
        },
        (RequestStatus::InfoRequested, Freeze::Submitted) => RequestEdit {
            add_documents: true,
            ..RequestEdit::default()
        },
        _ => RequestEdit::default(),
    }
}

/// What may change on one request of `case` (`None`: no such request).
pub fn request_edit(case: &CaseFile, request: &crate::ids::RequestId) -> Option<RequestEdit> {
    let state = workflow::derive(case)
        .into_iter()
        .find(|s| &s.request == request)?;
    Some(request_edit_in(state.status))
}

/// Whether going from `before` to `after` keeps every frozen record as it was.
pub fn check(before: &CaseFile, after: &CaseFile) -> Result<(), Violation> {
    check_events(before, after)?;
    check_referrals(before, after)?;
    let before_states = workflow::derive(before);
    let mut frozen_documents: Vec<&DocumentId> = Vec::new();
    for (request, state) in before.requests.iter().zip(&before_states) {
        let now = after.request(&request.id);
        check_request(request, state, now)?;
        if state.status != RequestStatus::Draft {
            frozen_documents.extend(&request.documents);
            if let Some(d) = &request.declaration {
                frozen_documents.push(&d.signature);
            }
        }
    }
    for id in frozen_documents {
        if let Some(old) = before.document(id)
            && after.document(id) != Some(old)
        {
            return violation(
                Record::Document,
                "a document attached to a submitted request cannot be changed or removed",
            );
        }
    }
    Ok(())
}

fn check_events(before: &CaseFile, after: &CaseFile) -> Result<(), Violation> {
    // Every old event still there, unchanged, in the same order relative to the others.
    let positions: HashMap<&EventId, usize> = after
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| (&e.id, i))
        .collect();
    let mut last = None;
    for e in &before.events {
        let Some(&pos) = positions.get(&e.id) else {
            return violation(Record::Event, "workflow events cannot be removed");
        };
        if after.events[pos] != *e {
            return violation(Record::Event, "workflow events cannot be changed");
        }
        if last.is_some_and(|l| pos < l) {
            return violation(Record::Event, "workflow events cannot be reordered");
        }
        last = Some(pos);
    }
    // What the events decided stays decided: for every request, every event applied before is
    // still applied, and its decision is the same. (A concurrent event may land before events
    // the server already has, in automerge's list order; it may add a step, never undo one.)
    let new_states = workflow::derive(after);
    for old in workflow::derive(before) {
        let Some(new) = new_states.iter().find(|s| s.request == old.request) else {
            continue; // a removed request: see `check_request`
        };
        let still_applied: std::collections::HashSet<&EventId> = new.applied.iter().collect();
        if old.applied.iter().any(|e| !still_applied.contains(e))
            || (old.decision.is_some() && new.decision != old.decision)
        {
            return violation(
                Record::Event,
                "new events cannot change what earlier events decided",
            );
        }
    }
    Ok(())
}

fn check_referrals(before: &CaseFile, after: &CaseFile) -> Result<(), Violation> {
    for old in before.referrals.iter().filter(|r| r.answer.is_some()) {
        if after.referrals.iter().find(|r| r.id == old.id) != Some(old) {
            return violation(
                Record::Referral,
                "an answered referral cannot be changed or removed",
            );
        }
    }
    Ok(())
}

fn check_request(
    old: &SupportRequest,
    state: &RequestState,
    now: Option<&SupportRequest>,
) -> Result<(), Violation> {
    let allowed = request_edit_in(state.status);
    let Some(now) = now else {
        return if allowed.remove {
            Ok(())
        } else {
            violation(Record::Request, "a submitted request cannot be removed")
        };
    };
    if !allowed.details
        && (now.kind != old.kind || now.amount != old.amount || now.reason != old.reason)
    {
        return violation(
            Record::Request,
            "the type, amount and reason of a submitted request cannot be changed",
        );
    }
    if old.declaration.is_some() && now.declaration != old.declaration && !allowed.sign {
        return violation(
            Record::Declaration,
            "a signed declaration cannot be changed",
        );
    }
    let removed = old.documents.iter().any(|d| !now.documents.contains(d));
    let added = now.documents.iter().any(|d| !old.documents.contains(d));
    let reordered = {
        let kept: Vec<_> = now
            .documents
            .iter()
            .filter(|d| old.documents.contains(d))
            .collect();
        kept.len() == old.documents.len() && kept.iter().zip(&old.documents).any(|(a, b)| *a != b)
    };
    if (removed && !allowed.remove_documents)
        || (added && !allowed.add_documents)
        || (reordered && !allowed.remove_documents)
    {
        return violation(
            Record::Request,
            "the documents of a submitted request cannot be changed",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Fils;

    fn accepted_case() -> CaseFile {
        let mut case = crate::sample::realistic_case(3);
        let request = case.requests[0].id.clone();
        case.events.push(crate::model::WorkflowEvent {
            id: EventId::generate(),
            kind: workflow::EventKind::Accepted,
            request,
            actor: "committee".into(),
            role: workflow::Role::Committee,
            at: crate::ids::Timestamp::now(),
            reason: "مستحق".into(),
            grant: None,
        });
        assert_eq!(
            workflow::derive(&case)[0].status,
            RequestStatus::Accepted,
            "the sample's request is submitted"
        );
        case
    }

    #[test]
    fn reordering_events_is_refused() {
        let before = accepted_case();
        let mut after = before.clone();
        after.events.reverse();
        assert!(check(&before, &after).is_err());
    }

    #[test]
    fn a_decided_amount_is_frozen() {
        let before = accepted_case();
        let mut after = before.clone();
        after.requests[0].amount = Some(Fils::from_kwd(4_500));
        assert_eq!(check(&before, &after).unwrap_err().record, Record::Request);
        let mut after = before.clone();
        after.requests.clear();
        assert!(check(&before, &after).is_err());
    }

    #[test]
    fn new_work_is_allowed() {
        let before = accepted_case();
        let mut after = before.clone();
        after.household.notes = "ملاحظة".into();
        after.events.push(crate::model::WorkflowEvent {
            id: EventId::generate(),
            kind: workflow::EventKind::Registered,
            request: before.requests[0].id.clone(),
            actor: "rep-1".into(),
            role: workflow::Role::Representative,
            at: crate::ids::Timestamp::now(),
            reason: String::new(),
            grant: None,
        });
        assert_eq!(check(&before, &after), Ok(()));
    }

    #[test]
    fn the_table_drives_what_the_app_offers() {
        assert!(request_edit_in(RequestStatus::Draft).details);
        let info = request_edit_in(RequestStatus::InfoRequested);
        assert!(info.add_documents && !info.details && !info.remove_documents);
        assert_eq!(
            request_edit_in(RequestStatus::Accepted),
            RequestEdit::default()
        );
    }
}
