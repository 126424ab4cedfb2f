//! Kuwaiti phone numbers.
//!
//! Kuwait uses 8-digit numbers with no trunk prefix: mobiles begin with 4, 5, 6 or 9,
//! landlines with 2, and toll-free numbers with 1800. Accepted forms: `9xxxxxxx`,
//! `+965 9xxx xxxx`, `00965…`, `965…` (with spaces, hyphens, dots or brackets between groups),
//! in ASCII or Arabic-Indic digits. Numbers are stored as written and compared in E.164
//! (`+9659xxxxxxx`).

use super::civil_id::ascii_digits;

/// What kind of line a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    Mobile,
    Landline,
    TollFree,
}

/// A valid Kuwaiti number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    e164: String,
    kind: LineKind,
}

impl Phone {
    /// `+965` and the 8 (or 7, toll-free) digits.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// Mobile, landline or toll-free.
    pub fn kind(&self) -> LineKind {
        self.kind
    }
}

/// Why a phone number is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a phone number has only digits, spaces and + - ( ) .")]
    Characters,
    #[error("a Kuwaiti number has 8 digits after +965")]
    Length,
    #[error("a Kuwaiti number begins with 2, 4, 5, 6, 9 or 1800")]
    Prefix,
    #[error("only Kuwaiti numbers (+965) are accepted here")]
    Foreign,
}

/// Parses a Kuwaiti phone number.
pub fn parse(input: &str) -> Result<Phone, PhoneError> {
    let text = ascii_digits(input.trim());
    let plus = text.starts_with('+');
    let mut digits = String::new();
    for (i, c) in text.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '(' | ')' | '.' | '\u{00A0}' => {}
            _ => return Err(PhoneError::Characters),
        }
    }
    let national = if let Some(rest) = digits.strip_prefix("00965") {
        rest
    } else if digits.len() > 8 && digits.starts_with("965") {
        &digits[3..]
    } else if plus || digits.starts_with("00") {
        return Err(PhoneError::Foreign);
    } else {
        &digits
    };
    let kind = if national.starts_with("1800") && national.len() == 7 {
        LineKind::TollFree
    } else {
        if national.len() != 8 {
            return Err(PhoneError::Length);
        }
        match national.as_bytes()[0] {
            b'2' => LineKind::Landline,
            b'4' | b'5' | b'6' | b'9' => LineKind::Mobile,
            _ => return Err(PhoneError::Prefix),
        }
    };
    Ok(Phone {
        e164: format!("+965{national}"),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_international_forms_agree() {
        for form in [
            "99123456",
            "9912 3456",
            "+965 9912 3456",
            "+96599123456",
            "0096599123456",
            "965-9912-3456",
            "(965) 9912.3456",
            "٩٩١٢٣٤٥٦",
            "+٩٦٥ ٩٩١٢ ٣٤٥٦",
        ] {
            let p = parse(form).unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(p.e164(), "+96599123456", "{form}");
            assert_eq!(p.kind(), LineKind::Mobile);
        }
    }

    #[test]
    fn landlines_and_toll_free() {
        assert_eq!(parse("22345678").map(|p| p.kind()), Ok(LineKind::Landline));
        assert_eq!(parse("1800123").map(|p| p.kind()), Ok(LineKind::TollFree));
        assert_eq!(parse("41234567").map(|p| p.kind()), Ok(LineKind::Mobile));
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert_eq!(parse("9912345"), Err(PhoneError::Length));
        assert_eq!(parse("991234567"), Err(PhoneError::Length));
        assert_eq!(parse("31234567"), Err(PhoneError::Prefix));
        assert_eq!(parse("81234567"), Err(PhoneError::Prefix));
        assert_eq!(parse("+966 50 123 4567"), Err(PhoneError::Foreign));
        assert_eq!(parse("9912x456"), Err(PhoneError::Characters));
        assert_eq!(parse(""), Err(PhoneError::Length));
    }
}
