//! What a list of cases needs to know about one case file, without its document: who the
//! household is (names as search tokens, civil IDs, phones), where its latest request stands,
//! and whether anything needs attention.
//!
//! Whoever has just read a case computes its summary: the device after each edit, the server
//! after each stored change. The server sends it with each whole document on a first sync, so
//! a device can index thousands of received cases without reading every document (reading is
//! most of a first sync's work). The summary names the document heads it was computed at; a
//! device uses it only when they equal the heads of the document it received, and only when
//! it knows the summary's [`SUMMARY_VERSION`]; otherwise it reads the document itself.
//!
//! SLA-dependent values (the due date) are not in the summary: it carries when the committee's
//! clock started, and each side applies its own SLA setting.

use serde::{Deserialize, Serialize};

use crate::arabic;
use crate::ids::Timestamp;
use crate::model::CaseFile;
use crate::validate::{civil_id, phone};
use crate::workflow::{self, RequestStatus, SlaPolicy};

/// Bumped whenever what goes into a summary changes meaning.
pub const SUMMARY_VERSION: u32 = 1;

/// A case file's list entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub version: u32,
    /// The automerge heads of the document this summary was computed from.
    pub heads: Vec<[u8; 32]>,
    pub reference: String,
    pub branch: String,
    pub head_name_ar: String,
    pub head_name_en: String,
    /// Civil IDs of every member with a valid one (ASCII digits).
    pub civil_ids: Vec<String>,
    /// Phones of every member with a valid one, in E.164.
    pub phones: Vec<String>,
    /// Normalized name tokens of every member, Arabic and Latin, sorted, without repeats.
    pub tokens: Vec<String>,
    /// The status of the latest request (draft when there is none).
    pub status: RequestStatus,
    /// The earliest moment the committee's clock started among requests awaiting a decision.
    pub awaiting_since: Option<Timestamp>,
    /// A contact asks for a follow-up that is not done yet.
    pub follow_up: bool,
    /// Some field holds concurrent values.
    pub conflicts: bool,
    /// The latest moment recorded anywhere in the case (milliseconds since the epoch).
    pub updated_at: i64,
}

impl Summary {
    /// The summary of `case` as read from a document with `heads`.
    pub fn of(case: &CaseFile, conflicts: bool, heads: Vec<[u8; 32]>) -> Self {
        // Civil IDs are indexed whatever the holder's age today: a date far in the future
        // accepts every birth date the check digit allows.
        let today = chrono::NaiveDate::MAX;
        let head = case.head();
        let mut tokens = Vec::new();
        let mut civil_ids = Vec::new();
        let mut phones = Vec::new();
        for m in &case.household.members {
            tokens.extend(arabic::tokens(&m.name_ar));
            tokens.extend(arabic::tokens(&m.name_en));
            if let Ok(id) = civil_id::parse(&m.civil_id, today) {
                civil_ids.push(id.as_str().to_owned());
            }
            if let Ok(p) = phone::parse(&m.phone) {
                phones.push(p.e164().to_owned());
            }
        }
        tokens.sort();
        tokens.dedup();
        let states = workflow::derive(case);
        let status = states.last().map_or(RequestStatus::Draft, |s| s.status);
        let awaiting_since = states
            .iter()
            .filter(|s| s.status == RequestStatus::AwaitingDecision)
            .filter_map(|s| s.clock_started_at)
            .min();
        let follow_up = case
            .contacts
            .iter()
            .any(|c| c.follow_up_on.is_some() && !c.follow_up_done);
        let updated_at = case
            .events
            .iter()
            .map(|e| e.at)
            .chain(case.contacts.iter().map(|c| c.at))
            .chain(case.visits.iter().map(|v| v.at))
            .chain(case.documents.iter().map(|d| d.captured_at))
            .chain(std::iter::once(case.created_at))
            .max()
            .map_or(0, Timestamp::millis);
        Self {
            version: SUMMARY_VERSION,
            heads,
            reference: case.reference.as_str().to_owned(),
            branch: case.branch.as_str().to_owned(),
            head_name_ar: head.map(|h| h.name_ar.clone()).unwrap_or_default(),
            head_name_en: head.map(|h| h.name_en.clone()).unwrap_or_default(),
            civil_ids,
            phones,
            tokens,
            status,
            awaiting_since,
            follow_up,
            conflicts,
            updated_at,
        }
    }

    /// The day the committee's decision is due under `sla`, while one is awaited. The due
    /// date only moves later with a later start, so the earliest start gives the earliest due
    /// date of all requests awaiting a decision.
    pub fn due_date(&self, sla: &SlaPolicy) -> Option<chrono::NaiveDate> {
        self.awaiting_since.map(|t| sla.due_date(t))
    }

    /// Whether this summary was computed by this version of the rules from a document with
    /// exactly `heads`.
    pub fn describes(&self, heads: &[[u8; 32]]) -> bool {
        self.version == SUMMARY_VERSION && self.heads == heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::workflow::DayCount;

    #[test]
    fn due_date_is_that_of_the_request_waiting_longest() {
        for seed in 0..300 {
            let case = sample::realistic_case(seed);
            let summary = Summary::of(&case, false, Vec::new());
            for sla in [
                SlaPolicy::default(),
                SlaPolicy {
                    count: DayCount::Working,
                    ..SlaPolicy::default()
                },
            ] {
                let expected = workflow::derive(&case)
                    .iter()
                    .filter_map(|s| s.due_date(&sla))
                    .min();
                assert_eq!(summary.due_date(&sla), expected, "seed {seed}");
            }
        }
    }

    #[test]
    fn describes_only_its_own_heads_and_version() {
        let case = sample::realistic_case(1);
        let summary = Summary::of(&case, false, vec![[7; 32]]);
        assert!(summary.describes(&[[7; 32]]));
        assert!(!summary.describes(&[[8; 32]]));
        assert!(!summary.describes(&[]));
        let older = Summary {
            version: SUMMARY_VERSION + 1,
            ..summary
        };
        assert!(!older.describes(&[[7; 32]]));
    }
}
