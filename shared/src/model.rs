//! The case file: one household, everything the society knows and did for it.
//!
//! A [`CaseFile`] is mapped to one automerge document with autosurgeon (see [`crate::doc`]).
//! List items carry a stable id marked `#[key]`, so concurrent inserts, edits and deletes in
//! lists merge by identity rather than by position.
//!
//! Architecture invariant: a decision is never a field that can be written; it is a workflow
//! [`WorkflowEvent`], and status is derived from the event list (see [`crate::workflow`]).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::*;

/// The newest document layout this code reads and writes.
///
/// A document records in `schema_version` the oldest layout that holds everything in it: a
/// new case is version 1, and it is raised only when a field of a later layout is written
/// ([`CaseFile::needed_schema`]). Code that knows an older layout refuses a newer document
/// with a clear "update the app" error instead of misreading it; see ARCHITECTURE.md,
/// "Schema evolution".
///
/// - 1: the first layout.
/// - 2: a decision may carry a [`Grant`] (an amount other than the one asked, or in kind).
pub const SCHEMA_VERSION: u64 = 2;

/// The layout a new case file is written in: the oldest one, so that every app that knows
/// layout 1 can open it until a later field is used.
pub const FIRST_SCHEMA_VERSION: u64 = 1;

/// Declares a closed list of codes: the enum, `ALL`, and a stable kebab-case `code()` used in
/// translations (`<prefix>-<code>`) and in data files.
macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident, $prefix:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, autosurgeon::Reconcile, autosurgeon::Hydrate)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The names the case document stores (autosurgeon writes a unit variant by its
            /// Rust name), in the order of [`Self::ALL`]; [`crate::schema`] accepts only these.
            pub const STORED: &'static [&'static str] = &[$(stringify!($variant)),+];

            /// The stable code of this value.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// The value with this code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)+ _ => None }
            }

            /// The translation key of this value's label.
            pub fn label_key(self) -> String {
                format!("{}-{}", $prefix, self.code())
            }
        }
    };
}
pub(crate) use domain_enum;

domain_enum!(
    /// A member's relation to the head of household.
    Relation, "relation" {
        Head => "head",
        Spouse => "spouse",
        Son => "son",
        Daughter => "daughter",
        Father => "father",
        Mother => "mother",
        Brother => "brother",
        Sister => "sister",
        Grandchild => "grandchild",
        Other => "other",
    }
);

domain_enum!(
    /// Sex, as on the civil ID card.
    Sex, "sex" { Male => "male", Female => "female" }
);

domain_enum!(
    /// Kuwait's six governorates.
    Governorate, "governorate" {
        Capital => "capital",
        Hawalli => "hawalli",
        Farwaniya => "farwaniya",
        Ahmadi => "ahmadi",
        Jahra => "jahra",
        MubarakAlKabeer => "mubarak-al-kabeer",
    }
);

domain_enum!(
    /// How the household is housed.
    HousingKind, "housing" {
        Owned => "owned",
        Rented => "rented",
        Government => "government",
        Family => "family",
        Other => "other",
    }
);

domain_enum!(
    /// Where income comes from.
    IncomeSource, "income" {
        Salary => "salary",
        Pension => "pension",
        SocialAssistance => "social-assistance",
        Business => "business",
        FamilySupport => "family-support",
        Other => "other",
    }
);

domain_enum!(
    /// What money goes to.
    ExpenseKind, "expense" {
        Rent => "rent",
        Utilities => "utilities",
        LoanInstallment => "loan",
        Education => "education",
        Medical => "medical",
        Food => "food",
        Other => "other",
    }
);

domain_enum!(
    /// The kinds of support request (their documents are in [`crate::catalog`]).
    RequestType, "request-type" {
        MonthlyAid => "monthly-aid",
        EmergencyAid => "emergency-aid",
        RentAssistance => "rent-assistance",
        Medical => "medical",
        EducationFees => "education-fees",
        FoodBasket => "food-basket",
        UtilityBills => "utility-bills",
        DebtRelief => "debt-relief",
        OrphanSponsorship => "orphan-sponsorship",
    }
);

domain_enum!(
    /// The kinds of document a representative photographs.
    DocumentKind, "document-kind" {
        CivilId => "civil-id",
        SalaryCertificate => "salary-certificate",
        BankStatement => "bank-statement",
        PaciAddress => "paci-address",
        EmergencyProof => "emergency-proof",
        RentContract => "rent-contract",
        RentArrears => "rent-arrears",
        IncomeProof => "income-proof",
        MedicalReport => "medical-report",
        Invoice => "invoice",
        FeeInvoice => "fee-invoice",
        EnrolmentProof => "enrolment-proof",
        UtilityBill => "utility-bill",
        CourtJudgment => "court-judgment",
        DeathCertificate => "death-certificate",
        GuardianProof => "guardian-proof",
        Signature => "signature",
        Other => "other",
    }
);

domain_enum!(
    /// The policy's eight channels of communication with beneficiaries.
    Channel, "channel" {
        InPerson => "in-person",
        Phone => "phone",
        SocialMedia => "social-media",
        Letter => "letter",
        AssistanceRequest => "assistance-request",
        Volunteering => "volunteering",
        Website => "website",
        BranchRepresentative => "branch-representative",
    }
);

domain_enum!(
    /// Who started a contact.
    Direction, "direction" { Inbound => "inbound", Outbound => "outbound" }
);

domain_enum!(
    /// What was delivered to the household.
    ServiceKind, "service" {
        CashTransfer => "cash",
        FoodBasket => "food",
        InKind => "in-kind",
        BillPayment => "bill-payment",
        FeePayment => "fee-payment",
        Other => "other",
    }
);

/// A household case file: the root of one automerge document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CaseFile {
    pub id: CaseId,
    pub reference: CaseReference,
    pub branch: BranchCode,
    pub schema_version: u64,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub household: Household,
    pub requests: Vec<SupportRequest>,
    pub visits: Vec<Visit>,
    pub documents: Vec<DocumentMeta>,
    pub contacts: Vec<ContactEntry>,
    pub referrals: Vec<Referral>,
    pub services: Vec<ServiceRecord>,
    pub surveys: Vec<SatisfactionSurvey>,
    /// Append-only workflow events; status is derived from them.
    pub events: Vec<WorkflowEvent>,
}

/// The household: who lives there, where, and how they live.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Household {
    /// Members, the head of household among them (relation [`Relation::Head`]).
    pub members: Vec<Member>,
    pub address: Address,
    pub housing: Housing,
    pub income: Vec<MoneyLine<IncomeSource>>,
    pub expenses: Vec<MoneyLine<ExpenseKind>>,
    pub notes: String,
}

/// A person in the household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Member {
    #[key]
    pub id: MemberId,
    pub name_ar: String,
    pub name_en: String,
    /// As typed (Arabic-Indic digits allowed); see [`crate::validate::civil_id`].
    pub civil_id: String,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub relation: Relation,
    /// ISO 3166 alpha-3 code, or `stateless` (bidoon).
    pub nationality: String,
    pub phone: String,
    pub health: String,
    pub education: String,
    pub work: String,
}

impl Member {
    /// A member with only a name and relation; the rest is filled during the interview.
    pub fn new(name_ar: impl Into<String>, relation: Relation) -> Self {
        Self {
            id: MemberId::generate(),
            name_ar: name_ar.into(),
            name_en: String::new(),
            civil_id: String::new(),
            birth_date: None,
            sex: None,
            relation,
            nationality: String::new(),
            phone: String::new(),
            health: String::new(),
            education: String::new(),
            work: String::new(),
        }
    }
}

/// A Kuwaiti address, with the PACI number when known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Address {
    pub governorate: Option<Governorate>,
    pub area: String,
    pub block: String,
    pub street: String,
    pub avenue: String,
    pub house: String,
    pub apartment: String,
    /// The PACI "automated address number" (الرقم الآلي للعنوان).
    pub paci_number: String,
    pub gps: Option<GeoPoint>,
}

/// A position from the device's location service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

/// Housing conditions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Housing {
    pub kind: Option<HousingKind>,
    pub monthly_rent: Option<Fils>,
    pub rooms: Option<u64>,
    pub condition: String,
}

/// A monthly amount of income or expense, by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct MoneyLine<K> {
    #[key]
    pub id: MoneyLineId,
    pub kind: K,
    pub monthly: Fils,
    /// The member this income belongs to, when it is someone's.
    pub member: Option<MemberId>,
    pub note: String,
}

/// A support request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SupportRequest {
    #[key]
    pub id: RequestId,
    pub kind: RequestType,
    pub amount: Option<Fils>,
    pub reason: String,
    /// Documents attached to this request (ids into [`CaseFile::documents`]).
    pub documents: Vec<DocumentId>,
    pub declaration: Option<Declaration>,
}

/// The applicant's signed statement that the data is true (policy step 4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Declaration {
    pub signed_by: MemberId,
    /// The signature drawing, a [`DocumentKind::Signature`] document.
    pub signature: DocumentId,
    pub signed_at: Timestamp,
    /// Which wording of the declaration was shown (it is versioned like any legal text).
    pub text_version: String,
}

/// A home visit or interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Visit {
    #[key]
    pub id: VisitId,
    pub by: UserId,
    pub at: Timestamp,
    pub location: Option<GeoPoint>,
    /// Interview answers by question code.
    pub answers: BTreeMap<String, String>,
    pub notes: String,
    pub documents: Vec<DocumentId>,
}

/// Metadata of a captured photo; the bytes are a blob named by `sha256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DocumentMeta {
    #[key]
    pub id: DocumentId,
    pub kind: DocumentKind,
    /// Whose document it is (a salary certificate belongs to one earning member).
    pub member: Option<MemberId>,
    pub sha256: String,
    pub thumbnail_sha256: String,
    pub bytes: u64,
    pub width: u64,
    pub height: u64,
    pub captured_at: Timestamp,
    pub captured_by: UserId,
    pub expires_on: Option<Date>,
}

/// One contact with the household on one of the policy's channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ContactEntry {
    #[key]
    pub id: ContactId,
    pub channel: Channel,
    pub direction: Direction,
    pub at: Timestamp,
    pub by: UserId,
    pub summary: String,
    pub follow_up_on: Option<Date>,
    pub follow_up_done: bool,
}

/// A question referred to the social-research officer (policy step 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Referral {
    #[key]
    pub id: ReferralId,
    pub request: Option<RequestId>,
    pub question: String,
    pub by: UserId,
    pub at: Timestamp,
    pub answer: Option<String>,
    pub answered_by: Option<UserId>,
    pub answered_at: Option<Timestamp>,
}

/// A service delivered (policy step 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ServiceRecord {
    #[key]
    pub id: ServiceId,
    pub request: Option<RequestId>,
    pub kind: ServiceKind,
    pub description: String,
    pub value: Fils,
    pub delivered_at: Timestamp,
    pub by: UserId,
}

/// The beneficiary's satisfaction survey. Scores are 1 (worst) to 5 (best); an unanswered
/// question stays `None`. Rating is the beneficiary's right and is used to improve the service,
/// never to punish anyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SatisfactionSurvey {
    #[key]
    pub id: SurveyId,
    pub at: Timestamp,
    /// Who handed the survey over (not who answered it).
    pub administered_by: UserId,
    pub reception: Option<u64>,
    pub time_and_answers: Option<u64>,
    pub clarity: Option<u64>,
    pub speed: Option<u64>,
    pub overall: Option<u64>,
    pub comment: String,
    pub wants_contact: bool,
}

impl SatisfactionSurvey {
    /// The scored questions, in order, with their translation keys.
    pub fn scores(&self) -> [(&'static str, Option<u64>); 5] {
        [
            ("survey-reception", self.reception),
            ("survey-time-and-answers", self.time_and_answers),
            ("survey-clarity", self.clarity),
            ("survey-speed", self.speed),
            ("survey-overall", self.overall),
        ]
    }
}

/// One step of the workflow, appended by whoever took it. See [`crate::workflow`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct WorkflowEvent {
    #[key]
    pub id: EventId,
    pub kind: crate::workflow::EventKind,
    pub request: RequestId,
    pub actor: UserId,
    pub role: crate::workflow::Role,
    pub at: Timestamp,
    /// Why (required for decisions and requests for information); for the representative's
    /// "information provided", the answer to the committee's question.
    pub reason: String,
    /// On an acceptance, what the committee granted when it is not simply what was asked
    /// (layout 2). Absent from the document when `None`, so older events keep their shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(reconcile = "absent_when_none", missing = "none")]
    pub grant: Option<Grant>,
}

/// What the committee granted, when it differs from the request: another amount, help in
/// kind, or both. The decision's reason says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Grant {
    /// The amount granted, in fils; `None` when only help in kind is given.
    pub amount: Option<Fils>,
    /// What is given in kind (empty when only money is granted).
    pub in_kind: String,
}

impl Grant {
    /// Whether the grant says what is given (an amount, or something in kind).
    pub fn is_complete(&self) -> bool {
        self.amount.is_some() || !self.in_kind.trim().is_empty()
    }
}

/// An optional field absent from the document reads as `None`.
fn none<T>() -> Option<T> {
    None
}

/// Writes an optional field only when it has a value: the key is absent otherwise, as in
/// documents written before the field existed (see [`SCHEMA_VERSION`]).
fn absent_when_none<T: Reconcile, R: autosurgeon::Reconciler>(
    value: &Option<T>,
    reconciler: R,
) -> Result<(), R::Error> {
    match value {
        Some(inner) => inner.reconcile(reconciler),
        None => Ok(()),
    }
}

impl CaseFile {
    /// A new, empty case file.
    pub fn new(
        reference: CaseReference,
        branch: BranchCode,
        created_by: UserId,
        created_at: Timestamp,
    ) -> Self {
        Self {
            id: CaseId::generate(),
            reference,
            branch,
            schema_version: FIRST_SCHEMA_VERSION,
            created_by,
            created_at,
            household: Household::default(),
            requests: Vec::new(),
            visits: Vec::new(),
            documents: Vec::new(),
            contacts: Vec::new(),
            referrals: Vec::new(),
            services: Vec::new(),
            surveys: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The oldest document layout that holds this case file (see [`SCHEMA_VERSION`]).
    pub fn needed_schema(&self) -> u64 {
        if self.events.iter().any(|e| e.grant.is_some()) {
            2
        } else {
            FIRST_SCHEMA_VERSION
        }
    }

    /// The blobs (photo and thumbnail SHA-256s) this case's documents refer to, sorted and
    /// without repeats: who may read the case may read these.
    pub fn blob_refs(&self) -> Vec<String> {
        let mut refs: Vec<String> = self
            .documents
            .iter()
            .flat_map(|d| [d.sha256.clone(), d.thumbnail_sha256.clone()])
            .filter(|s| !s.is_empty())
            .collect();
        refs.sort();
        refs.dedup();
        refs
    }

    /// The head of household, when one is recorded.
    pub fn head(&self) -> Option<&Member> {
        self.household
            .members
            .iter()
            .find(|m| m.relation == Relation::Head)
    }

    /// A member by id.
    pub fn member(&self, id: &MemberId) -> Option<&Member> {
        self.household.members.iter().find(|m| &m.id == id)
    }

    /// A document by id.
    pub fn document(&self, id: &DocumentId) -> Option<&DocumentMeta> {
        self.documents.iter().find(|d| &d.id == id)
    }

    /// A request by id.
    pub fn request(&self, id: &RequestId) -> Option<&SupportRequest> {
        self.requests.iter().find(|r| &r.id == id)
    }
}
