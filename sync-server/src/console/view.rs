//! How the console writes values: dates and times in Kuwait, amounts in dinars.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dinars_have_three_decimals() {
        assert_eq!(kwd(1_250_500), "1250.500");
        assert_eq!(kwd(5), "0.005");
        assert_eq!(kwd(-1500), "-1.500");
    }
}
