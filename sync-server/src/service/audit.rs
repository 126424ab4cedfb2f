//! The audit log: who changed what, from the console or the command line.

use chrono::Utc;
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
