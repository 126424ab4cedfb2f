//! Lists, search and duplicate candidates, read from the case index (`store::index`) without
//! loading documents; and the index row a case file gives.

use mandoob_shared::dedupe::{self, Person};
use mandoob_shared::ids::CaseId;
use mandoob_shared::model::CaseFile;
use mandoob_shared::summary::Summary;
use mandoob_shared::validate::{civil_id, phone};
use mandoob_shared::workflow::SlaPolicy;
use mandoob_shared::{arabic, ids::Timestamp};

use crate::engine::Engine;
use crate::protocol::{CaseSummary, CivilIdHolder, DuplicateCandidate, EngineError, ListQuery};
use crate::store::{IndexRow, index};

impl Engine {
    /// Lists cases, newest first, filtered and searched.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<CaseSummary>, EngineError> {
        let limit = if q.limit == 0 { 50 } else { q.limit.min(500) };
        let today = self.today().to_string();
        let rows = index::list(self.store().conn(), q, limit, &today)?;
        let text = q.text.trim();
        if rows.is_empty() && !text.is_empty() && q.offset == 0 {
            return self.fuzzy(text, limit as usize);
        }
        Ok(rows)
    }

    /// When no name starts with what was typed, the closest names by similarity.
    fn fuzzy(&self, text: &str, limit: usize) -> Result<Vec<CaseSummary>, EngineError> {
        if civil_id::ascii_digits(text)
            .chars()
            .any(|c| c.is_ascii_digit())
        {
            return Ok(Vec::new());
        }
        let today = self.today().to_string();
        let mut scored = index::scored_by_name(self.store().conn(), &today, |ar, en| {
            let score = dedupe::name_similarity(text, ar).max(dedupe::name_similarity(text, en));
            (score >= 0.8).then_some(score)
        })?;
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(scored.into_iter().take(limit).map(|(_, s)| s).collect())
    }

    /// Households on file that may be the one being registered: the same civil ID, or a
    /// similar name (any member) with the same phone.
    pub fn find_duplicates(
        &self,
        name: &str,
        civil: &str,
        phone_text: &str,
    ) -> Result<Vec<DuplicateCandidate>, EngineError> {
        let probe = Person {
            name,
            civil_id: civil,
            phone: phone_text,
        };
        let mut candidates: Vec<String> = Vec::new();
        let conn = self.store().conn();
        let digits: String = civil_id::ascii_digits(civil)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.len() == 12 {
            candidates.extend(index::cases_with_id(conn, &digits)?);
        }
        if let Ok(p) = phone::parse(phone_text) {
            candidates.extend(index::cases_with_id(conn, p.e164())?);
        }
        // Cases sharing a name token (exact) are compared too, for same-name-other-phone.
        for token in arabic::tokens(name).iter().skip(1).take(3) {
            candidates.extend(index::cases_with_token(conn, token)?);
        }
        candidates.sort();
        candidates.dedup();
        let mut out = Vec::new();
        for id in candidates {
            let doc = self.store().load_doc(&id)?;
            let case = doc.hydrate()?;
            let best = case
                .household
                .members
                .iter()
                .map(|m| {
                    let other = Person {
                        name: if m.name_ar.is_empty() {
                            &m.name_en
                        } else {
                            &m.name_ar
                        },
                        civil_id: &m.civil_id,
                        phone: &m.phone,
                    };
                    let mut s = dedupe::score(&probe, &other);
                    if !m.name_en.is_empty() {
                        let en = dedupe::score(
                            &probe,
                            &Person {
                                name: &m.name_en,
                                ..other.clone()
                            },
                        );
                        if en.score > s.score {
                            s = en;
                        }
                    }
                    (s, m.name_ar.clone())
                })
                .max_by(|a, b| a.0.score.total_cmp(&b.0.score));
            if let Some((score, member_name)) = best
                && score.is_candidate()
            {
                let summary = self.summary(&id)?;
                out.push(DuplicateCandidate {
                    case: summary,
                    member_name,
                    score,
                });
            }
        }
        out.sort_by(|a, b| b.score.score.total_cmp(&a.score.score));
        Ok(out)
    }

    /// The households on this device, but `except`, with a member holding civil ID `civil`
    /// (head or not), from the index of every member's civil ID; and who holds it there. Empty
    /// when `civil` is not a valid civil ID (the form says what is wrong with it).
    pub fn civil_id_holders(
        &self,
        civil: &str,
        except: Option<&CaseId>,
    ) -> Result<Vec<CivilIdHolder>, EngineError> {
        // Indexed whatever the holder's age today (as `Summary::of` indexes them).
        let Ok(wanted) = civil_id::parse(civil, chrono::NaiveDate::MAX) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for id in index::cases_with_id(self.store().conn(), wanted.as_str())? {
            if except.is_some_and(|e| e.as_str() == id) {
                continue;
            }
            let case = self.store().load_doc(&id)?.hydrate()?;
            let summary = self.summary(&id)?;
            for m in &case.household.members {
                if civil_id::parse(&m.civil_id, chrono::NaiveDate::MAX)
                    .is_ok_and(|c| c.as_str() == wanted.as_str())
                {
                    out.push(CivilIdHolder {
                        case: summary.clone(),
                        member: m.id.clone(),
                        member_name: m.name_ar.clone(),
                        relation: m.relation,
                    });
                }
            }
        }
        Ok(out)
    }

    fn summary(&self, id: &str) -> Result<CaseSummary, EngineError> {
        let today = self.today().to_string();
        Ok(index::summary(self.store().conn(), id, &today)?)
    }
}

/// The index row of a case: what lists and search need.
pub fn index_row(case: &CaseFile, conflicts: bool, sla: &SlaPolicy, unsynced: bool) -> IndexRow {
    summary_row(
        case.id.as_str(),
        Summary::of(case, conflicts, Vec::new()),
        sla,
        unsynced,
    )
}

/// The index row of a case from its summary (computed here, or by the server).
pub fn summary_row(id: &str, s: Summary, sla: &SlaPolicy, unsynced: bool) -> IndexRow {
    IndexRow {
        id: id.to_owned(),
        due_date: s.due_date(sla).map(|d| d.to_string()),
        awaiting_since: s.awaiting_since.map(Timestamp::millis),
        reference: s.reference,
        branch: s.branch,
        head_name_ar: s.head_name_ar,
        head_name_en: s.head_name_en,
        civil_ids: s.civil_ids,
        phones: s.phones,
        tokens: s.tokens,
        status: s.status.code().to_owned(),
        follow_up: s.follow_up,
        conflicts: s.conflicts,
        updated_at: s.updated_at,
        unsynced,
    }
}
