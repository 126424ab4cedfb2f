//! Name search by any part of a name word (infix), Arabic and Latin, with Arabic spelling
//! variants folded; and the device migration that indexes the names already on a device.

mod common;
use common::engine;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mandoob_engine::engine::*;
use mandoob_shared::ids::CaseId;
use mandoob_shared::model::*;
use mandoob_shared::workflow::{RequestStatus, Role};

/// A household whose head is `ar` / `en`, registered whatever its likeness to others.
fn household(ar: &str, en: &str) -> NewHousehold {
    let mut head = Member::new(ar, Relation::Head);
    head.name_en = en.into();
    NewHousehold {
        head,
        address: Address {
            governorate: Some(Governorate::Jahra),
            area: "الجهراء".into(),
            ..Address::default()
        },
        not_a_duplicate: true,
    }
}

fn find(e: &Engine, text: &str) -> Vec<CaseId> {
    e.list(&ListQuery {
        text: text.into(),
        ..ListQuery::default()
    })
    .expect("list")
    .into_iter()
    .map(|c| c.id)
    .collect()
}

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mandoob-search-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("device.sqlite")
}

/// The rows of `name_suffixes` in the database at `db`.
fn suffix_rows(db: &Path) -> BTreeSet<(String, String)> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT suffix, token FROM name_suffixes")
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn part_of_a_name_finds_it_in_arabic_and_latin() {
    let mut e = engine();
    let enezi = e
        .create_case(household("فهد ناصر العنزي", "Fahad Nasser Al-Enezi"))
        .expect("create");
    let ajmi = e
        .create_case(household("خالد عبدالله العجمي", "Khalid Abdullah Al-Ajmi"))
        .expect("create");
    for text in [
        "عنزي",
        "نزي",
        "العنزي",
        "لعنز",
        "Enezi",
        "nezi",
        "NEZ",
        "al-enezi",
        "Al Enezi",
        "اصر",
        "asser",
        "اصر عنزي",
        "hAD nezi",
    ] {
        assert_eq!(find(&e, text), vec![enezi.clone()], "{text}");
    }
    for text in ["جمي", "بدالله", "dullah", "ajm", "عبد الله", "لد بدال"] {
        assert_eq!(find(&e, text), vec![ajmi.clone()], "{text}");
    }
    // Both have the article.
    let both: BTreeSet<CaseId> = find(&e, "ال").into_iter().collect();
    assert_eq!(both, BTreeSet::from([ajmi.clone(), enezi.clone()]));
    // Every word typed must be found in the household.
    assert!(find(&e, "نزي جمي").is_empty());
    // Or the text is part of the reference.
    assert_eq!(find(&e, "a7-00002"), vec![ajmi.clone()]);
    assert_eq!(find(&e, "QRN-A7-00001"), vec![enezi.clone()]);
}

#[test]
fn spelling_variants_are_folded_inside_words() {
    let mut e = engine();
    let id = e
        .create_case(household("فاطمة عيسى الأحمد", "Fatima Issa Al-Ahmad"))
        .expect("create");
    // ة/ه, ى/ي, أ/إ/آ/ا, diacritics and tatweel, in the typed part as in the stored name.
    for text in [
        "اطمة",
        "اطمه",
        "يسى",
        "يسي",
        "أحمد",
        "إحمد",
        "آحمد",
        "لاحمد",
        "طِمَـة",
    ] {
        assert_eq!(find(&e, text), vec![id.clone()], "{text}");
    }
}

/// One letter typed matches the start of a name word only: inside words it would match nearly
/// every household.
#[test]
fn one_letter_matches_word_starts_only() {
    let mut e = engine();
    let inside = e
        .create_case(household("فهد سالم العنزي", "Fahad Salem Al-Enezi"))
        .expect("create");
    let start = e
        .create_case(household("نورة خالد الكندري", "Noura Khalid Al-Kandari"))
        .expect("create");
    assert_eq!(find(&e, "ن"), vec![start.clone()]);
    assert_eq!(find(&e, "k"), vec![start.clone()]);
    assert_eq!(find(&e, "س"), vec![inside.clone()]);
    assert!(find(&e, "ز").is_empty());
    assert!(find(&e, "z").is_empty());
    // Two letters match inside words.
    assert_eq!(find(&e, "نز"), vec![inside.clone()]);
    assert_eq!(find(&e, "ez"), vec![inside.clone()]);
    // A one-letter word beside a longer one: its start, and the other anywhere.
    assert_eq!(find(&e, "ف نزي"), vec![inside]);
    assert!(find(&e, "ز نزي").is_empty());
}

#[test]
fn a_members_name_matches_and_a_renamed_one_no_longer_does() {
    let mut e = engine();
    let id = e
        .create_case(household("فهد ناصر العنزي", "Fahad Nasser Al-Enezi"))
        .expect("create");
    let other = e
        .create_case(household("سالم فهد الرشيدي", "Salem Fahad Al-Rashidi"))
        .expect("create");
    let mut spouse = Member::new("مريم سعود الكندري", Relation::Spouse);
    spouse.name_en = "Maryam Saud Al-Kandari".into();
    e.edit(&id, Edit::UpsertMember(spouse.clone()))
        .expect("add spouse");
    for text in ["كندري", "ندر", "Kandar", "ndari", "ريم", "aryam"] {
        assert_eq!(find(&e, text), vec![id.clone()], "{text}");
    }
    // Renamed: the old name is no longer found, the new one is; a word still in another
    // household is still found there.
    spouse.name_ar = "مريم سعود الرشيدي".into();
    spouse.name_en = "Maryam Saud Al-Rashidi".into();
    e.edit(&id, Edit::UpsertMember(spouse)).expect("rename");
    for text in ["كندري", "ndari"] {
        assert!(find(&e, text).is_empty(), "{text}");
    }
    let both: BTreeSet<CaseId> = find(&e, "شيدي").into_iter().collect();
    assert_eq!(both, BTreeSet::from([id.clone(), other]));
    assert_eq!(find(&e, "ريم"), vec![id]);
}

/// A device with cases indexed before infix search (schema 4) gets the suffixes of every name
/// word already indexed when the new app opens it: the same rows as the app writes itself.
#[test]
fn the_migration_indexes_the_names_already_on_the_device() {
    let db = temp_db("migration");
    let (enezi, written) = {
        let mut e = Engine::open(&db).expect("open");
        e.set_session(common::session(Role::Representative))
            .expect("session");
        let enezi = e
            .create_case(household("فهد ناصر العنزي", "Fahad Nasser Al-Enezi"))
            .expect("create");
        let mut member = Member::new("عائشة سالم الهاجري", Relation::Daughter);
        member.name_en = "Aisha Salem Al-Hajri".into();
        e.edit(&enezi, Edit::UpsertMember(member)).expect("member");
        e.create_case(household("خالد عبدالله العجمي", "Khalid Abdullah Al-Ajmi"))
            .expect("create");
        // A one-letter word (an initial) has no suffixes.
        e.create_case(household("م", "M. Al-Ajmi")).expect("create");
        (enezi, suffix_rows(&db))
    };
    assert!(written.contains(&("نزي".to_owned(), "العنزي".to_owned())));
    assert!(written.contains(&("ezi".to_owned(), "alenezi".to_owned())));
    assert!(!written.iter().any(|(s, _)| s.chars().count() < 2));
    {
        // Back to schema 4: migration 5 only added this table.
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch("DROP TABLE name_suffixes; PRAGMA user_version = 4;")
            .expect("schema 4");
    }
    let mut e = Engine::open(&db).expect("migrate");
    assert_eq!(suffix_rows(&db), written);
    e.set_session(common::session(Role::Representative))
        .expect("session");
    for text in ["عنزي", "nezi", "اجري", "hajr"] {
        assert_eq!(find(&e, text), vec![enezi.clone()], "{text}");
    }
    std::fs::remove_dir_all(db.parent().expect("dir")).ok();
}

/// A word in many households is checked newest first, one in few is looked up (see
/// `index::name_condition`); both give the same rows in the same order, with the filters.
#[test]
fn common_and_rare_words_give_the_same_rows_page_by_page() {
    let mut e = engine();
    // Submitted requests with the sample's names, and drafts.
    e.seed_samples(40, 1).expect("seed");
    for (ar, en) in [
        ("مريم ناصر العنزي", "Maryam Nasser Al-Enezi"),
        ("فهد سالم الكندري", "Fahad Salem Al-Kandari"),
        ("سلمى فهد العنزي", "Salma Fahad Al-Enezi"),
    ] {
        e.create_case(household(ar, en)).expect("create");
    }
    let query = |text: &str, limit: u32, offset: u32, status| ListQuery {
        text: text.into(),
        limit,
        offset,
        status,
        ..ListQuery::default()
    };
    let ids = |q: &ListQuery| -> Vec<CaseId> {
        e.list(q).expect("list").into_iter().map(|c| c.id).collect()
    };
    for text in [
        "ال",
        "عنزي",
        "nezi",
        "ناصر عنزي",
        "sal ezi",
        "سلمى",
        "لمى نزي",
        "A7-0000",
        "لمى ال",
    ] {
        for status in [None, Some(RequestStatus::Draft)] {
            let all = ids(&query(text, 50, 0, status));
            assert!(!all.is_empty(), "{text}");
            let paged: Vec<CaseId> = (0..all.len() as u32 + 1)
                .flat_map(|offset| ids(&query(text, 1, offset, status)))
                .collect();
            assert_eq!(paged, all, "{text} {status:?}");
        }
    }
}
