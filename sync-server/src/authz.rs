//! What a user may change in a case file, checked on every pushed change by comparing the case
//! before and after it. Whatever a device sends, a representative cannot record a committee
//! decision, touch another branch's case, or rewrite history.

use std::collections::BTreeMap;

use mandoob_shared::access;
use mandoob_shared::history;
use mandoob_shared::ids::UserId;
use mandoob_shared::model::CaseFile;
use mandoob_shared::workflow;

use crate::storage::UserRecord;

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub code: &'static str,
    pub message: String,
}

fn deny(code: &'static str, message: impl Into<String>) -> Result<(), Denied> {
    Err(Denied {
        code,
        message: message.into(),
    })
}

/// Whether `user` may take the case from `before` (None: it did not exist) to `after`.
pub fn check(user: &UserRecord, before: Option<&CaseFile>, after: &CaseFile) -> Result<(), Denied> {
    if access::branch_bound(user.role) && after.branch != user.branch {
        return deny(
            "other-branch",
            format!(
                "this case belongs to branch {}, not {}",
                after.branch, user.branch
            ),
        );
    }
    match before {
        None => {
            if !access::may_register(user.role) {
                return deny(
                    "not-permitted",
                    "only representatives and administrators register households",
                );
            }
            if after.created_by != user.id {
                return deny(
                    "identity",
                    "a new case must be created by the signed-in user",
                );
            }
            if !after.events.is_empty() {
                // Creation carries no workflow: steps are checked one by one below.
                for e in &after.events {
                    check_event(user, e)?;
                }
            }
        }
        Some(before) => {
            if before.id != after.id
                || before.reference != after.reference
                || before.branch != after.branch
                || before.created_by != after.created_by
                || before.created_at != after.created_at
            {
                return deny(
                    "immutable",
                    "a case's id, reference, branch and creation cannot change",
                );
            }
            if let Err(v) = history::check(before, after) {
                return deny(v.code, v.message);
            }
            let old: BTreeMap<_, _> = before.events.iter().map(|e| (&e.id, e)).collect();
            for e in &after.events {
                if !old.contains_key(&e.id) {
                    check_event(user, e)?;
                }
            }
        }
    }
    check_referral_answers(user, before, after)?;
    check_attribution(user, before, after)?;
    check_new_surveys(before, after)?;
    Ok(())
}

/// A new satisfaction survey answers something, with scores from 1 to 5 (as the app checks):
/// an empty one would count in the satisfaction figures as an answer.
fn check_new_surveys(before: Option<&CaseFile>, after: &CaseFile) -> Result<(), Denied> {
    let known: std::collections::BTreeSet<&str> = before
        .map(|b| b.surveys.iter().map(|s| s.id.as_str()).collect())
        .unwrap_or_default();
    for s in after
        .surveys
        .iter()
        .filter(|s| !known.contains(s.id.as_str()))
    {
        if let Some(e) = mandoob_shared::validate::survey(s).first() {
            return deny(
                "invalid-survey",
                format!("survey {}: {}", s.id, e.code.code()),
            );
        }
    }
    Ok(())
}

fn check_event(user: &UserRecord, e: &mandoob_shared::model::WorkflowEvent) -> Result<(), Denied> {
    if e.actor != user.id || e.role != user.role {
        return deny(
            "identity",
            "a workflow step must be recorded by the signed-in user in their role",
        );
    }
    if !workflow::permitted(user.role, e.kind) {
        return deny(
            "not-permitted",
            format!("a {} may not record {}", user.role.code(), e.kind.code()),
        );
    }
    if let Some(grant) = &e.grant
        && (e.kind != workflow::EventKind::Accepted || !grant.is_complete())
    {
        return deny(
            "invalid-grant",
            "a grant goes with an acceptance and names an amount or help in kind",
        );
    }
    Ok(())
}

/// A referral is answered only by the social-research officer (or an administrator), in their
/// own name; an answer, once given, is history (see `history`).
fn check_referral_answers(
    user: &UserRecord,
    before: Option<&CaseFile>,
    after: &CaseFile,
) -> Result<(), Denied> {
    for r in &after.referrals {
        let prior = before.and_then(|b| b.referrals.iter().find(|p| p.id == r.id));
        let changed = match prior {
            Some(p) => {
                p.answer != r.answer
                    || p.answered_by != r.answered_by
                    || p.answered_at != r.answered_at
            }
            None => r.answer.is_some() || r.answered_by.is_some() || r.answered_at.is_some(),
        };
        if !changed {
            continue;
        }
        if !access::may_answer_referrals(user.role) {
            return deny(
                "not-permitted",
                "only the social-research officer answers a referral",
            );
        }
        if r.answered_by.as_ref() != Some(&user.id)
            || r.answer.as_deref().is_none_or(|a| a.trim().is_empty())
            || r.answered_at.is_none()
        {
            return deny(
                "identity",
                "a referral's answer must be written, dated and signed by the signed-in officer",
            );
        }
    }
    Ok(())
}

/// Records name who made them: a new visit, document, contact, referral, service or survey
/// names the signed-in account, and nobody rewrites who made an existing one.
fn check_attribution(
    user: &UserRecord,
    before: Option<&CaseFile>,
    after: &CaseFile,
) -> Result<(), Denied> {
    fn authors(case: &CaseFile) -> Vec<(&str, &UserId)> {
        let mut out = Vec::new();
        out.extend(case.visits.iter().map(|v| (v.id.as_str(), &v.by)));
        out.extend(
            case.documents
                .iter()
                .map(|d| (d.id.as_str(), &d.captured_by)),
        );
        out.extend(case.contacts.iter().map(|c| (c.id.as_str(), &c.by)));
        out.extend(case.referrals.iter().map(|r| (r.id.as_str(), &r.by)));
        out.extend(case.services.iter().map(|s| (s.id.as_str(), &s.by)));
        out.extend(
            case.surveys
                .iter()
                .map(|s| (s.id.as_str(), &s.administered_by)),
        );
        out
    }
    let old: BTreeMap<&str, &UserId> = before
        .map(authors)
        .unwrap_or_default()
        .into_iter()
        .collect();
    for (id, by) in authors(after) {
        match old.get(id) {
            Some(prior) if *prior != by => {
                return deny("identity", "who made a record cannot be rewritten");
            }
            Some(_) => {}
            None if by != &user.id => {
                return deny(
                    "identity",
                    "a new record must name the signed-in account as its author",
                );
            }
            None => {}
        }
    }
    Ok(())
}
