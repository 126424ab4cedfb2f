//! The audit log for administrators: who did what and when, in words of the user's language
//! (actions by their translated name; people, devices, branches and documents by their names
//! rather than codes or ids), filtered by who, what and when, a page at a time, and exported
//! as CSV (with the same guard against formulas as every export).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::access::may_administer;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::workflow::{Role, kuwait_offset};

use super::export::{Cell, Table, to_csv};
use super::view::{Paging, pager};
use super::{Console, ConsoleError, date_time_of, layout};
use crate::service::audit::{ACTIONS, DecisionDetail, Titles};
use crate::service::policy::today;
use crate::state::AppState;
use crate::storage::{AuditEntry, AuditFilter};

/// How many entries one page shows.
const PAGE: u32 = 100;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    /// Whose entries (a username, `cli:…`, `server:…`); empty for everyone.
    #[serde(default)]
    who: String,
    /// Which action; empty for all.
    #[serde(default)]
    what: String,
    /// From this day (Kuwait, `YYYY-MM-DD`), inclusive.
    #[serde(default)]
    from: String,
    /// To this day (Kuwait, `YYYY-MM-DD`), inclusive.
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

/// Midnight starting `day` in Kuwait, in milliseconds.
fn kuwait_midnight(day: NaiveDate) -> Option<i64> {
    day.and_hms_opt(0, 0, 0)?
        .and_local_timezone(kuwait_offset())
        .single()
        .map(|t| t.timestamp_millis())
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl AuditQuery {
    pub fn filter(&self) -> AuditFilter {
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        AuditFilter {
            user: non_empty(&self.who),
            action: non_empty(&self.what),
            from: day(&self.from).and_then(kuwait_midnight),
            until: day(&self.to)
                .and_then(|d| d.succ_opt())
                .and_then(kuwait_midnight),
        }
    }

    /// The query string of these filters (with a page, for the page links).
    fn query(&self, page: Option<u32>) -> String {
        let page = page.map(|p| p.to_string()).unwrap_or_default();
        let mut pairs = vec![
            ("who", self.who.as_str()),
            ("what", self.what.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ];
        if !page.is_empty() {
            pairs.push(("page", &page));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What codes stand for: people, devices and branches by name.
#[derive(Debug, Default)]
pub struct Names {
    users: HashMap<String, String>,
    /// Device code → (its user, its name).
    devices: HashMap<String, (String, String)>,
    branches: HashMap<String, String>,
}

impl Names {
    pub async fn load(state: &AppState) -> Result<Self, ConsoleError> {
        let users = state.storage.users().await?;
        let devices = state.storage.devices().await?;
        let branches = state.storage.branches().await?;
        Ok(Self {
            users: users
                .into_iter()
                .map(|u| (u.id.as_str().to_owned(), u.display_name))
                .collect(),
            devices: devices
                .into_iter()
                .map(|d| {
                    (
                        d.code.as_str().to_owned(),
                        (d.user.as_str().to_owned(), d.name),
                    )
                })
                .collect(),
            branches: branches
                .into_iter()
                .map(|(c, n)| (c.as_str().to_owned(), n))
                .collect(),
        })
    }

    /// A person by name, with the username when it differs.
    fn person(&self, t: &Translator, id: &str) -> String {
        if let Some(os_user) = id.strip_prefix("cli:") {
            return t.text_with("console-audit-by-cli", &[("user", os_user)]);
        }
        if id == "server:sign-in-limits" {
            return t.text("console-audit-by-limits");
        }
        match self.users.get(id) {
            Some(name) if name != id => format!("{name} ({id})"),
            _ => id.to_owned(),
        }
    }
}

/// One entry in words: each cell a list of parts, each shown isolated (mixed directions).
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub at: i64,
    pub who: String,
    pub action: String,
    pub target: Vec<String>,
    pub detail: Vec<String>,
}

/// The number a detail starts with (`22`, or `22 rows` as entries before issue 16 said).
fn leading_number(s: &str) -> Option<u64> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// An entry as a person reads it, in `t`'s language.
pub fn describe(t: &Translator, names: &Names, e: &AuditEntry) -> Described {
    let action = if ACTIONS.contains(&e.action.as_str()) {
        t.text(&format!("console-audit-{}", e.action))
    } else {
        e.action.clone()
    };
    let some = |s: &str| -> Vec<String> {
        if s.trim().is_empty() {
            Vec::new()
        } else {
            vec![s.trim().to_owned()]
        }
    };
    let (target, detail) = match e.action.as_str() {
        "sign-in" => (Vec::new(), Vec::new()),
        "decision" => {
            let detail = match serde_json::from_str::<DecisionDetail>(&e.detail) {
                Ok(d) => {
                    let mut parts = vec![outcome(t, &d.outcome)];
                    parts.extend(some(&d.reason));
                    if !d.granted.is_empty() {
                        parts.push(format!(
                            "{}: {} {}",
                            t.text("console-granted"),
                            d.granted,
                            t.text("console-kwd")
                        ));
                    }
                    if !d.in_kind.is_empty() {
                        parts.push(format!("{}: {}", t.text("console-in-kind"), d.in_kind));
                    }
                    parts
                }
                // Before issue 16: "accepted: the reason".
                Err(_) => match e.detail.split_once(": ") {
                    Some((code, rest)) => {
                        let mut parts = vec![outcome(t, code)];
                        parts.extend(some(rest));
                        parts
                    }
                    None => some(&e.detail),
                },
            };
            (some(&e.target), detail)
        }
        "referral-answer" => {
            // Entries before issue 16 held the referral's id, which says nothing to a person.
            let said = if mandoob_shared::schema::is_uuid(e.detail.trim()) {
                Vec::new()
            } else {
                some(&e.detail)
            };
            (some(&e.target), said)
        }
        "export" => {
            let (what, format) = e.target.rsplit_once('.').unwrap_or((&e.target, ""));
            let key = match what {
                "audit" => "console-nav-audit".to_owned(),
                _ => format!("console-export-{what}"),
            };
            let name = if t.has(&key) {
                format!("{} ({})", t.text(&key), format.to_uppercase())
            } else {
                e.target.clone()
            };
            let rows = leading_number(&e.detail)
                .map(|n| vec![t.text_count("console-audit-rows", "count", n)])
                .unwrap_or_default();
            (vec![name], rows)
        }
        "create-user" | "activate-user" | "deactivate-user" | "lock-user" | "unlock-user"
        | "change-password" | "reset-password" | "change-role" => {
            let role = |code: &str| {
                Role::from_code(code)
                    .map(|r| t.text(&r.label_key()))
                    .unwrap_or_else(|| code.to_owned())
            };
            let detail = match e.action.as_str() {
                // "old new": from one role to another.
                "change-role" => match e.detail.split_once(' ') {
                    Some((from, to)) => vec![t.text_with(
                        "console-audit-role-change",
                        &[("from", &role(from)), ("to", &role(to))],
                    )],
                    None => some(&e.detail),
                },
                "create-user" => Role::from_code(&e.detail)
                    .map(|r| vec![t.text(&r.label_key())])
                    .unwrap_or_else(|| some(&e.detail)),
                "lock-user" => leading_number(&e.detail)
                    .map(|n| vec![t.text_count("console-audit-failures", "count", n)])
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            (vec![names.person(t, &e.target)], detail)
        }
        "revoke-device" | "enrol-device" | "approve-device" => {
            let mut target = vec![e.target.clone()];
            match names.devices.get(&e.target) {
                Some((user, name)) => {
                    target.push(names.person(t, user));
                    target.extend(some(name));
                }
                None => target.extend(some(&e.detail)),
            }
            (target, Vec::new())
        }
        "create-branch" => {
            let name = names
                .branches
                .get(&e.target)
                .cloned()
                .unwrap_or_else(|| e.detail.clone());
            (
                some(&name).into_iter().chain(some(&e.target)).collect(),
                Vec::new(),
            )
        }
        "set-sla" => {
            let detail = match e.detail.split_once(' ') {
                Some((days, count)) if matches!(count, "calendar" | "working") => vec![
                    t.text_with("console-audit-sla-days", &[("days", days)]),
                    t.text(&format!("console-sla-{count}")),
                ],
                _ => some(&e.detail),
            };
            (Vec::new(), detail)
        }
        "publish-document" | "retire-document" => {
            let title = match serde_json::from_str::<Titles>(&e.detail) {
                Ok(titles) if t.lang() == Lang::En => titles.en,
                Ok(titles) => titles.ar,
                // Before issue 16: the English title, or nothing (then the document's id).
                Err(_) if !e.detail.trim().is_empty() => e.detail.clone(),
                Err(_) => e.target.clone(),
            };
            (some(&title), Vec::new())
        }
        _ => (some(&e.target), some(&e.detail)),
    };
    Described {
        at: e.at,
        who: names.person(t, e.user.as_str()),
        action,
        target,
        detail,
    }
}

/// A decision's outcome in words.
fn outcome(t: &Translator, code: &str) -> String {
    match code {
        "accepted" => t.text("status-accepted"),
        "rejected" => t.text("status-rejected"),
        "info-requested" => t.text("console-ask-info"),
        other => other.to_owned(),
    }
}

/// Parts of a cell, each isolated so a reference, a name or a reason in the other direction
/// keeps its order.
fn parts(parts: &[String]) -> Markup {
    html! {
        @if !parts.is_empty() {
            span {
                @for (i, p) in parts.iter().enumerate() {
                    @if i > 0 { " · " }
                    bdi { (p) }
                }
            }
        }
    }
}

pub async fn audit(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let paging = Paging::new(&q.page, PAGE);
    let filter = q.filter();
    let entries = state
        .storage
        .audit_page(&filter, paging.offset(), PAGE)
        .await?;
    let authors = state.storage.audit_authors().await?;
    let names = Names::load(&state).await?;
    let t = &cx.t;
    let [date, user, action, target, detail] = [
        "console-date",
        "console-user",
        "console-action",
        "console-target",
        "console-detail",
    ]
    .map(|k| t.text(k));
    let body = html! {
        form.filters method="get" action="/console/audit" {
            label { (t.text("console-audit-who"))
                select name="who" {
                    option value="" { (t.text("console-all")) }
                    @for a in &authors {
                        option value=(a.as_str()) selected[q.who == a.as_str()] { (names.person(t, a.as_str())) }
                    }
                }
            }
            label { (t.text("console-audit-what"))
                select name="what" {
                    option value="" { (t.text("console-all")) }
                    @for a in ACTIONS {
                        option value=(a) selected[q.what == *a] { (t.text(&format!("console-audit-{a}"))) }
                    }
                }
            }
            label { (t.text("console-audit-from")) input type="date" name="from" value=(q.from) dir="ltr"; }
            label { (t.text("console-audit-to")) input type="date" name="to" value=(q.to) dir="ltr"; }
            button type="submit" { (t.text("console-filter")) }
        }
        p.count {
            (t.text_count("console-audit-count", "count", entries.total)) " · "
            a.export href=(format!("/console/audit.csv?{}", q.query(None))) download { (t.text_with("console-audit-download", &[("format", "CSV")])) }
        }
        @if entries.rows.is_empty() {
            p.empty { (t.text("console-nothing")) }
        } @else {
            table.audit.cards {
                thead { tr { th { (date) } th { (user) } th { (action) } th { (target) } th { (detail) } } }
                tbody {
                    @for e in &entries.rows {
                        @let d = describe(t, &names, e);
                        tr data-action=(e.action) {
                            td.lead { time dir="ltr" { (date_time_of(d.at)) } }
                            td data-label=(user) { bdi { (d.who) } }
                            td data-label=(action) { (d.action) }
                            td data-label=(target) { (parts(&d.target)) }
                            td data-label=(detail) { (parts(&d.detail)) }
                        }
                    }
                }
            }
        }
        (pager(t, paging, entries.total, |page| format!("/console/audit?{}", q.query(Some(page)))))
    };
    Ok(layout(&cx, "audit", &t.text("console-nav-audit"), body).into_response())
}

/// The entries matching the filters as CSV, in words as on the page; audited as an export.
pub async fn export(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(may_administer)?;
    let entries = state.storage.audit_page(&q.filter(), 0, u32::MAX).await?;
    let names = Names::load(&state).await?;
    let t = &cx.t;
    let table = Table {
        headings: [
            "console-date",
            "console-user",
            "console-action",
            "console-target",
            "console-detail",
        ]
        .iter()
        .map(|k| t.text(k))
        .collect(),
        rows: entries
            .rows
            .iter()
            .map(|e| {
                let d = describe(t, &names, e);
                vec![
                    Cell::Text(date_time_of(d.at)),
                    Cell::Text(d.who),
                    Cell::Text(d.action),
                    Cell::Text(d.target.join(" · ")),
                    Cell::Text(d.detail.join(" · ")),
                ]
            })
            .collect(),
    };
    let bytes = to_csv(&table).map_err(|e| {
        tracing::error!(error = %e, "audit export failed");
        ConsoleError::failed()
    })?;
    cx.audit(&state, "export", "audit.csv", &table.rows.len().to_string())
        .await;
    let disposition = format!("attachment; filename=\"mandoob-audit-{}.csv\"", today());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::ids::UserId;

    fn entry(user: &str, action: &str, target: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            at: 0,
            user: UserId::new(user),
            action: action.into(),
            target: target.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn entries_read_as_words_not_codes() {
        let t = Translator::new(Lang::Ar);
        let mut names = Names::default();
        names.users.insert("admin".into(), "مدير".into());
        names.users.insert("rep-a".into(), "أحمد".into());
        names
            .devices
            .insert("D1".into(), ("rep-a".into(), "هاتف أحمد".into()));
        let d = describe(&t, &names, &entry("admin", "revoke-device", "D1", ""));
        assert_eq!(d.who, "مدير (admin)");
        assert_eq!(d.action, t.text("console-audit-revoke-device"));
        assert_eq!(d.target, ["D1", "أحمد (rep-a)", "هاتف أحمد"]);
        let d = describe(
            &t,
            &names,
            &entry("admin", "export", "requests.csv", "22 rows"),
        );
        assert_eq!(d.detail, [t.text_count("console-audit-rows", "count", 22)]);
        assert!(!d.target[0].contains("requests"), "{:?}", d.target);
        let d = describe(
            &t,
            &names,
            &entry("admin", "create-user", "rep-a", "representative"),
        );
        assert_eq!(d.target, ["أحمد (rep-a)"]);
        assert_eq!(d.detail, [t.text("role-representative")]);
        let answered = "0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b";
        let d = describe(
            &t,
            &names,
            &entry("x", "referral-answer", "QRN-1", answered),
        );
        assert!(d.detail.is_empty(), "no id shown");
        let detail = crate::service::audit::json(&DecisionDetail {
            outcome: "rejected".into(),
            reason: "لا يستحق".into(),
            ..DecisionDetail::default()
        });
        let d = describe(&t, &names, &entry("x", "decision", "QRN-1", &detail));
        assert_eq!(d.detail, [t.text("status-rejected"), "لا يستحق".to_owned()]);
        let d = describe(
            &t,
            &names,
            &entry("cli:root", "set-sla", "sla", "10 working"),
        );
        assert!(d.who.contains("root") && d.detail.len() == 2, "{d:?}");
    }

    #[test]
    fn dates_filter_whole_days_in_kuwait() {
        let q = AuditQuery {
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
            ..AuditQuery::default()
        };
        let f = q.filter();
        // Midnight in Kuwait is 21:00 UTC the day before.
        assert_eq!(f.from, Some(1_796_072_400_000));
        assert_eq!(f.until.zip(f.from).map(|(u, f)| u - f), Some(86_400_000));
        assert_eq!(AuditQuery::default().filter(), AuditFilter::default());
    }
}
