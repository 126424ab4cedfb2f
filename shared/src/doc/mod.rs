//! One automerge document per case file: create, load, save, merge, edit, and conflicts.
//!
//! Edits are written as field-level changes. [`CaseDoc::update`] lets callers change a hydrated
//! [`CaseFile`] as plain Rust data; it then writes *only* the leaves that differ from the
//! document's current values. A whole-struct `autosurgeon::reconcile` would instead re-put
//! every scalar, which creates history for untouched fields and silently resolves every pending
//! same-field conflict (measured: one unrelated edit resolved the conflict). Untouched fields
//! keep their concurrent values until a person chooses one ([`CaseDoc::resolve`]).
//!
//! Every commit carries the author's user id as its message and the author's clock as its
//! time, so a conflict can say who wrote each value and when.
//!
//! Here: the document's life (create, load, save, merge, edit); [`conflicts`]: reading and
//! resolving concurrent values, and the paths that name a field; [`write`]: writing only the
//! leaves that changed.

use std::fmt;

use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value,
    transaction::{CommitOptions, Transactable},
};
use serde::{Deserialize, Serialize};

use crate::ids::{Timestamp, UserId};
use crate::model::CaseFile;

mod conflicts;
mod write;

pub use conflicts::{ConflictValue, FieldConflict, FieldPath, PathSegment};
use write::sync_map;

/// What can go wrong with a case document.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an automerge document (or are damaged).
    #[error("not a readable case document: {0}")]
    Corrupt(String),
    /// The document is automerge, but not a case file this version understands.
    #[error("the document is not a valid case file: {0}")]
    Shape(Box<autosurgeon::HydrateError>),
    /// Writing the change failed.
    #[error("could not write the change: {0}")]
    Write(Box<autosurgeon::ReconcileError>),
    /// A change received from another replica cannot be parsed.
    #[error("a received change is damaged: {0}")]
    BadChange(String),
    /// A conflict was resolved at a path that does not exist.
    #[error("no field at {0}")]
    NoSuchField(FieldPath),
    /// There were no bytes at all.
    #[error("the case document is empty")]
    Empty,
    /// The bytes made automerge's decoder fail in a way it does not report as an error.
    #[error("the bytes are damaged: {0}")]
    Damaged(String),
    /// The case file would not fit what a case document may contain ([`crate::schema`]).
    #[error("{0}")]
    Schema(crate::schema::SchemaError),
    /// A conflict was to be resolved on a field that holds a single value.
    #[error("the field at {0} holds a single value: there is no conflict to resolve")]
    NotInConflict(FieldPath),
    /// The document says it was written by a newer version of the app.
    #[error("case file schema {found} is newer than this app understands ({supported})")]
    NewerSchema { found: u64, supported: u64 },
}

// The underlying errors are large; boxed, `Result<_, DocError>` stays small on the hot path.
macro_rules! boxed_from {
    ($($source:ty => $variant:ident),+ $(,)?) => {
        $(impl From<$source> for DocError {
            fn from(e: $source) -> Self {
                DocError::$variant(Box::new(e))
            }
        })+
    };
}
impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Corrupt(e.to_string())
    }
}

impl From<automerge::LoadChangeError> for DocError {
    fn from(e: automerge::LoadChangeError) -> Self {
        DocError::BadChange(e.to_string())
    }
}

boxed_from!(
    autosurgeon::HydrateError => Shape,
    autosurgeon::ReconcileError => Write,
);

/// Runs automerge's decoder on bytes from elsewhere. Its decoder can panic on some malformed
/// input instead of returning an error (found by the `load_document` fuzz target, in
/// automerge 0.12's column decoder); such a panic is caught here and reported as damaged bytes,
/// so no input can take a thread down.
fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, DocError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the decoder failed");
        DocError::Damaged(what.to_owned())
    })
}

/// The types of the chunks in `bytes` (see [`crate::chunk::types`]).
pub fn chunk_types(bytes: &[u8]) -> Option<Vec<u8>> {
    crate::chunk::types(bytes)
}

/// Parses one encoded change from another replica: exactly one uncompressed change chunk.
/// Anything else is refused before automerge decodes it: a compressed chunk inflates before
/// anything can bound it, and automerge's decoder of other chunk kinds (bundles, found by the
/// `sync_request` and `load_document` fuzz targets) can allocate without bound on crafted
/// bytes. See also [`guarded`].
pub fn parse_change(bytes: &[u8]) -> Result<automerge::Change, DocError> {
    if chunk_types(bytes).as_deref() != Some(&[1]) {
        return Err(DocError::BadChange(
            "not one uncompressed automerge change".into(),
        ));
    }
    Ok(guarded(|| automerge::Change::try_from(bytes))??)
}

/// Who makes an edit, and when (by their clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub user: UserId,
    pub at: Timestamp,
}

/// A case file's automerge document.
#[derive(Debug, Clone)]
pub struct CaseDoc {
    doc: AutoCommit,
}

impl CaseDoc {
    /// A new document holding `case`, written by `author`.
    pub fn create(case: &CaseFile, author: &Author) -> Result<Self, DocError> {
        let mut doc = AutoCommit::new();
        let mut case = case.clone();
        case.schema_version = case.schema_version.max(case.needed_schema());
        autosurgeon::reconcile(&mut doc, &case)?;
        crate::schema::check_document(&doc).map_err(DocError::Schema)?;
        let mut this = Self { doc };
        this.commit(author);
        Ok(this)
    }

    /// Loads a saved document (a full save, optionally followed by incremental changes).
    /// The document must be a case file of a schema this code knows (checked from its
    /// `schema_version`; the rest is checked when it is hydrated).
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        if bytes.is_empty() {
            return Err(DocError::Empty);
        }
        // Only what this code writes: a document, then changes (no bundles, whose decoder
        // can allocate without bound on crafted bytes).
        match chunk_types(bytes) {
            Some(types) if types.iter().all(|t| matches!(t, 0..=2)) => {}
            _ => {
                return Err(DocError::Corrupt(
                    "not a saved case document (unknown or unexpected chunks)".into(),
                ));
            }
        }
        // Strict: a damaged tail is an error, not a silently shorter document.
        let doc = guarded(|| AutoCommit::load_with_options(bytes, strict()))??;
        let this = Self { doc };
        this.check_schema()?;
        Ok(this)
    }

    /// An empty document, to assemble a case from received changes ([`Self::apply_changes`]);
    /// it hydrates once the change that created the case is in.
    pub fn empty() -> Self {
        Self {
            doc: AutoCommit::new(),
        }
    }

    /// Whether the change with this hash is part of the document.
    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.doc.get_change_by_hash(hash).is_some()
    }

    /// Wraps an automerge document (for example one assembled from synced changes).
    pub fn from_automerge(doc: AutoCommit) -> Result<Self, DocError> {
        let this = Self { doc };
        this.check_schema()?;
        Ok(this)
    }

    fn check_schema(&self) -> Result<(), DocError> {
        let found: u64 = autosurgeon::hydrate_prop(&self.doc, automerge::ROOT, "schema_version")?;
        if found > crate::model::SCHEMA_VERSION {
            return Err(DocError::NewerSchema {
                found,
                supported: crate::model::SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// Sets the actor id of this replica (one per device or server process).
    pub fn set_actor(&mut self, actor: automerge::ActorId) {
        self.doc.set_actor(actor);
    }

    /// The compacted document.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made since `heads`, in the incremental format `load_incremental` reads.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Applies changes saved by `save_after` of this same document, from trusted local
    /// storage. automerge keeps whatever parses before damaged bytes (and logs a warning), so
    /// bytes from the network go through [`Self::apply_changes`] instead.
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        self.doc.load_incremental(bytes)?;
        Ok(())
    }

    /// Every change after `heads`, one encoded change per item (what sync sends).
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<Vec<u8>> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    /// Applies encoded changes from another replica. All are parsed first: if any is damaged,
    /// none is applied and the document is unchanged. Changes already present are ignored.
    pub fn apply_changes(&mut self, changes: &[Vec<u8>]) -> Result<(), DocError> {
        let parsed = changes
            .iter()
            .map(|bytes| parse_change(bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let doc = &mut self.doc;
        guarded(move || doc.apply_changes(parsed))??;
        Ok(())
    }

    /// Merges another replica of the same case into this one.
    pub fn merge(&mut self, other: &mut CaseDoc) -> Result<(), DocError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// The current heads (a hash of everything this replica has).
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Access to the automerge document, for sync code.
    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// The case file as Rust data. Where a field has concurrent values, the one automerge
    /// picks deterministically is returned (the same on every replica); see [`Self::conflicts`].
    pub fn hydrate(&self) -> Result<CaseFile, DocError> {
        Ok(autosurgeon::hydrate(&self.doc)?)
    }

    /// Changes the case file with `edit` and writes only what changed, as one change by
    /// `author`. Returns whether anything changed.
    pub fn update<F>(&mut self, author: &Author, edit: F) -> Result<bool, DocError>
    where
        F: FnOnce(&mut CaseFile),
    {
        Ok(self.edit(author, edit)?.is_some())
    }

    /// Like [`Self::update`], returning the case file as it is after the edit (the one
    /// [`Self::hydrate`] would now give), or `None` when nothing changed.
    pub fn edit<F>(&mut self, author: &Author, edit: F) -> Result<Option<CaseFile>, DocError>
    where
        F: FnOnce(&mut CaseFile),
    {
        let before = self.hydrate()?;
        let mut after = before.clone();
        edit(&mut after);
        // A field of a later layout raises the document's version with it, so that older
        // code refuses the document cleanly instead of misreading it.
        after.schema_version = after.schema_version.max(after.needed_schema());
        if after == before {
            return Ok(None);
        }
        let mut target = AutoCommit::new();
        autosurgeon::reconcile(&mut target, &after)?;
        // Nothing is written that the server would refuse for its shape.
        crate::schema::check_document(&target).map_err(DocError::Schema)?;
        sync_map(&mut self.doc, &automerge::ROOT, &target, &automerge::ROOT)?;
        self.commit(author);
        // The document now shows exactly `after`: changed leaves were written, unchanged ones
        // already showed these values. (Checked in debug builds, which the tests use.)
        debug_assert_eq!(self.hydrate().ok().as_ref(), Some(&after));
        Ok(Some(after))
    }

    fn commit(&mut self, author: &Author) -> bool {
        self.doc
            .commit_with(
                CommitOptions::default()
                    .with_message(author.user.as_str())
                    .with_time(author.at.millis()),
            )
            .is_some()
    }
}

fn strict() -> automerge::LoadOptions<'static> {
    automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error)
}
