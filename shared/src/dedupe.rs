//! Duplicate candidates: is the household being registered already on file?
//!
//! A civil ID already on file is a certain match. Otherwise names are compared on their search
//! keys ([`crate::arabic::normalize_name`]) with Jaro-Winkler similarity, word by word and as a
//! whole, and a shared phone number (compared in E.164) raises the score: a similar name with
//! the same phone is very likely the same family registered twice.

use serde::{Deserialize, Serialize};
use strsim::jaro_winkler;

use crate::arabic::normalize_name;
use crate::validate::{civil_id, phone};

/// What is known of a person, for matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person<'a> {
    pub name: &'a str,
    pub civil_id: &'a str,
    pub phone: &'a str,
}

/// Why two people might be the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchReason {
    SameCivilId,
    SimilarName,
    SamePhone,
}

/// How likely two people are the same, from 0 to 1, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchScore {
    pub score: f64,
    pub name_similarity: f64,
    pub reasons: Vec<MatchReason>,
}

impl MatchScore {
    /// Whether to warn the representative before a second file is made.
    pub fn is_candidate(&self) -> bool {
        self.score >= CANDIDATE_THRESHOLD
    }
}

/// Scores at or above this are shown as possible duplicates.
pub const CANDIDATE_THRESHOLD: f64 = 0.75;
/// Names at least this similar count as "similar".
pub const SIMILAR_NAME: f64 = 0.88;

fn digits_only(civil: &str) -> String {
    civil_id::ascii_digits(civil)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Similarity of two names' search keys, 0 to 1.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (normalize_name(a), normalize_name(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let whole = jaro_winkler(&a, &b);
    // Word by word: each word of the shorter name against its best match in the longer one, so
    // a name given with three parts still matches the same name given with four.
    let (short, long) = if a.split(' ').count() <= b.split(' ').count() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let long_words: Vec<&str> = long.split(' ').collect();
    let short_words: Vec<&str> = short.split(' ').collect();
    let per_word: f64 = short_words
        .iter()
        .map(|w| {
            long_words
                .iter()
                .map(|l| jaro_winkler(w, l))
                .fold(0.0, f64::max)
        })
        .sum::<f64>()
        / short_words.len() as f64;
    // A single shared first name is weak evidence: scale word matching by coverage.
    let coverage = short_words.len() as f64 / long_words.len() as f64;
    let words = per_word * (0.6 + 0.4 * coverage);
    whole.max(words)
}

/// Scores whether `a` and `b` are the same person.
pub fn score(a: &Person<'_>, b: &Person<'_>) -> MatchScore {
    let mut reasons = Vec::new();
    let (ca, cb) = (digits_only(a.civil_id), digits_only(b.civil_id));
    if ca.len() == 12 && ca == cb {
        reasons.push(MatchReason::SameCivilId);
    }
    let name_similarity = name_similarity(a.name, b.name);
    if name_similarity >= SIMILAR_NAME {
        reasons.push(MatchReason::SimilarName);
    }
    let same_phone = match (phone::parse(a.phone), phone::parse(b.phone)) {
        (Ok(pa), Ok(pb)) => pa.e164() == pb.e164(),
        _ => false,
    };
    if same_phone {
        reasons.push(MatchReason::SamePhone);
    }
    let score = if reasons.contains(&MatchReason::SameCivilId) {
        1.0
    } else if ca.len() == 12
        && cb.len() == 12
        && civil_id::parse(&ca, chrono::NaiveDate::MAX).is_ok()
        && civil_id::parse(&cb, chrono::NaiveDate::MAX).is_ok()
    {
        // Two different valid civil IDs are two different people, whatever their names.
        0.0
    } else {
        let phone = if same_phone { 1.0 } else { 0.0 };
        (0.7 * name_similarity + 0.3 * phone).min(0.99)
    };
    MatchScore {
        score,
        name_similarity,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p<'a>(name: &'a str, civil_id: &'a str, phone: &'a str) -> Person<'a> {
        Person {
            name,
            civil_id,
            phone,
        }
    }

    #[test]
    fn same_civil_id_is_certain_whatever_the_name() {
        let s = score(
            &p("خالد العجمي", "288020122596", ""),
            &p("Khalid Alajmi", "٢٨٨٠٢٠١٢٢٥٩٦", ""),
        );
        assert_eq!(s.score, 1.0);
        assert!(s.is_candidate());
        assert!(s.reasons.contains(&MatchReason::SameCivilId));
    }

    #[test]
    fn different_valid_civil_ids_are_different_people() {
        let s = score(
            &p("محمد عبدالله", "288020122596", "99123456"),
            &p("محمد عبدالله", "227081660516", "99123456"),
        );
        assert_eq!(s.score, 0.0);
    }

    #[test]
    fn spelling_variants_with_the_same_phone_are_candidates() {
        let pairs = [
            ("عبدالله محمد العنزي", "عبد الله محمّد العنزى"),
            ("فاطمة أحمد المطيري", "فاطمه احمد المطيرى"),
            ("نور الدين علي", "نورالدين علي"),
            ("أبو بكر سالم الرشيدي", "ابوبكر سالم الرشيدي"),
            ("مريم إبراهيم الظفيري", "مريم ابراهيم الظفيرى"),
            ("سعود عبد الرحمن الهاجري", "سعود عبدالرحمن الهاجرى"),
        ];
        for (a, b) in pairs {
            let s = score(&p(a, "", "+965 9912 3456"), &p(b, "", "99123456"));
            assert!(s.is_candidate(), "{a} / {b}: {s:?}");
            assert!(s.reasons.contains(&MatchReason::SimilarName), "{a} / {b}");
            assert!(s.reasons.contains(&MatchReason::SamePhone));
        }
    }

    #[test]
    fn a_missing_name_part_or_a_typo_still_matches() {
        // Three of four name parts, and one letter mistyped.
        assert!(name_similarity("خالد عبدالله سعد العجمي", "خالد عبدالله العجمي") >= SIMILAR_NAME);
        assert!(name_similarity("محمد سالم الشمري", "محمد سالم الشمرى") >= SIMILAR_NAME);
        assert!(name_similarity("Mohammed Al-Shammari", "Mohamed Alshammari") >= SIMILAR_NAME);
    }

    #[test]
    fn different_families_are_not_candidates() {
        let s = score(
            &p("محمد سالم الشمري", "", "99123456"),
            &p("فهد ناصر الدوسري", "", "66554433"),
        );
        assert!(!s.is_candidate(), "{s:?}");
        // A common first name alone, different phones.
        let s = score(
            &p("محمد سالم الشمري", "", "99123456"),
            &p("محمد فهد العتيبي", "", "66554433"),
        );
        assert!(!s.is_candidate(), "{s:?}");
    }

    #[test]
    fn empty_input_scores_zero() {
        let s = score(&p("", "", ""), &p("", "", ""));
        assert_eq!(s.score, 0.0);
        assert!(s.reasons.is_empty());
    }
}
