//! How the console writes values (dates and times in Kuwait, amounts in dinars) and pages
//! long lists.
//!
//! Values are isolated from the text around them (issue 16), so a line that mixes Arabic and
//! Latin keeps each part in its order: dates, times, references, amounts, phone numbers and
//! civil IDs are left-to-right isolates that do not break across lines ([`when`], [`day`],
//! [`reference`], [`amount`], [`ltr`]); what people typed (names, reasons, answers) is an
//! isolate of its own direction ([`typed`], or `dir="auto"` on its block).

use maud::{Markup, html};

use mandoob_shared::i18n::Translator;
use mandoob_shared::ids::Timestamp;
use mandoob_shared::workflow::kuwait_date;

/// A date in Kuwait, as `YYYY-MM-DD`.
pub fn date_of(millis: i64) -> String {
    Timestamp::from_millis(millis)
        .map(|t| kuwait_date(t).to_string())
        .unwrap_or_default()
}

/// A date and time in Kuwait, to the minute.
pub fn date_time_of(millis: i64) -> String {
    Timestamp::from_millis(millis)
        .map(|t| {
            t.get()
                .with_timezone(&mandoob_shared::workflow::kuwait_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Fils as dinars with three decimals.
pub fn kwd(fils: i64) -> String {
    let sign = if fils < 0 { "-" } else { "" };
    let f = fils.unsigned_abs();
    format!("{sign}{}.{:03}", f / 1000, f % 1000)
}

/// A date and time (Kuwait), isolated left to right.
pub fn when(millis: i64) -> Markup {
    html! { time dir="ltr" { (date_time_of(millis)) } }
}

/// A date (Kuwait), isolated left to right.
pub fn day(millis: i64) -> Markup {
    html! { time dir="ltr" { (date_of(millis)) } }
}

/// A calendar date (due dates, birth dates), isolated left to right.
pub fn date(d: impl std::fmt::Display) -> Markup {
    html! { time dir="ltr" { (d.to_string()) } }
}

/// A case's reference (`QRN-D1-00004`): left to right, never split across lines.
pub fn reference(r: &str) -> Markup {
    html! { bdi.ref dir="ltr" { (r) } }
}

/// Dinars with three decimals, the sign kept in front in either direction.
pub fn amount(fils: i64) -> Markup {
    html! { bdi.amount dir="ltr" { (kwd(fils)) } }
}

/// Any value written left to right (phone numbers, civil IDs, codes, coordinates).
pub fn ltr(s: &str) -> Markup {
    html! { bdi.ltr dir="ltr" { (s) } }
}

/// Text a person typed, in its own direction.
pub fn typed(s: &str) -> Markup {
    html! { bdi dir="auto" { (s) } }
}

/// A query string with only a page number.
#[derive(Debug, serde::Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub page: String,
}

/// Which page of a long list is asked for (from 1; the query string's `page`, anything
/// unreadable is the first) and how many rows a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub size: u32,
}

impl Paging {
    pub fn new(page: &str, size: u32) -> Self {
        Self {
            page: page.trim().parse().unwrap_or(1).max(1),
            size,
        }
    }

    /// Rows before this page.
    pub fn offset(&self) -> u32 {
        (self.page - 1).saturating_mul(self.size)
    }
}

/// Where a list of `total` rows is (rows 51–100 of 10,000) and links to the pages before and
/// after it (`href` makes the link to a page, keeping the list's filters). Nothing when one page
/// holds everything.
pub fn pager(t: &Translator, paging: Paging, total: u64, href: impl Fn(u32) -> String) -> Markup {
    let first = u64::from(paging.offset()) + 1;
    let last = (first - 1 + u64::from(paging.size)).min(total);
    let more = last < total;
    html! {
        @if paging.page > 1 || more {
            nav.pager aria-label=(t.text("console-pages")) {
                @if paging.page > 1 {
                    a rel="prev" href=(href(paging.page - 1)) { (t.text("console-page-previous")) }
                }
                @if first <= total {
                    span.range {
                        (t.text_with("console-page-range", &[
                            ("first", &first.to_string()),
                            ("last", &last.to_string()),
                            ("total", &total.to_string()),
                        ]))
                    }
                }
                @if more {
                    a rel="next" href=(href(paging.page + 1)) { (t.text("console-page-next")) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dinars_have_three_decimals() {
        assert_eq!(kwd(1_250_500), "1250.500");
        assert_eq!(kwd(5), "0.005");
        assert_eq!(kwd(-1500), "-1.500");
    }

    #[test]
    fn values_are_isolated_from_the_text_around_them() {
        assert_eq!(
            amount(-220_000).0,
            "<bdi class=\"amount\" dir=\"ltr\">-220.000</bdi>"
        );
        assert_eq!(
            reference("QRN-D1-00004").0,
            "<bdi class=\"ref\" dir=\"ltr\">QRN-D1-00004</bdi>"
        );
        assert!(when(1_764_600_000_000).0.starts_with("<time dir=\"ltr\">"));
        assert_eq!(typed("سبب").0, "<bdi dir=\"auto\">سبب</bdi>");
    }

    #[test]
    fn pages_link_to_their_neighbours() {
        let t = Translator::new(mandoob_shared::i18n::Lang::En);
        let href = |n: u32| format!("/l?page={n}");
        assert_eq!(Paging::new("x", 50), Paging { page: 1, size: 50 });
        assert_eq!(Paging::new("0", 50).page, 1);
        assert_eq!(Paging::new("3", 50).offset(), 100);
        assert!(pager(&t, Paging::new("1", 50), 50, href).0.is_empty());
        let first = pager(&t, Paging::new("1", 50), 120, href).0;
        assert!(
            first.contains("/l?page=2") && !first.contains("rel=\"prev\""),
            "{first}"
        );
        let last = pager(&t, Paging::new("3", 50), 120, href).0;
        assert!(
            last.contains("/l?page=2") && !last.contains("rel=\"next\""),
            "{last}"
        );
        assert!(last.contains("101") && last.contains("120"), "{last}");
    }
}
