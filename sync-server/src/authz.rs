//! What a user may change in a case file, checked on every pushed change by comparing the case
//! before and after it. Whatever a device sends, a representative cannot record a committee
//! decision, touch another branch's case, or rewrite history.

use std::collections::BTreeMap;

use mandoob_shared::model::CaseFile;
use mandoob_shared::workflow::{self, Role};

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
    let branch_bound = matches!(user.role, Role::Representative | Role::SocialResearcher);
    if branch_bound && after.branch != user.branch {
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
            if !matches!(user.role, Role::Representative | Role::Administrator) {
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
            let old: BTreeMap<_, _> = before.events.iter().map(|e| (&e.id, e)).collect();
            let new: BTreeMap<_, _> = after.events.iter().map(|e| (&e.id, e)).collect();
            for (id, e) in &old {
                if new.get(id) != Some(e) {
                    return deny("history", "workflow events cannot be changed or removed");
                }
            }
            for (id, e) in &new {
                if !old.contains_key(id) {
                    check_event(user, e)?;
                }
            }
            if user.role == Role::Representative {
                for r in &after.referrals {
                    let prior = before.referrals.iter().find(|p| p.id == r.id);
                    let answer_changed = match prior {
                        Some(p) => p.answer != r.answer || p.answered_by != r.answered_by,
                        None => r.answer.is_some(),
                    };
                    if answer_changed {
                        return deny(
                            "not-permitted",
                            "only the social-research officer answers a referral",
                        );
                    }
                }
            }
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
    Ok(())
}
