//! Kuwait civil ID numbers (الرقم المدني), issued by PACI.
//!
//! Layout (12 digits): `C YYMMDD SSSS K`
//! - `C`: the century of birth: 1 for the 1800s, 2 for the 1900s, 3 for the 2000s;
//! - `YYMMDD`: the holder's date of birth, which must be a real date not in the future;
//! - `SSSS`: a serial number;
//! - `K`: a check digit: with weights 2,1,6,3,7,9,10,5,8,4,2 on the first 11 digits,
//!   `K = (11 - (sum mod 11)) mod 11`; a result of 10 makes the number invalid.
//!
//! Public sources for the rule: the Kuwait civil ID module of python-stdnum
//! (`stdnum/kw/cid.py`, which cites the OECD's "Kuwait – Information on Tax Identification
//! Numbers" sheet and prakhar.me/articles/kuwait-civil-id-checksum), and django-localflavor's
//! `localflavor/kw/utils.py` (`is_valid_civil_id`), which use the same weights.
//!
//! Input may be typed with Arabic-Indic digits (٠١٢…٩, as Arabic keyboards produce) or Eastern
//! Arabic-Indic digits (۰۱۲…۹, Persian/Urdu keyboards); they are accepted deliberately and
//! read as the same digits. Spaces and hyphens that people use to group digits are ignored.
//! Anything else (letters, other punctuation) is refused.

use chrono::{Datelike, NaiveDate};

/// A valid civil ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CivilId {
    digits: String,
    birth_date: NaiveDate,
}

impl CivilId {
    /// The 12 ASCII digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The holder's date of birth encoded in the number.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }
}

/// Why a civil ID is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CivilIdError {
    #[error("a civil ID has 12 digits, this has {0}")]
    Length(usize),
    #[error("a civil ID has only digits")]
    NotDigits,
    #[error("the first digit of a civil ID is 1, 2 or 3 (the century of birth)")]
    Century,
    #[error("digits 2 to 7 of a civil ID are not a real date of birth")]
    Date,
    #[error("the date of birth in the civil ID is in the future")]
    FutureDate,
    #[error("the civil ID's check digit does not match (a digit is mistyped)")]
    CheckDigit,
}

const WEIGHTS: [u32; 11] = [2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Maps Arabic-Indic and Eastern Arabic-Indic digits to ASCII; other characters unchanged.
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            c => c,
        })
        .collect()
}

/// The check digit for the first 11 digits, or `None` when the rule gives 10 (no valid number).
pub fn check_digit(first11: &[u8; 11]) -> Option<u8> {
    let sum: u32 = first11
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let check = (11 - sum % 11) % 11;
    (check < 10).then_some(check as u8)
}

/// Parses and checks a civil ID as of `today` (a birth date after `today` is refused).
pub fn parse(input: &str, today: NaiveDate) -> Result<CivilId, CivilIdError> {
    let cleaned: String = ascii_digits(input)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{00A0}'))
        .collect();
    if cleaned.chars().any(|c| !c.is_ascii_digit()) {
        return Err(CivilIdError::NotDigits);
    }
    if cleaned.len() != 12 {
        return Err(CivilIdError::Length(cleaned.chars().count()));
    }
    let d: Vec<u8> = cleaned.bytes().map(|b| b - b'0').collect();
    let century = match d[0] {
        1 => 1800,
        2 => 1900,
        3 => 2000,
        _ => return Err(CivilIdError::Century),
    };
    let year = century + i32::from(d[1] * 10 + d[2]);
    let month = u32::from(d[3] * 10 + d[4]);
    let day = u32::from(d[5] * 10 + d[6]);
    let birth_date = NaiveDate::from_ymd_opt(year, month, day).ok_or(CivilIdError::Date)?;
    if birth_date > today {
        return Err(CivilIdError::FutureDate);
    }
    let mut first11 = [0u8; 11];
    first11.copy_from_slice(&d[..11]);
    match check_digit(&first11) {
        Some(k) if k == d[11] => Ok(CivilId {
            digits: cleaned,
            birth_date,
        }),
        _ => Err(CivilIdError::CheckDigit),
    }
}

/// Makes a valid civil ID for a birth date and serial (for tests, demos and seeds). Returns
/// `None` when that serial has no valid check digit; try the next one.
pub fn compose(birth: NaiveDate, serial: u16) -> Option<String> {
    let century = match birth.year() {
        1800..=1899 => 1,
        1900..=1999 => 2,
        2000..=2099 => 3,
        _ => return None,
    };
    let body = format!(
        "{century}{:02}{:02}{:02}{:04}",
        birth.year() % 100,
        birth.month(),
        birth.day(),
        serial % 10_000
    );
    let mut first11 = [0u8; 11];
    for (slot, b) in first11.iter_mut().zip(body.bytes()) {
        *slot = b - b'0';
    }
    check_digit(&first11).map(|k| format!("{body}{k}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    #[test]
    fn published_valid_numbers_pass() {
        // Examples published with python-stdnum's Kuwait civil ID module.
        for n in ["288020122596", "227081660516", "292091998298"] {
            let id = parse(n, today()).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(id.as_str(), n);
        }
        assert_eq!(
            parse("288020122596", today()).map(|i| i.birth_date()),
            NaiveDate::from_ymd_opt(1988, 2, 1).ok_or(CivilIdError::Date)
        );
    }

    #[test]
    fn composed_numbers_round_trip() {
        let birth = NaiveDate::from_ymd_opt(2011, 7, 30).expect("date");
        let mut made = 0;
        for serial in 0..50u16 {
            if let Some(n) = compose(birth, serial) {
                let id = parse(&n, today()).expect("composed number is valid");
                assert_eq!(id.birth_date(), birth);
                assert!(n.starts_with('3'));
                made += 1;
            }
        }
        // Roughly one serial in eleven has no valid check digit.
        assert!(made > 40, "{made}");
    }

    #[test]
    fn wrong_length_is_refused() {
        assert_eq!(parse("28802012259", today()), Err(CivilIdError::Length(11)));
        assert_eq!(
            parse("2880201225961", today()),
            Err(CivilIdError::Length(13))
        );
        assert_eq!(parse("", today()), Err(CivilIdError::Length(0)));
    }

    #[test]
    fn letters_and_symbols_are_refused() {
        assert_eq!(parse("28802O122596", today()), Err(CivilIdError::NotDigits));
        assert_eq!(
            parse("288020122596x", today()),
            Err(CivilIdError::NotDigits)
        );
        assert_eq!(
            parse("288/02/0122596", today()),
            Err(CivilIdError::NotDigits)
        );
        // Digits from other scripts that are not Arabic (here Devanagari) are not accepted.
        assert_eq!(parse("२८८०२०१२२५९६", today()), Err(CivilIdError::NotDigits));
    }

    #[test]
    fn arabic_indic_digits_are_read_as_digits() {
        let arabic = parse("٢٨٨٠٢٠١٢٢٥٩٦", today()).expect("Arabic-Indic digits");
        assert_eq!(arabic.as_str(), "288020122596");
        let persian = parse("۲۸۸۰۲۰۱۲۲۵۹۶", today()).expect("Eastern Arabic-Indic digits");
        assert_eq!(persian.as_str(), "288020122596");
        let mixed = parse("2880 ٢٠١٢ 2596", today()).expect("mixed, grouped");
        assert_eq!(mixed.as_str(), "288020122596");
        // A mistyped Arabic-Indic digit still fails the check digit.
        assert_eq!(
            parse("٢٨٨٠٢٠١٢٢٥٩٧", today()),
            Err(CivilIdError::CheckDigit)
        );
    }

    #[test]
    fn bad_dates_are_refused() {
        // Century digit 4 or 0.
        assert_eq!(parse("488020122596", today()), Err(CivilIdError::Century));
        assert_eq!(parse("088020122596", today()), Err(CivilIdError::Century));
        // Month 13, day 00, 30 February, 29 February of a common year.
        assert_eq!(parse("288130122596", today()), Err(CivilIdError::Date));
        assert_eq!(parse("288020022596", today()), Err(CivilIdError::Date));
        assert_eq!(parse("288023022596", today()), Err(CivilIdError::Date));
        assert_eq!(parse("289022922596", today()), Err(CivilIdError::Date));
        // Born in 2030.
        let future = compose(NaiveDate::from_ymd_opt(2030, 1, 1).expect("date"), 1)
            .or_else(|| compose(NaiveDate::from_ymd_opt(2030, 1, 1).expect("date"), 2))
            .expect("a serial with a check digit");
        assert_eq!(parse(&future, today()), Err(CivilIdError::FutureDate));
    }

    #[test]
    fn leap_day_is_a_real_date() {
        let leap = NaiveDate::from_ymd_opt(2000, 2, 29).expect("date");
        let n = (0..20).find_map(|s| compose(leap, s)).expect("some serial");
        assert_eq!(parse(&n, today()).map(|i| i.birth_date()), Ok(leap));
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        for last in ['0', '1', '3', '9'] {
            let n = format!("28802012259{last}");
            assert_eq!(parse(&n, today()), Err(CivilIdError::CheckDigit), "{n}");
        }
        // Two swapped neighbouring digits are caught.
        assert_eq!(
            parse("288020122956", today()),
            Err(CivilIdError::CheckDigit)
        );
    }

    #[test]
    fn a_check_result_of_ten_makes_every_number_invalid() {
        // Find a body whose rule gives 10: no last digit can make it valid.
        let body = (0..10_000u32)
            .map(|s| format!("2880201{s:04}"))
            .find(|b| {
                let mut d = [0u8; 11];
                for (slot, c) in d.iter_mut().zip(b.bytes()) {
                    *slot = c - b'0';
                }
                check_digit(&d).is_none()
            })
            .expect("some body gives 10");
        for last in 0..10 {
            assert_eq!(
                parse(&format!("{body}{last}"), today()),
                Err(CivilIdError::CheckDigit)
            );
        }
    }
}
