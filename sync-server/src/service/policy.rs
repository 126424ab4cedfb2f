//! The society's review target as the server applies it: the SLA setting (administration) and
//! what "overdue" means ([`SlaPolicy::is_overdue`], the one definition the queue, the dashboard
//! and the devices share).

use mandoob_shared::ids::Timestamp;
use mandoob_shared::workflow::{DayCount, SlaPolicy, kuwait_date};

use super::ServiceError;
use super::audit::{self, By};
use crate::storage::Storage;

const SLA_DAYS: &str = "sla_days";
const SLA_COUNT: &str = "sla_count";

/// The SLA setting, or the policy's two calendar weeks. A setting that cannot be read falls
/// back to the policy (and is logged): the queue must still show.
pub async fn sla(storage: &dyn Storage) -> SlaPolicy {
    let mut sla = SlaPolicy::default();
    match storage.setting(SLA_DAYS).await {
        Ok(Some(days)) => {
            if let Ok(days) = days.parse::<u32>() {
                sla.days = days;
            }
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "could not read the SLA setting"),
    }
    if let Ok(Some(count)) = storage.setting(SLA_COUNT).await
        && count == "working"
    {
        sla.count = DayCount::Working;
    }
    sla
}

/// Why an SLA setting is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the target is 1 to 90 days, counted in calendar or working days")]
pub struct BadSla;

/// Sets the decision target: `days` (1 to 90), counted as `count` (`calendar` or `working`).
pub async fn set_sla(
    storage: &dyn Storage,
    days: u32,
    count: &str,
    by: &By,
) -> Result<Result<(), BadSla>, ServiceError> {
    if !(1..=90).contains(&days) || !matches!(count, "calendar" | "working") {
        return Ok(Err(BadSla));
    }
    storage.set_setting(SLA_DAYS, &days.to_string()).await?;
    storage.set_setting(SLA_COUNT, count).await?;
    audit::record(storage, by, "set-sla", "sla", &format!("{days} {count}")).await;
    Ok(Ok(()))
}

/// Today in Kuwait.
pub fn today() -> chrono::NaiveDate {
    kuwait_date(Timestamp::now())
}
