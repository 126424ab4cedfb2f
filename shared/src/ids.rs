//! Typed identifiers and small scalar newtypes of the case file.
//!
//! Every id is a newtype so that a `MemberId` can never be passed where a `DocumentId` is expected.
//! Ids are stored in the automerge document as strings: readable in exports and logs, and the
//! same in JSON and in automerge.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an existing identifier.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(&self.0)
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(value: &'_ str) -> Result<Self, HydrateError> {
                Ok(Self(value.to_owned()))
            }
        }
    };
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        string_id!($(#[$meta])* $name);

        impl $name {
            /// A fresh, time-ordered (UUIDv7) identifier: unique without coordination, so
            /// devices can create records offline.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }
        }
    };
}

uuid_id!(
    /// Identifies one household case file (and its automerge document).
    CaseId
);
uuid_id!(
    /// A member of a household.
    MemberId
);
uuid_id!(
    /// A support request within a case.
    RequestId
);
uuid_id!(
    /// A home visit or interview.
    VisitId
);
uuid_id!(
    /// A captured document (its photo is a blob named by `sha256`).
    DocumentId
);
uuid_id!(
    /// An entry of the contact log.
    ContactId
);
uuid_id!(
    /// A referral to the social-research officer.
    ReferralId
);
uuid_id!(
    /// A service delivered.
    ServiceId
);
uuid_id!(
    /// A satisfaction survey.
    SurveyId
);
uuid_id!(
    /// A workflow event.
    EventId
);
uuid_id!(
    /// A line of income or expense.
    MoneyLineId
);
string_id!(
    /// A user account (representative, officer, committee member, administrator).
    UserId
);
string_id!(
    /// A branch of the society, by its short code (for example `QRN`).
    BranchCode
);
string_id!(
    /// An enrolled device, by its short code.
    DeviceCode
);
string_id!(
    /// The human-readable reference of a case: branch code, device code and a per-device
    /// sequence (`QRN-A7-00042`), made offline without collisions.
    CaseReference
);

impl CaseReference {
    /// Builds the reference of the `sequence`-th case made on a device.
    pub fn compose(branch: &BranchCode, device: &DeviceCode, sequence: u32) -> Self {
        Self(format!("{branch}-{device}-{sequence:05}"))
    }
}

/// A moment in time, stored as an automerge timestamp (milliseconds since the Unix epoch, UTC).
/// Always whole milliseconds, so a value read back from a document equals the one written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "DateTime<Utc>", into = "DateTime<Utc>")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The moment `at`, truncated to whole milliseconds.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self::from_millis(at.timestamp_millis()).unwrap_or(Self(at))
    }

    /// Now, by the system clock.
    pub fn now() -> Self {
        Self::new(Utc::now())
    }

    /// The moment as a chrono date-time.
    pub fn get(self) -> DateTime<Utc> {
        self.0
    }

    /// The timestamp from milliseconds since the epoch; `None` when out of chrono's range.
    pub fn from_millis(millis: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(millis).single().map(Self)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self::new(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.millis())
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(millis: i64) -> Result<Self, HydrateError> {
        Self::from_millis(millis)
            .ok_or_else(|| HydrateError::unexpected("a timestamp in range", format!("{millis} ms")))
    }
}

/// A calendar date (birth date, expiry, follow-up), stored as `YYYY-MM-DD` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Builds a date; `None` when it does not exist.
    pub fn ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Reconcile for Date {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_string())
    }
}

impl Hydrate for Date {
    fn hydrate_string(value: &'_ str) -> Result<Self, HydrateError> {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| HydrateError::unexpected("a YYYY-MM-DD date", value.to_owned()))
    }
}

/// An amount of money in fils (1 Kuwaiti dinar = 1,000 fils). Integer, so sums are exact.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fils(pub i64);

impl Fils {
    /// Whole dinars.
    pub fn from_kwd(dinars: i64) -> Self {
        Self(dinars.saturating_mul(1000))
    }
}

/// An amount in dinars that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAmount;

/// Reads an amount in Kuwaiti dinars as a person types it ("150", "150.5", "١٥٠٫٢٥٠") into
/// fils; empty text is `None`. The device's forms and the console read amounts with it.
pub fn parse_kwd(text: &str) -> Result<Option<Fils>, BadAmount> {
    let ascii: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٫' | ',' => '.',
            other => other,
        })
        .collect();
    if ascii.is_empty() {
        return Ok(None);
    }
    let (whole, frac) = ascii.split_once('.').unwrap_or((&ascii, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 3
        || whole.len() > 9
    {
        return Err(BadAmount);
    }
    let dinars: i64 = whole.parse().map_err(|_| BadAmount)?;
    let fils: i64 = format!("{frac:0<3}").parse().map_err(|_| BadAmount)?;
    let total = dinars * 1000 + fils;
    // More than a case may record (`schema::MAX_FILS`) is a typing mistake, said here.
    if total > crate::schema::MAX_FILS {
        return Err(BadAmount);
    }
    Ok(Some(Fils(total)))
}

impl fmt::Display for Fils {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:03}", abs / 1000, abs % 1000)
    }
}

impl Reconcile for Fils {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.i64(self.0)
    }
}

impl Hydrate for Fils {
    fn hydrate_int(value: i64) -> Result<Self, HydrateError> {
        Ok(Self(value))
    }
    fn hydrate_uint(value: u64) -> Result<Self, HydrateError> {
        i64::try_from(value)
            .map(Self)
            .map_err(|_| HydrateError::unexpected("an amount in fils", value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fils_display_as_dinars() {
        assert_eq!(Fils(125_500).to_string(), "125.500");
        assert_eq!(Fils(-5).to_string(), "-0.005");
        assert_eq!(Fils::from_kwd(3).to_string(), "3.000");
    }

    #[test]
    fn reference_is_zero_padded() {
        let r = CaseReference::compose(&"QRN".into(), &"A7".into(), 42);
        assert_eq!(r.as_str(), "QRN-A7-00042");
    }
}
