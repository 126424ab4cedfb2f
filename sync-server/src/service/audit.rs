//! The audit log: who changed what, from the console or the command line, and who signed in
//! to the console or enrolled a device. The console shows each action by its translated name
//! (`console-audit-{action}`) and its detail in words.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use mandoob_shared::ids::UserId;

use crate::storage::{AuditEntry, Storage};

/// Who an audited change is by: a signed-in user, or the server's command line (named by the
/// operating-system account that ran it; a name no user can have).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct By(pub UserId);

impl By {
    /// The command line, as the operating-system user running it.
    pub fn command_line() -> Self {
        let who = std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "unknown".into());
        By(UserId::new(format!("cli:{who}")))
    }
}

/// Every action the log records (its label is the message `console-audit-{action}`).
pub const ACTIONS: &[&str] = &[
    "sign-in",
    "enrol-device",
    "decision",
    "referral-answer",
    "resolve-conflict",
    "export",
    "create-user",
    "activate-user",
    "deactivate-user",
    "lock-user",
    "unlock-user",
    "revoke-device",
    "create-branch",
    "set-sla",
    "publish-document",
    "retire-document",
    "change-password",
    "reset-password",
    "change-role",
    "approve-device",
    "hold-push",
    "apply-held",
    "discard-held",
];

/// The detail of a `decision` entry (JSON): the outcome's code, the reason as typed, and what
/// was granted when it is not what was asked (dinars as written, help in kind).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionDetail {
    pub outcome: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub granted: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub in_kind: String,
}

/// The detail of a `publish-document` or `retire-document` entry (JSON): the document's
/// titles, so the log names it in either language after it is withdrawn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Titles {
    pub ar: String,
    pub en: String,
}

/// A detail as JSON.
pub fn json(detail: &impl Serialize) -> String {
    serde_json::to_string(detail).unwrap_or_default()
}

/// Records an action in the audit log. A failure to write it is logged, never hidden from the
/// log, but does not undo the action (which is already stored).
pub async fn record(storage: &dyn Storage, by: &By, action: &str, target: &str, detail: &str) {
    let entry = AuditEntry {
        at: Utc::now().timestamp_millis(),
        user: by.0.clone(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: detail.to_owned(),
    };
    if let Err(e) = storage.audit(&entry).await {
        tracing::error!(error = %e, ?entry, "could not write the audit log");
    }
}
