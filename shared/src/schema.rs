//! What a case document may contain: every key, the type of every value, the size of every
//! string and list, the format of every id, the range of every amount, date and score.
//!
//! The server checks every pushed change against this schema before it stores it (device push
//! and console alike), and [`crate::doc::CaseDoc`] checks every edit before it writes it, so a
//! device never makes a change its server would refuse for its shape. A document that passes
//! is one the model reads ([`crate::doc::CaseDoc::hydrate`] and the serde read both succeed;
//! the `load_document` fuzz target and the tests check it), and whose depth is the model's
//! (at most [`MAX_DEPTH`]), so nothing that reads it recurses without a bound.
//!
//! The walk itself never recurses deeper than the schema: a value of the wrong type is refused
//! where it is found, without looking inside it. Every concurrent value of a field is checked,
//! not only the one shown, since a person may later choose any of them.

use std::fmt;

use automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};

use crate::model::*;
use crate::workflow::{EventKind, Role};

/// How deep a valid case document goes (root map = 1): `household.members[i].birth_date`.
pub const MAX_DEPTH: usize = 6;
/// How many concurrent values one field may hold (real conflicts are between a few replicas).
pub const MAX_CONCURRENT_VALUES: usize = 32;

/// Characters of a short text (names, address parts, codes as typed).
pub const SHORT_TEXT: usize = 200;
/// Characters of a text of a few sentences (a reason, a contact's summary, a question).
pub const MEDIUM_TEXT: usize = 4_000;
/// Characters of a long text (household notes, visit notes, interview answers, comments).
pub const LONG_TEXT: usize = 20_000;

/// The largest amount of money a case may record, in fils (one million dinars).
pub const MAX_FILS: i64 = 1_000_000_000;

/// What a value may be.
#[derive(Debug)]
pub enum Kind {
    /// A map with exactly these keys.
    Struct(&'static [(&'static str, Kind)]),
    /// A list of at most `max` items.
    List {
        item: &'static Kind,
        max: usize,
    },
    /// A map from short text keys (at most `key_max` characters) to values, at most `max`.
    Dict {
        key_max: usize,
        value: &'static Kind,
        max: usize,
    },
    /// `null` or the value.
    Optional(&'static Kind),
    /// Free text of at most this many characters.
    Text(usize),
    /// A UUID in its lowercase hyphenated form (record ids).
    Uuid,
    /// A user account's id.
    UserId,
    /// A branch code.
    Branch,
    /// A case reference (`QRN-D7-00042`).
    CaseRef,
    /// A lowercase hex SHA-256, or empty when `empty` allows it.
    Sha256 {
        empty: bool,
    },
    /// One of these stored names.
    Enum(&'static [&'static str]),
    /// A `YYYY-MM-DD` date between 1900 and 2200.
    Date,
    /// An automerge timestamp between 2000 and 2200.
    Timestamp,
    /// An amount in fils, `0..=MAX_FILS`.
    Money,
    /// An unsigned integer in this range.
    Uint(u64, u64),
    /// A finite float in this range.
    Float(f64, f64),
    Bool,
}

use Kind as K;

const SHORT: Kind = K::Text(SHORT_TEXT);
const MEDIUM: Kind = K::Text(MEDIUM_TEXT);
const LONG: Kind = K::Text(LONG_TEXT);
const UUID: Kind = K::Uuid;
const OPT_UUID: Kind = K::Optional(&UUID);
const DATE: Kind = K::Date;
const OPT_DATE: Kind = K::Optional(&DATE);
const TIME: Kind = K::Timestamp;
const OPT_TIME: Kind = K::Optional(&TIME);
const MONEY: Kind = K::Money;
const USER: Kind = K::UserId;
const OPT_USER: Kind = K::Optional(&USER);
const SCORE: Kind = K::Uint(1, 5);
const OPT_SCORE: Kind = K::Optional(&SCORE);
const UUID_LIST: Kind = K::List {
    item: &UUID,
    max: 200,
};

const GEO: Kind = K::Struct(&[
    ("lat", K::Float(-90.0, 90.0)),
    ("lon", K::Float(-180.0, 180.0)),
    ("accuracy_m", K::Optional(&K::Float(0.0, 1_000_000.0))),
]);
const OPT_GEO: Kind = K::Optional(&GEO);

const MEMBER: Kind = K::Struct(&[
    ("id", UUID),
    ("name_ar", SHORT),
    ("name_en", SHORT),
    ("civil_id", K::Text(32)),
    ("birth_date", OPT_DATE),
    ("sex", K::Optional(&K::Enum(Sex::STORED))),
    ("relation", K::Enum(Relation::STORED)),
    ("nationality", K::Text(32)),
    ("phone", K::Text(32)),
    ("health", MEDIUM),
    ("education", MEDIUM),
    ("work", MEDIUM),
]);

const ADDRESS: Kind = K::Struct(&[
    ("governorate", K::Optional(&K::Enum(Governorate::STORED))),
    ("area", SHORT),
    ("block", SHORT),
    ("street", SHORT),
    ("avenue", SHORT),
    ("house", SHORT),
    ("apartment", SHORT),
    ("paci_number", SHORT),
    ("gps", OPT_GEO),
]);

const HOUSING: Kind = K::Struct(&[
    ("kind", K::Optional(&K::Enum(HousingKind::STORED))),
    ("monthly_rent", K::Optional(&MONEY)),
    ("rooms", K::Optional(&K::Uint(0, 100))),
    ("condition", MEDIUM),
]);

const INCOME_LINE: Kind = K::Struct(&[
    ("id", UUID),
    ("kind", K::Enum(IncomeSource::STORED)),
    ("monthly", MONEY),
    ("member", OPT_UUID),
    ("note", MEDIUM),
]);
const EXPENSE_LINE: Kind = K::Struct(&[
    ("id", UUID),
    ("kind", K::Enum(ExpenseKind::STORED)),
    ("monthly", MONEY),
    ("member", OPT_UUID),
    ("note", MEDIUM),
]);

const HOUSEHOLD: Kind = K::Struct(&[
    (
        "members",
        K::List {
            item: &MEMBER,
            max: 60,
        },
    ),
    ("address", ADDRESS),
    ("housing", HOUSING),
    (
        "income",
        K::List {
            item: &INCOME_LINE,
            max: 100,
        },
    ),
    (
        "expenses",
        K::List {
            item: &EXPENSE_LINE,
            max: 100,
        },
    ),
    ("notes", LONG),
]);

const DECLARATION: Kind = K::Struct(&[
    ("signed_by", UUID),
    ("signature", UUID),
    ("signed_at", TIME),
    ("text_version", K::Text(64)),
]);

const REQUEST: Kind = K::Struct(&[
    ("id", UUID),
    ("kind", K::Enum(RequestType::STORED)),
    ("amount", K::Optional(&MONEY)),
    ("reason", MEDIUM),
    ("documents", UUID_LIST),
    ("declaration", K::Optional(&DECLARATION)),
]);

const VISIT: Kind = K::Struct(&[
    ("id", UUID),
    ("by", USER),
    ("at", TIME),
    ("location", OPT_GEO),
    (
        "answers",
        K::Dict {
            key_max: 64,
            value: &LONG,
            max: 200,
        },
    ),
    ("notes", LONG),
    ("documents", UUID_LIST),
]);

const DOCUMENT: Kind = K::Struct(&[
    ("id", UUID),
    ("kind", K::Enum(DocumentKind::STORED)),
    ("member", OPT_UUID),
    ("sha256", K::Sha256 { empty: false }),
    ("thumbnail_sha256", K::Sha256 { empty: true }),
    ("bytes", K::Uint(0, 64 * 1024 * 1024)),
    ("width", K::Uint(0, 100_000)),
    ("height", K::Uint(0, 100_000)),
    ("captured_at", TIME),
    ("captured_by", USER),
    ("expires_on", OPT_DATE),
]);

const CONTACT: Kind = K::Struct(&[
    ("id", UUID),
    ("channel", K::Enum(Channel::STORED)),
    ("direction", K::Enum(Direction::STORED)),
    ("at", TIME),
    ("by", USER),
    ("summary", MEDIUM),
    ("follow_up_on", OPT_DATE),
    ("follow_up_done", K::Bool),
]);

const REFERRAL: Kind = K::Struct(&[
    ("id", UUID),
    ("request", OPT_UUID),
    ("question", MEDIUM),
    ("by", USER),
    ("at", TIME),
    ("answer", K::Optional(&MEDIUM)),
    ("answered_by", OPT_USER),
    ("answered_at", OPT_TIME),
]);

const SERVICE: Kind = K::Struct(&[
    ("id", UUID),
    ("request", OPT_UUID),
    ("kind", K::Enum(ServiceKind::STORED)),
    ("description", MEDIUM),
    ("value", MONEY),
    ("delivered_at", TIME),
    ("by", USER),
]);

const SURVEY: Kind = K::Struct(&[
    ("id", UUID),
    ("at", TIME),
    ("administered_by", USER),
    ("reception", OPT_SCORE),
    ("time_and_answers", OPT_SCORE),
    ("clarity", OPT_SCORE),
    ("speed", OPT_SCORE),
    ("overall", OPT_SCORE),
    ("comment", LONG),
    ("wants_contact", K::Bool),
]);

const EVENT: Kind = K::Struct(&[
    ("id", UUID),
    ("kind", K::Enum(EventKind::STORED)),
    ("request", UUID),
    ("actor", USER),
    ("role", K::Enum(Role::STORED)),
    ("at", TIME),
    ("reason", MEDIUM),
]);

/// The whole case file.
pub const CASE_FILE: Kind = K::Struct(&[
    ("id", UUID),
    ("reference", K::CaseRef),
    ("branch", K::Branch),
    ("schema_version", K::Uint(1, SCHEMA_VERSION)),
    ("created_by", USER),
    ("created_at", TIME),
    ("household", HOUSEHOLD),
    (
        "requests",
        K::List {
            item: &REQUEST,
            max: 200,
        },
    ),
    (
        "visits",
        K::List {
            item: &VISIT,
            max: 500,
        },
    ),
    (
        "documents",
        K::List {
            item: &DOCUMENT,
            max: 1_000,
        },
    ),
    (
        "contacts",
        K::List {
            item: &CONTACT,
            max: 5_000,
        },
    ),
    (
        "referrals",
        K::List {
            item: &REFERRAL,
            max: 500,
        },
    ),
    (
        "services",
        K::List {
            item: &SERVICE,
            max: 5_000,
        },
    ),
    (
        "surveys",
        K::List {
            item: &SURVEY,
            max: 500,
        },
    ),
    (
        "events",
        K::List {
            item: &EVENT,
            max: 5_000,
        },
    ),
]);

/// Why a document does not fit the schema: where, and a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {code} ({detail})")]
pub struct SchemaError {
    /// Where, as `household.members#2.civil_id`.
    pub path: String,
    /// `unknown-key`, `missing-key`, `wrong-type`, `too-long`, `too-many`, `bad-format`,
    /// `out-of-range`, `too-many-values`, `unreadable`.
    pub code: &'static str,
    pub detail: String,
}

fn fail(path: &[Seg<'_>], code: &'static str, detail: impl Into<String>) -> SchemaError {
    let mut text = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Key(k) if i == 0 => text.push_str(k),
            Seg::Key(k) => {
                text.push('.');
                text.push_str(k);
            }
            Seg::Index(n) => text.push_str(&format!("#{n}")),
        }
    }
    SchemaError {
        path: text,
        code,
        detail: detail.into(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Checks a whole case document against [`CASE_FILE`].
pub fn check_document(doc: &AutoCommit) -> Result<(), SchemaError> {
    let mut path = Vec::with_capacity(MAX_DEPTH + 1);
    check_object(doc, &automerge::ROOT, ObjType::Map, &CASE_FILE, &mut path)
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            K::Struct(_) => "a record",
            K::List { .. } => "a list",
            K::Dict { .. } => "a map of answers",
            K::Optional(inner) => return write!(f, "null or {inner}"),
            K::Text(_) => "text",
            K::Uuid => "a UUID",
            K::UserId => "a user id",
            K::Branch => "a branch code",
            K::CaseRef => "a case reference",
            K::Sha256 { .. } => "a SHA-256",
            K::Enum(_) => "a code",
            K::Date => "a date",
            K::Timestamp => "a timestamp",
            K::Money => "an amount in fils",
            K::Uint(..) => "a whole number",
            K::Float(..) => "a number",
            K::Bool => "true or false",
        };
        f.write_str(name)
    }
}

/// Checks every (concurrent) value at `prop` of `obj`.
fn check_prop<'a>(
    doc: &AutoCommit,
    obj: &ObjId,
    prop: Prop,
    kind: &Kind,
    path: &mut Vec<Seg<'a>>,
) -> Result<(), SchemaError> {
    let values = doc
        .get_all(obj, prop)
        .map_err(|e| fail(path, "unreadable", e.to_string()))?;
    if values.is_empty() {
        return Err(fail(path, "missing-key", format!("expected {kind}")));
    }
    if values.len() > MAX_CONCURRENT_VALUES {
        return Err(fail(
            path,
            "too-many-values",
            format!("{} concurrent values", values.len()),
        ));
    }
    for (value, id) in values {
        check_value(doc, &value, &id, kind, path)?;
    }
    Ok(())
}

fn check_value<'a>(
    doc: &AutoCommit,
    value: &Value<'_>,
    id: &ObjId,
    kind: &Kind,
    path: &mut Vec<Seg<'a>>,
) -> Result<(), SchemaError> {
    match (kind, value) {
        (K::Optional(_), Value::Scalar(s)) if matches!(s.as_ref(), ScalarValue::Null) => Ok(()),
        (K::Optional(inner), _) => check_value(doc, value, id, inner, path),
        (K::Struct(_) | K::Dict { .. }, Value::Object(t @ (ObjType::Map | ObjType::Table))) => {
            check_object(doc, id, *t, kind, path)
        }
        (K::List { .. }, Value::Object(ObjType::List)) => {
            check_object(doc, id, ObjType::List, kind, path)
        }
        (_, Value::Scalar(s)) => check_scalar(s.as_ref(), kind, path),
        (_, Value::Object(t)) => Err(fail(
            path,
            "wrong-type",
            format!("expected {kind}, found an object ({t})"),
        )),
    }
}

fn check_object<'a>(
    doc: &AutoCommit,
    obj: &ObjId,
    found: ObjType,
    kind: &Kind,
    path: &mut Vec<Seg<'a>>,
) -> Result<(), SchemaError> {
    if path.len() >= MAX_DEPTH {
        // Unreachable with the schema above (its depth is bounded); kept as a guard.
        return Err(fail(path, "too-deep", "nested deeper than a case file"));
    }
    match kind {
        K::Struct(fields) => {
            if found != ObjType::Map {
                return Err(fail(path, "wrong-type", "expected a record"));
            }
            for key in doc.keys(obj) {
                if !fields.iter().any(|(name, _)| *name == key) {
                    let shown: String = key.chars().take(40).collect();
                    return Err(fail(path, "unknown-key", format!("unknown key {shown:?}")));
                }
            }
            for (name, field) in *fields {
                path.push(Seg::Key(name));
                check_prop(doc, obj, Prop::Map((*name).to_owned()), field, path)?;
                path.pop();
            }
            Ok(())
        }
        K::Dict {
            key_max,
            value,
            max,
        } => {
            if found != ObjType::Map {
                return Err(fail(path, "wrong-type", "expected a map"));
            }
            let keys: Vec<String> = doc.keys(obj).take(max + 1).collect();
            if keys.len() > *max {
                return Err(fail(path, "too-many", format!("more than {max} entries")));
            }
            for key in keys {
                if key.is_empty() || key.chars().count() > *key_max {
                    return Err(fail(path, "bad-format", "a key is empty or too long"));
                }
                check_prop(doc, obj, Prop::Map(key), value, path)?;
            }
            Ok(())
        }
        K::List { item, max } => {
            let len = doc.length(obj);
            if len > *max {
                return Err(fail(
                    path,
                    "too-many",
                    format!("{len} items, at most {max}"),
                ));
            }
            for i in 0..len {
                path.push(Seg::Index(i));
                check_prop(doc, obj, Prop::Seq(i), item, path)?;
                path.pop();
            }
            Ok(())
        }
        other => Err(fail(
            path,
            "wrong-type",
            format!("expected {other}, found an object"),
        )),
    }
}

fn check_scalar(s: &ScalarValue, kind: &Kind, path: &[Seg<'_>]) -> Result<(), SchemaError> {
    let wrong = || {
        fail(
            path,
            "wrong-type",
            format!("expected {kind}, found {}", scalar_name(s)),
        )
    };
    let out_of_range = |what: String| fail(path, "out-of-range", what);
    match kind {
        K::Text(max) => {
            let ScalarValue::Str(t) = s else {
                return Err(wrong());
            };
            // Bytes first: a cheap bound before counting characters.
            if t.len() > max * 4 || t.chars().count() > *max {
                return Err(fail(
                    path,
                    "too-long",
                    format!("more than {max} characters"),
                ));
            }
            Ok(())
        }
        K::Uuid | K::UserId | K::Branch | K::CaseRef | K::Sha256 { .. } | K::Enum(_) | K::Date => {
            let ScalarValue::Str(t) = s else {
                return Err(wrong());
            };
            let ok = match kind {
                K::Uuid => is_uuid(t),
                K::UserId => is_user_id(t),
                K::Branch => is_branch(t),
                K::CaseRef => is_case_reference(t),
                K::Sha256 { empty } => (*empty && t.is_empty()) || is_sha256(t),
                K::Enum(names) => names.contains(&t.as_str()),
                K::Date => is_date(t),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                let shown: String = t.chars().take(40).collect();
                Err(fail(path, "bad-format", format!("{shown:?} is not {kind}")))
            }
        }
        K::Timestamp => match s {
            ScalarValue::Timestamp(ms) if (MIN_TIME..=MAX_TIME).contains(ms) => Ok(()),
            ScalarValue::Timestamp(ms) => Err(out_of_range(format!("{ms} ms"))),
            _ => Err(wrong()),
        },
        K::Money => {
            let v = match s {
                ScalarValue::Int(n) => *n,
                ScalarValue::Uint(n) => i64::try_from(*n).unwrap_or(i64::MAX),
                _ => return Err(wrong()),
            };
            if (0..=MAX_FILS).contains(&v) {
                Ok(())
            } else {
                Err(out_of_range(format!("{v} fils")))
            }
        }
        K::Uint(lo, hi) => match s {
            ScalarValue::Uint(n) if (*lo..=*hi).contains(n) => Ok(()),
            ScalarValue::Uint(n) => Err(out_of_range(format!("{n} (expected {lo} to {hi})"))),
            _ => Err(wrong()),
        },
        K::Float(lo, hi) => match s {
            ScalarValue::F64(f) if f.is_finite() && (*lo..=*hi).contains(f) => Ok(()),
            ScalarValue::F64(f) => Err(out_of_range(format!("{f} (expected {lo} to {hi})"))),
            _ => Err(wrong()),
        },
        K::Bool => match s {
            ScalarValue::Boolean(_) => Ok(()),
            _ => Err(wrong()),
        },
        K::Struct(_) | K::List { .. } | K::Dict { .. } | K::Optional(_) => Err(wrong()),
    }
}

fn scalar_name(s: &ScalarValue) -> &'static str {
    match s {
        ScalarValue::Str(_) => "text",
        ScalarValue::Int(_) => "a signed integer",
        ScalarValue::Uint(_) => "an unsigned integer",
        ScalarValue::F64(_) => "a float",
        ScalarValue::Boolean(_) => "a boolean",
        ScalarValue::Null => "null",
        ScalarValue::Timestamp(_) => "a timestamp",
        ScalarValue::Counter(_) => "a counter",
        ScalarValue::Bytes(_) => "bytes",
        ScalarValue::Unknown { .. } => "an unknown value",
    }
}

/// 2000-01-01T00:00:00Z.
const MIN_TIME: i64 = 946_684_800_000;
/// 2200-01-01T00:00:00Z.
const MAX_TIME: i64 = 7_258_118_400_000;

/// A UUID in lowercase hyphenated form (how record ids are made).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// A user id: 1 to 64 of `A-Z a-z 0-9 . _ @ -` (safe in paths, links and logs).
pub fn is_user_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// A branch code: 1 to 16 capitals or digits.
pub fn is_branch(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A case reference: capitals, digits and hyphens, starting and ending with a letter or digit
/// (`QRN-D7-00042`), at most 48 characters.
pub fn is_case_reference(s: &str) -> bool {
    (3..=48).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A lowercase hex SHA-256.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A `YYYY-MM-DD` date from 1900 to 2200.
pub fn is_date(s: &str) -> bool {
    s.len() == 10
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok_and(|d| {
            use chrono::Datelike;
            (1900..=2200).contains(&d.year())
        })
}
