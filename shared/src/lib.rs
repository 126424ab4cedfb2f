//! Mandoob's domain: the household case file and the rules around it.
//!
//! Architecture invariant: this crate does no IO (no files, network, clock reads outside id
//! generation, or async runtime), so the device engine, the HQ server, tests and benchmarks all
//! share exactly these rules.
//!
//! - [`access`]: who may do what (branch scope, deciding, the console), one place;
//! - [`model`]: the case file (`CaseFile`) and its parts;
//! - [`doc`]: one automerge document per case: create, load, save, merge, field-level edits,
//!   conflicts;
//! - [`validate`]: civil IDs, phones, households, submissions, with structured errors;
//! - [`catalog`]: request types and the documents each needs (data, in `assets/`);
//! - [`workflow`]: roles, events, the derived status, the committee's due date;
//! - [`arabic`] and [`dedupe`]: search keys for Arabic names and duplicate candidates;
//! - [`summary`]: what a case list needs of a case file (the server ships it with whole
//!   documents);
//! - [`schema`]: what a case document may contain (keys, types, sizes, formats, ranges);
//! - [`history`]: what may change once written (the append-only rules, one table);
//! - [`i18n`]: Fluent translations, Arabic first.

pub mod access;
pub mod arabic;
pub mod catalog;
pub mod chunk;
pub mod dedupe;
pub mod doc;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod i18n;
pub mod ids;
pub mod model;
pub mod sample;
pub mod schema;
pub mod summary;
pub mod sync;
pub mod validate;
pub mod workflow;

pub use doc::{Author, CaseDoc, DocError, FieldConflict, FieldPath};
pub use ids::*;
pub use model::*;
