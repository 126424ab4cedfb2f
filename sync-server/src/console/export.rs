//! Exports of cases, requests, services and surveys as CSV (UTF-8 with a byte-order mark, so
//! spreadsheet programs read Arabic correctly) and XLSX (right-to-left sheets in Arabic),
//! limited to the user's scope, column headings in the user's language. Every export is
//! written to the audit log.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use mandoob_shared::i18n::{Lang, Translator};

use mandoob_shared::access;

use super::{Console, ConsoleError, date_of, date_time_of};
use crate::service::policy::{self, today};
use crate::state::AppState;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    /// The cell as CSV text: numbers as they are, text made inert ([`inert`]).
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => inert(s),
            Cell::Number(n) => n.to_string(),
        }
    }
}

/// Text that a spreadsheet program will show, never run (CSV injection, as OWASP advises): a
/// cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return (or the full-width
/// `＝`, `＋`, `－`, `＠`, which some spreadsheets also read as formulas) gets a single quote in
/// front. A beneficiary named `=HYPERLINK(…)` then shows as text instead of a link that runs
/// when a committee member opens the file. Numbers are written as numbers and left alone; XLSX
/// needs none of this, its text cells are strings (`write_string`), never formulas.
pub fn inert(s: &str) -> String {
    const ACTIVE: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];
    if s.starts_with(ACTIVE) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A table to export: headings and rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headings: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// CSV with a UTF-8 byte-order mark.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from(*b"\xEF\xBB\xBF");
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(table.headings.iter().map(|h| inert(h)))?;
        for row in &table.rows {
            w.write_record(row.iter().map(Cell::csv_text))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// An XLSX workbook with one sheet, right-to-left for Arabic.
pub fn to_xlsx(
    table: &Table,
    sheet: &str,
    lang: Lang,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    if lang == Lang::Ar {
        ws.set_right_to_left(true);
    }
    let bold = Format::new().set_bold();
    for (c, h) in table.headings.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Cell::Text(s) => ws.write_string(r, c, s)?,
                Cell::Number(n) => ws.write_number(r, c, *n)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofit();
    book.save_to_buffer()
}

fn headings(t: &Translator, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t.text(k)).collect()
}

async fn table(state: &AppState, cx: &Console, what: &str) -> Result<Table, ConsoleError> {
    let t = &cx.t;
    let scope = cx.scope();
    let name = |ar: &str, en: &str| -> String {
        if cx.lang == Lang::En && !en.is_empty() {
            en.to_owned()
        } else {
            ar.to_owned()
        }
    };
    Ok(match what {
        "cases" => {
            let sla = policy::sla(state.storage.as_ref()).await;
            let (docs, _) = state
                .storage
                .whole_documents(&scope, None, u32::MAX)
                .await?;
            Table {
                headings: headings(
                    t,
                    &[
                        "console-reference",
                        "console-branch",
                        "console-head",
                        "field-civil-id",
                        "field-phone",
                        "console-status",
                        "console-due",
                        "console-updated",
                    ],
                ),
                rows: docs
                    .into_iter()
                    .filter_map(|d| d.summary)
                    .map(|s| {
                        vec![
                            text(&s.reference),
                            text(&s.branch),
                            text(name(&s.head_name_ar, &s.head_name_en)),
                            text(s.civil_ids.join(" ")),
                            text(s.phones.join(" ")),
                            text(t.text(&s.status.label_key())),
                            text(s.due_date(&sla).map(|d| d.to_string()).unwrap_or_default()),
                            text(date_time_of(s.updated_at)),
                        ]
                    })
                    .collect(),
            }
        }
        "requests" => {
            let rows = state.storage.report_rows(&scope).await?.requests;
            Table {
                headings: headings(
                    t,
                    &[
                        "console-reference",
                        "console-branch",
                        "console-head",
                        "console-type",
                        "console-amount-kwd",
                        "console-status",
                        "console-submitted",
                        "console-decided",
                        "console-decision",
                        "console-granted-kwd",
                        "console-granted-in-kind-column",
                        "console-reason",
                        "console-rounds-column",
                    ],
                ),
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            text(&r.reference),
                            text(&r.branch),
                            text(name(&r.head_name_ar, &r.head_name_en)),
                            text(t.text(&format!("request-type-{}", r.kind))),
                            r.amount
                                .map_or(text(""), |a| Cell::Number(a as f64 / 1000.0)),
                            text(t.text(&format!("status-{}", r.status))),
                            text(r.submitted_at.map(date_of).unwrap_or_default()),
                            text(r.decided_at.map(date_of).unwrap_or_default()),
                            text(match r.accepted {
                                Some(true) => t.text("status-accepted"),
                                Some(false) => t.text("status-rejected"),
                                None => String::new(),
                            }),
                            r.granted()
                                .map_or(text(""), |a| Cell::Number(a as f64 / 1000.0)),
                            text(&r.granted_in_kind),
                            text(&r.decision_reason),
                            Cell::Number(f64::from(r.rounds)),
                        ]
                    })
                    .collect(),
            }
        }
        "services" => {
            let rows = state.storage.report_rows(&scope).await?.services;
            Table {
                headings: headings(
                    t,
                    &[
                        "console-reference",
                        "console-branch",
                        "console-service",
                        "console-description",
                        "console-value-kwd",
                        "console-date",
                    ],
                ),
                rows: rows
                    .into_iter()
                    .map(|s| {
                        vec![
                            text(&s.reference),
                            text(&s.branch),
                            text(t.text(&format!("service-{}", s.kind))),
                            text(&s.description),
                            Cell::Number(s.value as f64 / 1000.0),
                            text(date_of(s.delivered_at)),
                        ]
                    })
                    .collect(),
            }
        }
        "surveys" => {
            let rows = state.storage.report_rows(&scope).await?.surveys;
            let score = |v: Option<i64>| v.map_or(text(""), |v| Cell::Number(v as f64));
            Table {
                headings: headings(
                    t,
                    &[
                        "console-branch",
                        "console-date",
                        "console-score-reception",
                        "console-score-time-and-answers",
                        "console-score-clarity",
                        "console-score-speed",
                        "console-overall",
                        "console-comment",
                    ],
                ),
                rows: rows
                    .into_iter()
                    .map(|s| {
                        vec![
                            text(&s.branch),
                            text(date_of(s.at)),
                            score(s.reception),
                            score(s.time_and_answers),
                            score(s.clarity),
                            score(s.speed),
                            score(s.overall),
                            text(&s.comment),
                        ]
                    })
                    .collect(),
            }
        }
        _ => return Err(no_such_export()),
    })
}

fn no_such_export() -> ConsoleError {
    ConsoleError::new(StatusCode::NOT_FOUND, "console-no-such-export")
}

fn failed(format: &str, e: impl std::fmt::Display) -> ConsoleError {
    tracing::error!(format, error = %e, "export failed");
    ConsoleError::failed()
}

pub async fn export(
    State(state): State<AppState>,
    cx: Console,
    Path(file): Path<String>,
) -> Result<Response, ConsoleError> {
    cx.require(access::sees_queue)?;
    let Some((what, format)) = file.rsplit_once('.') else {
        return Err(no_such_export());
    };
    if !matches!(what, "cases" | "requests" | "services" | "surveys")
        || !matches!(format, "csv" | "xlsx")
    {
        return Err(no_such_export());
    }
    let table = table(&state, &cx, what).await?;
    let (bytes, mime) = match format {
        "csv" => (
            to_csv(&table).map_err(|e| failed("csv", e))?,
            "text/csv; charset=utf-8",
        ),
        _ => (
            to_xlsx(&table, what, cx.lang).map_err(|e| failed("xlsx", e))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let stamp = today().to_string();
    // The number of rows; the log says it in words.
    cx.audit(&state, "export", &file, &table.rows.len().to_string())
        .await;
    let disposition = format!("attachment; filename=\"mandoob-{what}-{stamp}.{format}\"");
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
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

    #[test]
    fn active_cells_are_made_inert_and_numbers_stay_numbers() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1"] {
            assert_eq!(inert(s), format!("'{s}"));
        }
        for s in ["", "محمد", "a=1", "2026-01-01", "'quoted"] {
            assert_eq!(inert(s), s);
        }
        let table = Table {
            headings: vec!["a".into(), "b".into()],
            rows: vec![vec![
                text("=HYPERLINK(\"http://x\",\"y\")"),
                Cell::Number(-2.5),
            ]],
        };
        let csv = String::from_utf8(to_csv(&table).expect("csv")).expect("utf-8");
        assert!(
            csv.ends_with("a,b\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-2.5\n"),
            "{csv}"
        );
    }
}
