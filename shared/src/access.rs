//! Who may do what: the one place for access rules. The server's push checks, its device API,
//! the console (what it shows and what it accepts) and the app read these functions instead of
//! matching on roles themselves, so a rule changes here and nowhere else.
//!
//! Workflow steps (who may record which event) are [`crate::workflow::permitted`]; the rules
//! here are built on it where they concern a step.

use crate::ids::BranchCode;
use crate::workflow::{EventKind, Role, permitted};

/// Which cases a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Branch(BranchCode),
}

impl Scope {
    /// Whether a case of `branch` is in this scope.
    pub fn contains(&self, branch: &BranchCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Branch(b) => b == branch,
        }
    }
}

/// Whether `role` is bound to its branch: it sees and changes only its branch's cases.
/// Representatives and social-research officers work for one branch; the committee and
/// administrators for the whole society.
pub fn branch_bound(role: Role) -> bool {
    matches!(role, Role::Representative | Role::SocialResearcher)
}

/// The cases a user of `role` in `branch` may see.
pub fn scope_of(role: Role, branch: &BranchCode) -> Scope {
    if branch_bound(role) {
        Scope::Branch(branch.clone())
    } else {
        Scope::All
    }
}

/// Whether `role` may register a household (create a case file).
pub fn may_register(role: Role) -> bool {
    matches!(role, Role::Representative | Role::Administrator)
}

/// Whether `role` may record the committee's decision on a request (accept, reject, ask for
/// more information). The policy gives the decision to the research committee alone.
pub fn may_decide(role: Role) -> bool {
    [
        EventKind::Accepted,
        EventKind::Rejected,
        EventKind::InfoRequested,
    ]
    .into_iter()
    .all(|kind| permitted(role, kind))
}

/// Whether `role` may answer a referral to the social-research officer.
pub fn may_answer_referrals(role: Role) -> bool {
    permitted(role, EventKind::ReferralAnswered)
}

/// Whether `role` may keep one of a field's concurrent values.
pub fn may_resolve_conflicts(role: Role) -> bool {
    role != Role::Representative
}

/// Whether `role` may sign in to the HQ console (representatives work in the field app).
pub fn may_use_console(role: Role) -> bool {
    role != Role::Representative
}

/// Whether `role` sees the committee's queue, the dashboard and the exports.
pub fn sees_queue(role: Role) -> bool {
    matches!(role, Role::Committee | Role::Administrator)
}

/// Whether `role` administers accounts, devices, branches, the SLA and the library.
pub fn may_administer(role: Role) -> bool {
    role == Role::Administrator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_committee_decides() {
        let deciders: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| may_decide(*r))
            .collect();
        assert_eq!(deciders, vec![Role::Committee]);
    }

    #[test]
    fn field_roles_see_their_branch_only() {
        let qrn = BranchCode::new("QRN");
        let jah = BranchCode::new("JAH");
        for role in Role::ALL.iter().copied() {
            let scope = scope_of(role, &qrn);
            assert!(scope.contains(&qrn));
            assert_eq!(scope.contains(&jah), !branch_bound(role), "{role:?}");
        }
        assert!(branch_bound(Role::Representative));
        assert!(branch_bound(Role::SocialResearcher));
        assert!(!branch_bound(Role::Committee));
        assert!(!branch_bound(Role::Administrator));
    }
}
