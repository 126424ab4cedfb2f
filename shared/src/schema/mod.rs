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

mod case_file;

use Kind as K;
pub use case_file::CASE_FILE;

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
    /// A key added in this layout version: absent in older documents; when present, the
    /// document's `schema_version` must be at least this version.
    Since(u64, &'static Kind),
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
            K::Since(_, inner) => return write!(f, "{inner}"),
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

/// The layout version a document declares (every value of `schema_version` must reach a
/// field's version: the smallest is taken).
fn document_version(doc: &AutoCommit) -> u64 {
    doc.get_all(&automerge::ROOT, "schema_version")
        .unwrap_or_default()
        .iter()
        .filter_map(|(v, _)| match v {
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Uint(n) => Some(*n),
                ScalarValue::Int(n) => u64::try_from(*n).ok(),
                _ => None,
            },
            Value::Object(_) => None,
        })
        .min()
        .unwrap_or(0)
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
        if let K::Since(..) = kind {
            return Ok(());
        }
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
        (K::Since(version, inner), _) => {
            let found = document_version(doc);
            if found < *version {
                return Err(fail(
                    path,
                    "newer-field",
                    format!("a field of layout {version} in a document of layout {found}"),
                ));
            }
            check_value(doc, value, id, inner, path)
        }
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
        K::Struct(_) | K::List { .. } | K::Dict { .. } | K::Optional(_) | K::Since(..) => {
            Err(wrong())
        }
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
