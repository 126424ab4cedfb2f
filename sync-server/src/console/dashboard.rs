//! Dashboards: decisions within the two-week target, requests by type, branch and status, the
//! overdue list, satisfaction per branch and month, contacts per channel. Figures are computed
//! from the report rows ([`crate::report`]); charts are SVG drawn here, so the page needs no
//! script and prints as it shows.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::ids::Timestamp;
use mandoob_shared::workflow::{SlaPolicy, kuwait_date};

use mandoob_shared::access;

use super::view::{Paging, pager};
use super::{Console, ConsoleError, Names, date_of, layout, reference};
use crate::service::policy::{self, today};
use crate::state::AppState;
use crate::storage::{ReportRows, RequestRow};

/// The figures of the dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub decided: usize,
    pub decided_in_time: usize,
    /// Median days from (re)submission to decision.
    pub median_days: Option<f64>,
    pub by_type: BTreeMap<String, usize>,
    pub by_branch: BTreeMap<String, usize>,
    pub by_status: BTreeMap<String, usize>,
    pub overdue: Vec<RequestRow>,
    /// Per branch: (answers, sum of overall scores, count of each score 1..=5).
    pub satisfaction_by_branch: BTreeMap<String, (usize, i64, [usize; 5])>,
    /// Per month (`YYYY-MM`, Kuwait time): (answers, sum of overall scores, count of each
    /// score 1..=5).
    pub satisfaction_by_month: BTreeMap<String, (usize, i64, [usize; 5])>,
    pub contacts_by_channel: BTreeMap<String, usize>,
}

/// Computes the dashboard's figures from report rows.
pub fn figures(rows: &ReportRows, sla: &SlaPolicy) -> Figures {
    let mut f = Figures::default();
    let mut days = Vec::new();
    let today = today();
    for r in &rows.requests {
        *f.by_type.entry(r.kind.clone()).or_default() += 1;
        *f.by_branch.entry(r.branch.clone()).or_default() += 1;
        *f.by_status.entry(r.status.clone()).or_default() += 1;
        let start = r.clock_started_at.and_then(Timestamp::from_millis);
        if let (Some(start), Some(decided)) = (start, r.decided_at.and_then(Timestamp::from_millis))
        {
            f.decided += 1;
            if sla.met(start, decided) {
                f.decided_in_time += 1;
            }
            days.push((kuwait_date(decided) - kuwait_date(start)).num_days() as f64);
        }
        if r.awaiting()
            && let Some(start) = start
            && sla.is_overdue(start, today)
        {
            f.overdue.push(r.clone());
        }
    }
    f.overdue.sort_by_key(|r| r.clock_started_at);
    days.sort_by(|a, b| a.total_cmp(b));
    f.median_days = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    for s in &rows.surveys {
        let Some(score) = s.overall.filter(|v| (1..=5).contains(v)) else {
            continue;
        };
        let b = f
            .satisfaction_by_branch
            .entry(s.branch.clone())
            .or_default();
        b.0 += 1;
        b.1 += score;
        b.2[(score - 1) as usize] += 1;
        let month = date_of(s.at).get(..7).unwrap_or_default().to_owned();
        let m = f.satisfaction_by_month.entry(month).or_default();
        m.0 += 1;
        m.1 += score;
        m.2[(score - 1) as usize] += 1;
    }
    for c in &rows.contacts {
        *f.contacts_by_channel.entry(c.channel.clone()).or_default() += 1;
    }
    f
}

/// A horizontal bar chart: one row per labelled value, its label and figure as text of the page
/// (so they wrap, keep 16 px on a phone and read right-to-left), its bar an SVG scaled to
/// `max` over a track of the whole scale (5 for satisfaction, so 4 of 5 fills four fifths);
/// the stylesheet mirrors the bar on right-to-left pages.
pub fn bar_chart(title: &str, bars: &[(String, f64, String)], max: f64) -> Markup {
    let max = if max > 0.0 { max } else { 1.0 };
    html! {
        figure.chart {
            figcaption { (title) }
            ol.bars {
                @for (label, value, shown) in bars {
                    @let w = (value / max * 100.0).clamp(0.0, 100.0);
                    li {
                        span.label dir="auto" { (label) }
                        svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
                            rect.track x="0" y="0" width="100" height="10" {}
                            rect.bar x="0" y="0" width=(format!("{w:.2}")) height="10" {}
                        }
                        span.value { bdi dir="ltr" { (shown) } }
                    }
                }
            }
        }
    }
}

/// How many overdue requests one page of the dashboard lists.
const OVERDUE_PAGE: u32 = 50;

#[derive(Debug, Deserialize, Default)]
pub struct DashboardQuery {
    /// The page of the overdue list.
    #[serde(default)]
    overdue: String,
}

pub async fn dashboard(
    State(state): State<AppState>,
    cx: Console,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, ConsoleError> {
    cx.require(access::sees_queue)?;
    let rows = state.storage.report_rows(&cx.scope()).await?;
    let sla = policy::sla(state.storage.as_ref()).await;
    let f = figures(&rows, &sla);
    let names = Names::load(&state).await?;
    let t = &cx.t;
    let share = if f.decided == 0 {
        0.0
    } else {
        100.0 * f.decided_in_time as f64 / f.decided as f64
    };
    let count_bars = |m: &BTreeMap<String, usize>, prefix: &str| -> Vec<(String, f64, String)> {
        m.iter()
            .map(|(k, v)| {
                let label = if prefix.is_empty() {
                    names.branch(k).to_owned()
                } else {
                    t.text(&format!("{prefix}-{k}"))
                };
                (label, *v as f64, v.to_string())
            })
            .collect()
    };
    let max_of = |m: &BTreeMap<String, usize>| m.values().copied().max().unwrap_or(0) as f64;
    // One bar per branch or month: the average score on the scale of 5 (a bar's track is the
    // whole scale), shown with how many answered.
    type Dist = BTreeMap<String, (usize, i64, [usize; 5])>;
    let avg_bars = |m: &Dist, label: &dyn Fn(&str) -> String| -> Vec<(String, f64, String)> {
        m.iter()
            .map(|(key, (n, sum, _))| {
                let avg = *sum as f64 / *n as f64;
                let shown = t.text_with(
                    "console-score-of-five",
                    &[("score", &format!("{avg:.2}")), ("count", &n.to_string())],
                );
                (label(key), avg, shown)
            })
            .collect()
    };
    let avg_bars_branch = avg_bars(&f.satisfaction_by_branch, &|b| names.branch(b).to_owned());
    let avg_bars_month = avg_bars(&f.satisfaction_by_month, &|m| m.to_owned());
    // The overdue list is long when work piles up: one page of it.
    let paging = Paging::new(&q.overdue, OVERDUE_PAGE);
    let overdue_page = f
        .overdue
        .iter()
        .skip(paging.offset() as usize)
        .take(OVERDUE_PAGE as usize);
    let body = html! {
        section.kpis {
            div.kpi { span.big { (format!("{share:.0}%")) } span { (t.text_with("console-kpi-in-time", &[("days", &sla.days.to_string())])) } small { (f.decided_in_time) " / " (f.decided) } }
            div.kpi { span.big { (f.median_days.map(|d| format!("{d:.1}")).unwrap_or_else(|| "–".into())) } span { (t.text("console-kpi-median")) } }
            div.kpi { span.big { (f.overdue.len()) } span { (t.text("console-kpi-overdue")) } }
            div.kpi { span.big { (rows.requests.len()) } span { (t.text("console-kpi-requests")) } }
        }
        div.charts {
            (bar_chart(&t.text("console-chart-type"), &count_bars(&f.by_type, "request-type"), max_of(&f.by_type)))
            (bar_chart(&t.text("console-chart-branch"), &count_bars(&f.by_branch, ""), max_of(&f.by_branch)))
            (bar_chart(&t.text("console-chart-status"), &count_bars(&f.by_status, "status"), max_of(&f.by_status)))
            (bar_chart(&t.text("console-chart-channel"), &count_bars(&f.contacts_by_channel, "channel"), max_of(&f.contacts_by_channel)))
            (bar_chart(&t.text("console-chart-satisfaction-branch"), &avg_bars_branch, 5.0))
            (bar_chart(&t.text("console-chart-satisfaction-month"), &avg_bars_month, 5.0))
        }
        section {
            h2 { (t.text("console-satisfaction-distribution")) }
            div.wide { table {
                thead { tr { th { (t.text("console-branch")) } @for s in 1..=5 { th.num { (s) } } th.num { (t.text("console-average")) } } }
                tbody {
                    @for (b, (n, sum, dist)) in &f.satisfaction_by_branch {
                        tr { td { (names.branch(b)) } @for c in dist { td.num { (c) } } td.num { (format!("{:.2}", *sum as f64 / *n as f64)) } }
                    }
                }
            } }
            div.wide { table {
                thead { tr { th { (t.text("console-month")) } @for s in 1..=5 { th.num { (s) } } th.num { (t.text("console-average")) } } }
                tbody {
                    @for (m, (n, sum, dist)) in &f.satisfaction_by_month {
                        tr { td { (m) } @for c in dist { td.num { (c) } } td.num { (format!("{:.2}", *sum as f64 / *n as f64)) } }
                    }
                }
            } }
        }
        section #overdue {
            h2 { (t.text("console-overdue-list")) }
            @if f.overdue.is_empty() { p.empty { (t.text("console-nothing")) } }
            ul.overdue {
                @for r in overdue_page {
                    li data-reference=(r.reference) { a href=(format!("/console/cases/{}", r.case_id)) { (reference(&r.reference)) } " · " (t.text(&format!("request-type-{}", r.kind))) " · " (names.branch(&r.branch)) }
                }
            }
            (pager(t, paging, f.overdue.len() as u64, |page| format!("/console/dashboard?overdue={page}#overdue")))
        }
        section #export {
            h2 { (t.text("console-nav-export")) }
            p.hint { (t.text("console-export-hint")) }
            ul.exports {
                @for what in ["cases", "requests", "services", "surveys"] {
                    li {
                        (t.text(&format!("console-export-{what}"))) ": "
                        // The files' formats by their names, isolated left to right.
                        a href=(format!("/console/export/{what}.csv")) download { bdi dir="ltr" { "CSV" } } " · "
                        a href=(format!("/console/export/{what}.xlsx")) download { bdi dir="ltr" { "XLSX" } }
                    }
                }
            }
        }
    };
    Ok(layout(&cx, "dashboard", &cx.t.text("console-nav-dashboard"), body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{RequestRow, SurveyRow};

    fn request(start: &str, decided: Option<&str>, status: &str) -> RequestRow {
        let ms = |d: &str| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis()
        };
        RequestRow {
            case_id: "c".into(),
            request_id: start.into(),
            branch: "QRN".into(),
            reference: "QRN-1".into(),
            head_name_ar: String::new(),
            head_name_en: String::new(),
            kind: "monthly-aid".into(),
            amount: None,
            status: status.into(),
            submitted_at: Some(ms(start)),
            clock_started_at: Some(ms(start)),
            decided_at: decided.map(ms),
            accepted: decided.map(|_| true),
            decision_reason: String::new(),
            granted_amount: None,
            granted_in_kind: String::new(),
            open_referrals: 0,
            rounds: 0,
        }
    }

    #[test]
    fn share_in_time_median_overdue_and_satisfaction() {
        let rows = ReportRows {
            requests: vec![
                request("2026-01-01", Some("2026-01-05"), "accepted"),
                request("2026-01-01", Some("2026-01-15"), "accepted"),
                request("2026-01-01", Some("2026-01-20"), "rejected"),
                request("2020-01-01", None, "awaiting-decision"),
            ],
            surveys: vec![
                SurveyRow {
                    case_id: "c".into(),
                    survey_id: "s1".into(),
                    branch: "QRN".into(),
                    at: 1_767_225_600_000,
                    reception: None,
                    time_and_answers: None,
                    clarity: None,
                    speed: None,
                    overall: Some(5),
                    comment: String::new(),
                },
                SurveyRow {
                    case_id: "c".into(),
                    survey_id: "s2".into(),
                    branch: "QRN".into(),
                    at: 1_767_225_600_000,
                    reception: None,
                    time_and_answers: None,
                    clarity: None,
                    speed: None,
                    overall: Some(2),
                    comment: String::new(),
                },
            ],
            ..ReportRows::default()
        };
        let f = figures(&rows, &SlaPolicy::default());
        assert_eq!(
            (f.decided, f.decided_in_time),
            (3, 2),
            "4 and 14 days are in time, 19 is not"
        );
        assert_eq!(f.median_days, Some(14.0));
        assert_eq!(f.overdue.len(), 1);
        assert_eq!(f.by_status.get("accepted"), Some(&2));
        let (n, sum, dist) = f.satisfaction_by_branch["QRN"];
        assert_eq!((n, sum), (2, 7));
        assert_eq!(dist, [0, 1, 0, 0, 1]);
        assert_eq!(f.satisfaction_by_month["2026-01"], (2, 7, [0, 1, 0, 0, 1]));
    }
}
