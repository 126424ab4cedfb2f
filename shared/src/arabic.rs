//! Search keys for names written in Arabic (and in Latin letters).
//!
//! The same name reaches the system spelt many ways: with or without diacritics (تشكيل), with
//! tatweel (ـ) stretching, with أ إ آ ٱ or a bare ا, with final ة or ه, final ى or ي,
//! presentation forms pasted from PDFs, and compound names written apart or together
//! (عبدالله / عبد الله, أبو بكر / أبوبكر, نور الدين / نورالدين). [`normalize_name`] maps all
//! of these to one key; [`tokens`] splits the key for prefix search.

use unicode_normalization::UnicodeNormalization;

use crate::validate::civil_id::ascii_digits;

/// Words that are written joined to the next word in compound names (عبد الله → عبدالله).
const JOIN_WITH_NEXT: &[&str] = &["عبد", "ابو", "ابي", "abd", "abdul", "abdel", "abu", "bu"];
/// Words that are written joined to the previous word (نور الدين → نورالدين).
const JOIN_WITH_PREVIOUS: &[&str] = &[
    "الله",
    "الدين",
    "الرحمن",
    "الرحيم",
    "allah",
    "aldin",
    "uddin",
];

fn is_arabic_mark(c: char) -> bool {
    matches!(c,
        '\u{0610}'..='\u{061A}'   // honorifics and small high letters
        | '\u{064B}'..='\u{065F}' // tanween, harakat, shadda, sukun, maddah and hamza marks
        | '\u{0670}'              // superscript (dagger) alef
        | '\u{06D6}'..='\u{06DC}' // Quranic annotation marks
        | '\u{06DF}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{0640}'              // tatweel
    )
}

fn fold_letter(c: char) -> Option<char> {
    Some(match c {
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => 'ا',
        'ة' => 'ه',
        'ى' | 'ی' | 'ې' => 'ي',
        'ؤ' => 'و',
        'ئ' => 'ي',
        'ک' => 'ك',
        'ء' => return None,
        c if is_arabic_mark(c) => return None,
        // Latin: lowercase, and drop accents left by NFKD below.
        c if c.is_alphabetic() || c.is_ascii_digit() => c.to_lowercase().next().unwrap_or(c),
        // Everything else (punctuation, hyphens, apostrophes) separates words.
        _ => ' ',
    })
}

/// Normalizes a name to its search key: no diacritics or tatweel, one alef, ه for final ة,
/// ي for ى, compound names joined, Latin lowercased without accents, single spaces.
pub fn normalize_name(name: &str) -> String {
    // NFKD turns presentation forms and ligatures (ﷲ, ﻻ) into plain letters, and splits
    // أ إ آ ؤ ئ and accented Latin letters into a base letter and a combining mark; dropping
    // the marks leaves ا و ي and plain Latin letters.
    let folded: String = ascii_digits(name)
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .filter_map(fold_letter)
        .collect();
    let words: Vec<String> = folded
        .split_whitespace()
        .map(|w| latin_particle(w).to_owned())
        .collect();
    join_compounds(words).join(" ")
}

/// Latin spellings of the article and of "abd" vary (el-, al-, ul-; abdel, abdul); fold them.
fn latin_particle(word: &str) -> &str {
    match word {
        "el" | "ul" | "il" => "al",
        _ => word,
    }
}

fn join_compounds(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut pending: Option<String> = None;
    for word in words {
        let word = match pending.take() {
            Some(prefix) => prefix + &word,
            None => word,
        };
        if JOIN_WITH_NEXT.contains(&word.as_str()) || word == "al" {
            // "عبد", "ابو" and a Latin "al" written apart belong to the next word.
            pending = Some(word);
        } else if JOIN_WITH_PREVIOUS.contains(&word.as_str())
            && let Some(last) = out.last_mut()
        {
            last.push_str(&word);
        } else {
            out.push(word);
        }
    }
    out.extend(pending);
    out
}

/// The words of a normalized name, for prefix search.
pub fn tokens(name: &str) -> Vec<String> {
    normalize_name(name)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(normalize_name(a), normalize_name(b), "{a} / {b}");
    }

    #[test]
    fn diacritics_and_tatweel_are_ignored() {
        same("مُحَمَّد", "محمد");
        same("مـــحـمـد", "محمد");
        same("فَاطِمَةُ", "فاطمه");
        same("عَلِيّ", "علي");
    }

    #[test]
    fn alef_forms_are_one() {
        same("أحمد", "احمد");
        same("إبراهيم", "ابراهيم");
        same("آمنة", "امنه");
        same("ٱلعنزي", "العنزي");
    }

    #[test]
    fn ta_marbuta_and_alef_maqsura() {
        same("فاطمة", "فاطمه");
        same("عائشة", "عايشه");
        same("مصطفى", "مصطفي");
        same("ليلى", "ليلي");
        same("موسى", "موسي");
    }

    #[test]
    fn compound_names_written_apart_or_joined() {
        same("عبد الله", "عبدالله");
        same("عبدُ الله", "عبدالله");
        same("عبد الرحمن المطيري", "عبدالرحمن المطيري");
        same("أبو بكر", "ابوبكر");
        same("نور الدين", "نورالدين");
        same("سيف الله", "سيفالله");
        same("خالد عبد الله العجمي", "خالد عبدالله العجمي");
        assert_eq!(normalize_name("عبد الله"), "عبدالله");
    }

    #[test]
    fn presentation_forms_and_ligatures_from_pdfs() {
        // ﻣﺤﻤﺪ is محمد in presentation forms; ﷲ is the Allah ligature.
        same("ﻣﺤﻤﺪ", "محمد");
        same("عبدﷲ", "عبدالله");
    }

    #[test]
    fn persian_and_urdu_letters_fold_to_arabic() {
        same("علی", "علي");
        same("کاظم", "كاظم");
    }

    #[test]
    fn latin_spellings() {
        same("Abdullah Al-Mutairi", "abdullah al mutairi");
        same("Abd Allah", "Abdallah");
        same("Abdel Rahman", "Abdelrahman");
        same("José", "jose");
        same("Nour El-Din", "nour al din");
        assert_eq!(normalize_name("  Fatima   AL-Enezi "), "fatima alenezi");
    }

    #[test]
    fn different_names_stay_different() {
        assert_ne!(normalize_name("محمد"), normalize_name("محمود"));
        assert_ne!(normalize_name("عبدالله"), normalize_name("عبدالرحمن"));
        assert_ne!(normalize_name("سعد"), normalize_name("سعيد"));
    }

    #[test]
    fn tokens_for_prefix_search() {
        assert_eq!(
            tokens("خالد عبد الله العَجمي"),
            vec!["خالد", "عبدالله", "العجمي"]
        );
        assert!(tokens("").is_empty());
        assert!(tokens(" - ").is_empty());
    }
}
