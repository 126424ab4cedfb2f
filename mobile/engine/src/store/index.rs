//! The case index: one row per case with what lists and search need, the name tokens and the
//! civil IDs and phones of every member; the list, search and duplicate-candidate queries, and
//! the due dates the SLA setting derives.

use rusqlite::{Connection, Transaction, params};

use mandoob_shared::arabic;
use mandoob_shared::ids::CaseId;
use mandoob_shared::validate::{civil_id, phone};
use mandoob_shared::workflow::RequestStatus;

use super::StoreError;
use crate::protocol::{CaseSummary, ListQuery};

/// What the case list and search show of a case, kept beside its document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexRow {
    pub id: String,
    pub reference: String,
    pub branch: String,
    pub head_name_ar: String,
    pub head_name_en: String,
    /// Civil IDs of every member (ASCII digits).
    pub civil_ids: Vec<String>,
    /// Phones of every member in E.164.
    pub phones: Vec<String>,
    /// Normalized name tokens of every member, Arabic and Latin.
    pub tokens: Vec<String>,
    pub status: String,
    pub due_date: Option<String>,
    /// When the committee's clock started (milliseconds), while a decision is awaited.
    pub awaiting_since: Option<i64>,
    pub follow_up: bool,
    pub conflicts: bool,
    pub updated_at: i64,
    pub unsynced: bool,
}

/// Writes the index row of a case and its search tokens.
pub fn write_index(tx: &Transaction<'_>, row: &IndexRow) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO cases (id, reference, branch, head_name_ar, head_name_en, civil_ids, phones,
                            status, due_date, follow_up, conflicts, updated_at, unsynced,
                            awaiting_since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET
            reference = excluded.reference, branch = excluded.branch,
            head_name_ar = excluded.head_name_ar, head_name_en = excluded.head_name_en,
            civil_ids = excluded.civil_ids, phones = excluded.phones, status = excluded.status,
            due_date = excluded.due_date, follow_up = excluded.follow_up,
            conflicts = excluded.conflicts, updated_at = excluded.updated_at,
            unsynced = excluded.unsynced, awaiting_since = excluded.awaiting_since",
    )?
    .execute(params![
        row.id,
        row.reference,
        row.branch,
        row.head_name_ar,
        row.head_name_en,
        row.civil_ids.join(" "),
        row.phones.join(" "),
        row.status,
        row.due_date,
        row.follow_up,
        row.conflicts,
        row.updated_at,
        row.unsynced,
        row.awaiting_since,
    ])?;
    let old: Vec<String> = tx
        .prepare_cached("SELECT token FROM name_tokens WHERE case_id = ?1")?
        .query_map([&row.id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tx.prepare_cached("DELETE FROM name_tokens WHERE case_id = ?1")?
        .execute([&row.id])?;
    tx.prepare_cached("DELETE FROM case_ids WHERE case_id = ?1")?
        .execute([&row.id])?;
    let mut tok =
        tx.prepare_cached("INSERT OR IGNORE INTO name_tokens (token, case_id) VALUES (?1, ?2)")?;
    for t in &row.tokens {
        tok.execute(params![t, row.id])?;
    }
    write_suffixes(tx, &old, &row.tokens)?;
    let mut ids =
        tx.prepare_cached("INSERT OR IGNORE INTO case_ids (value, case_id) VALUES (?1, ?2)")?;
    for v in &row.civil_ids {
        ids.execute(params![v, row.id])?;
    }
    // Phones in E.164 for exact matches and as national numbers for typed prefixes.
    for p in &row.phones {
        ids.execute(params![p, row.id])?;
        if let Some(national) = p.strip_prefix("+965") {
            ids.execute(params![national, row.id])?;
        }
    }
    Ok(())
}

/// Typed words of at least this many letters match anywhere in a name word (infix); shorter
/// ones (one letter) match word starts only, as a single letter inside words matches nearly
/// every household.
pub const INFIX_MIN_CHARS: usize = 2;

/// The suffixes of `token` of at least [`INFIX_MIN_CHARS`] letters, the whole token first: a
/// word typed is inside the token exactly when it starts one of them. Letters are Unicode
/// scalar values, as SQLite's `length` and `substr` count them (migration 5 computes the same).
pub fn suffixes(token: &str) -> impl Iterator<Item = &str> {
    let letters = token.chars().count();
    token
        .char_indices()
        .take((letters + 1).saturating_sub(INFIX_MIN_CHARS))
        .map(move |(i, _)| &token[i..])
}

/// Keeps `name_suffixes` in step with the name tokens of one case, `old` before and `new`
/// after its index row was written: the suffixes of a token new to the case are added (they
/// may be there already, for another case), those of a token it no longer has are removed
/// when no case has it any more. An edit that changes no name touches nothing.
fn write_suffixes(tx: &Transaction<'_>, old: &[String], new: &[String]) -> Result<(), StoreError> {
    let mut add =
        tx.prepare_cached("INSERT OR IGNORE INTO name_suffixes (suffix, token) VALUES (?1, ?2)")?;
    for t in new.iter().filter(|t| !old.contains(t)) {
        for s in suffixes(t) {
            add.execute(params![s, t])?;
        }
    }
    let mut used =
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM name_tokens WHERE token = ?1)")?;
    let mut remove =
        tx.prepare_cached("DELETE FROM name_suffixes WHERE suffix = ?1 AND token = ?2")?;
    for t in old.iter().filter(|t| !new.contains(t)) {
        if used.query_row([t], |r| r.get::<_, bool>(0))? {
            continue;
        }
        for s in suffixes(t) {
            remove.execute(params![s, t])?;
        }
    }
    Ok(())
}

/// The columns [`summary_from_row`] reads, in order.
const SUMMARY_COLUMNS: &str =
    "id, reference, head_name_ar, head_name_en, status, due_date, follow_up, conflicts, unsynced";

/// A case-list row from a `cases` row selected as [`SUMMARY_COLUMNS`]; overdue as of `today`
/// (`YYYY-MM-DD`, Kuwait).
fn summary_from_row(r: &rusqlite::Row<'_>, today: &str) -> rusqlite::Result<CaseSummary> {
    let status: String = r.get(4)?;
    let due: Option<String> = r.get(5)?;
    Ok(CaseSummary {
        id: CaseId::new(r.get::<_, String>(0)?),
        reference: r.get(1)?,
        head_name_ar: r.get(2)?,
        head_name_en: r.get(3)?,
        // `workflow::overdue_on` on ISO dates (`YYYY-MM-DD` sorts as it reads): past the due
        // day, as the console's queue and dashboard count it. The list's filter is the same
        // comparison in SQL.
        overdue: status == RequestStatus::AwaitingDecision.code()
            && due.as_deref().is_some_and(|d| d < today),
        status,
        due_date: due,
        follow_up: r.get(6)?,
        conflicts: r.get(7)?,
        unsynced: r.get(8)?,
    })
}

/// The case-list row of one case, overdue as of `today`.
pub fn summary(conn: &Connection, id: &str, today: &str) -> Result<CaseSummary, StoreError> {
    Ok(conn.query_row(
        &format!("SELECT {SUMMARY_COLUMNS} FROM cases WHERE id = ?1"),
        [id],
        |r| summary_from_row(r, today),
    )?)
}

/// Cases newest first, filtered by `q` and searched for `q.text` (trimmed): a civil ID, phone
/// or reference number when it looks numeric, else parts of name words (every word typed; a
/// one-letter word at the start of a name word) or part of a reference.
/// At most `limit` rows; overdue as of `today`.
pub fn list(
    conn: &Connection,
    q: &ListQuery,
    limit: u32,
    today: &str,
) -> Result<Vec<CaseSummary>, StoreError> {
    let mut sql = String::from(
        "SELECT c.id, c.reference, c.head_name_ar, c.head_name_en, c.status, c.due_date,
                c.follow_up, c.conflicts, c.unsynced
         FROM cases c WHERE 1 = 1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let text = q.text.trim();
    if !text.is_empty() {
        let digits: String = civil_id::ascii_digits(text)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let looks_numeric = !digits.is_empty()
            && civil_id::ascii_digits(text)
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if looks_numeric {
            // A civil ID or phone, whole or as a prefix; or a reference number.
            let phone = phone::parse(text).map(|p| p.e164().to_owned()).ok();
            sql.push_str(
                " AND (c.id IN (SELECT case_id FROM case_ids WHERE value >= ?1 AND value < ?2)
                       OR c.id IN (SELECT case_id FROM case_ids WHERE value = ?3)
                       OR c.reference LIKE ?4)",
            );
            args.push(digits.clone().into());
            args.push(format!("{digits}\u{10FFFF}").into());
            args.push(phone.unwrap_or_default().into());
            args.push(format!("%{digits}%").into());
        } else {
            let wanted = limit.saturating_add(q.offset);
            let name = name_condition(conn, text, wanted, &mut args)?;
            sql.push_str(&format!(" AND {name}"));
        }
    }
    if let Some(status) = q.status {
        args.push(status.code().to_owned().into());
        sql.push_str(&format!(" AND c.status = ?{}", args.len()));
    }
    if q.overdue_only {
        args.push(today.to_owned().into());
        sql.push_str(&format!(
            " AND c.status = 'awaiting-decision' AND c.due_date < ?{}",
            args.len()
        ));
    }
    if q.follow_up_only {
        sql.push_str(" AND c.follow_up = 1");
    }
    args.push(i64::from(limit).into());
    args.push(i64::from(q.offset).into());
    sql.push_str(&format!(
        " ORDER BY c.updated_at DESC, c.id LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            summary_from_row(r, today)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A word typed is "common" when it is in at least this many (name word, case) pairs per row
/// wanted: then the newest cases are read one by one until enough match, rather than all that
/// match collected and sorted.
const COMMON_PAIRS_PER_ROW: i64 = 20;

/// The condition on `name_tokens.token` for one word typed, its bounds in parameters `?a` and
/// `?b`: part of a name word (the start of one of its suffixes), or for a one-letter word the
/// start of one.
fn word_condition(infix: bool, a: usize, b: usize) -> String {
    if infix {
        format!("token IN (SELECT token FROM name_suffixes WHERE suffix >= ?{a} AND suffix < ?{b})")
    } else {
        format!("token >= ?{a} AND token < ?{b}")
    }
}

/// The condition on case `c` of a name search for `text`, its parameters pushed on `args`:
/// every word typed is part of a name word of the household, or `text` is part of the case's
/// reference. `wanted` rows (limit and offset) are read.
///
/// Two plans give the same rows: SQLite has no statistics, and neither plan suits every word.
/// A word in few cases is best looked up (`c.id IN`: its cases collected from `name_tokens`,
/// then sorted); a word in most cases (the article ال, or two letters) is best checked case by
/// case, newest first, stopping after `wanted` (`EXISTS`), where collecting would go through
/// tens of thousands of (word, case) pairs. A bounded count of each word's pairs chooses. When
/// a word is looked up, the reference is matched by a scan of its own index (`c.rowid IN`), so
/// that SQLite takes the union of the two lookups instead of reading every case; it is not
/// matched at all when the text has a character no reference has (Arabic letters, spaces).
fn name_condition(
    conn: &Connection,
    text: &str,
    wanted: u32,
    args: &mut Vec<rusqlite::types::Value>,
) -> Result<String, StoreError> {
    let common_pairs = COMMON_PAIRS_PER_ROW * i64::from(wanted.max(1));
    let mut words = Vec::new();
    for token in arabic::tokens(text) {
        let infix = token.chars().count() >= INFIX_MIN_CHARS;
        let high = format!("{token}\u{10FFFF}");
        let pairs: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM name_tokens WHERE {} LIMIT ?3)",
                word_condition(infix, 1, 2)
            ))?
            .query_row(params![token, high, common_pairs], |r| r.get(0))?;
        args.push(token.into());
        args.push(high.into());
        words.push((
            word_condition(infix, args.len() - 1, args.len()),
            pairs >= common_pairs,
        ));
    }
    let name = if words.is_empty() {
        String::from("0 = 1")
    } else {
        words
            .iter()
            .map(|(w, common)| {
                if *common {
                    format!("EXISTS (SELECT 1 FROM name_tokens WHERE case_id = c.id AND {w})")
                } else {
                    format!("c.id IN (SELECT case_id FROM name_tokens WHERE {w})")
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    // A reference has capitals, digits and hyphens only (`schema::is_case_reference`); LIKE
    // ignores the case of Latin letters.
    if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Ok(format!("({name})"));
    }
    args.push(format!("%{text}%").into());
    let like = args.len();
    let reference = if words.iter().all(|(_, common)| *common) {
        format!("c.reference LIKE ?{like}")
    } else {
        format!("c.rowid IN (SELECT rowid FROM cases WHERE reference LIKE ?{like})")
    };
    Ok(format!("(({name}) OR {reference})"))
}

/// Every case whose head's names (Arabic, Latin) `score` gives a score, with that score.
pub fn scored_by_name(
    conn: &Connection,
    today: &str,
    mut score: impl FnMut(&str, &str) -> Option<f64>,
) -> Result<Vec<(f64, CaseSummary)>, StoreError> {
    let mut scored = Vec::new();
    let mut stmt = conn.prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM cases"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let ar: String = r.get(2)?;
        let en: String = r.get(3)?;
        if let Some(s) = score(&ar, &en) {
            scored.push((s, summary_from_row(r, today)?));
        }
    }
    Ok(scored)
}

/// Cases with a member whose civil ID or phone (E.164) is `value`.
pub fn cases_with_id(conn: &Connection, value: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT case_id FROM case_ids WHERE value = ?1")?;
    Ok(stmt
        .query_map([value], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?)
}

/// Cases with a member name word exactly `token` (at most 200).
pub fn cases_with_token(conn: &Connection, token: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT case_id FROM name_tokens WHERE token = ?1 LIMIT 200")?;
    Ok(stmt
        .query_map([token], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?)
}

/// Cases awaiting a decision whose row does not say when the committee's clock started
/// (written before that was indexed).
pub fn awaiting_without_start(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id FROM cases WHERE status = 'awaiting-decision' AND awaiting_since IS NULL",
    )?;
    Ok(stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Cases whose row says when the committee's clock started, and when (milliseconds).
pub fn awaiting_starts(conn: &Connection) -> Result<Vec<(String, Option<i64>)>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT id, awaiting_since FROM cases WHERE awaiting_since IS NOT NULL")?;
    Ok(stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Sets when a case's clock started and its due date.
pub fn set_due(
    tx: &Transaction<'_>,
    id: &str,
    awaiting_since: Option<i64>,
    due_date: Option<String>,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE cases SET awaiting_since = ?2, due_date = ?3 WHERE id = ?1")?
        .execute(params![id, awaiting_since, due_date])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use mandoob_shared::doc::{Author, CaseDoc};
    use mandoob_shared::ids::{BranchCode, DeviceCode, Timestamp, UserId};
    use mandoob_shared::workflow::{DayCount, Role, SlaPolicy};

    /// A new SLA recomputes every due date, also for rows indexed before the clock's start
    /// was kept (read from their documents).
    #[test]
    fn a_new_sla_recomputes_due_dates_of_old_and_new_rows() {
        let mut e = Engine::in_memory().expect("engine");
        e.set_session(crate::protocol::Session {
            user: UserId::new("rep-7"),
            role: Role::Representative,
            branch: BranchCode::new("QRN"),
            device: DeviceCode::new("A7"),
        })
        .expect("session");
        let mut ids = Vec::new();
        for seed in [1, 2] {
            let case = mandoob_shared::sample::realistic_case(seed);
            let author = Author {
                user: case.created_by.clone(),
                at: Timestamp::now(),
            };
            let mut doc = CaseDoc::create(&case, &author).expect("doc");
            ids.push(e.import_case(&mut doc, false).expect("import"));
        }
        // The first row as an older engine wrote it.
        e.store()
            .conn()
            .execute(
                "UPDATE cases SET awaiting_since = NULL WHERE id = ?1",
                [ids[0].as_str()],
            )
            .expect("update");
        let sla = SlaPolicy {
            days: 30,
            count: DayCount::Working,
            holidays: Vec::new(),
        };
        e.set_sla(sla.clone()).expect("set");
        for id in &ids {
            let opened = e.open_case(id).expect("open");
            let expected = opened.requests[0].due_date(&sla).map(|d| d.to_string());
            assert!(expected.is_some());
            let due: Option<String> = e
                .store()
                .conn()
                .query_row(
                    "SELECT due_date FROM cases WHERE id = ?1",
                    [id.as_str()],
                    |r| r.get(0),
                )
                .expect("row");
            assert_eq!(due, expected, "{id:?}");
        }
        // Kept across a restart of the engine: read back from the settings.
        assert_eq!(&e.sla, &sla);
        let json: String = e
            .store()
            .conn()
            .query_row("SELECT value FROM settings WHERE key = 'sla'", [], |r| {
                r.get(0)
            })
            .expect("saved");
        assert_eq!(serde_json::from_str::<SlaPolicy>(&json).expect("json"), sla);
    }
}
