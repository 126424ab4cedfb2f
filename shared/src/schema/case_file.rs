//! The case file, key by key: the table the walk in [`super`] checks documents against.

use super::{Kind, LONG_TEXT, MEDIUM_TEXT, SHORT_TEXT};
use crate::model::*;
use crate::workflow::{EventKind, Role};

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
    ("grant", K::Since(2, &GRANT)),
]);

const GRANT: Kind = K::Struct(&[("amount", K::Optional(&MONEY)), ("in_kind", MEDIUM)]);

/// The whole case file.
pub const CASE_FILE: Kind = K::Struct(&[
    ("id", UUID),
    ("reference", K::CaseRef),
    ("branch", K::Branch),
    (
        "schema_version",
        K::Uint(FIRST_SCHEMA_VERSION, SCHEMA_VERSION),
    ),
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
