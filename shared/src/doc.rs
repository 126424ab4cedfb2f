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

use std::fmt;

use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value,
    transaction::{CommitOptions, Transactable},
};
use serde::{Deserialize, Serialize};

use crate::ids::{Timestamp, UserId};
use crate::model::CaseFile;

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
        autosurgeon::reconcile(&mut doc, case)?;
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

    /// Every field that currently holds concurrent values, in document order.
    pub fn conflicts(&mut self) -> Result<Vec<FieldConflict>, DocError> {
        let mut found = Vec::new();
        let mut path = FieldPath::default();
        collect_conflicts(&self.doc, &automerge::ROOT, &mut path, &mut found)?;
        // Attribute each value to the change that wrote it.
        if !found.is_empty() {
            let metas: Vec<_> = self
                .doc
                .get_changes_meta(&[])
                .into_iter()
                .map(|m| {
                    (
                        m.actor.to_hex_string(),
                        m.start_op,
                        m.max_op,
                        m.timestamp,
                        m.message.map(|s| s.into_owned()),
                    )
                })
                .collect();
            for conflict in &mut found {
                for value in &mut conflict.values {
                    if let Some((_, _, _, time, message)) =
                        metas.iter().find(|(actor, start, max, _, _)| {
                            *actor == value.actor
                                && *start <= value.counter
                                && value.counter <= *max
                        })
                    {
                        value.author = message.clone().map(UserId::new);
                        value.at = Timestamp::from_millis(*time);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Whether any field holds concurrent values (stops at the first; cheaper than
    /// [`Self::conflicts`], for list badges).
    pub fn has_conflicts(&self) -> Result<bool, DocError> {
        Ok(any_conflict(&self.doc.hydrate(automerge::ROOT, None)?))
    }

    /// The case file and whether any field holds concurrent values, from one pass over the
    /// document: what list indexes need after a sync of many documents.
    ///
    /// automerge materializes the whole document in one walk (marking conflicts as it goes),
    /// which is several times cheaper than autosurgeon's lookup per field; the tree is then
    /// read with the model's serde mapping, which stores the same shapes (tested to give the
    /// same `CaseFile` as [`Self::hydrate`], conflicts included). Anything that mapping cannot
    /// read falls back to [`Self::hydrate`], which stays the reference.
    pub fn read_with_conflicts(&self) -> Result<(CaseFile, bool), DocError> {
        let tree = self.doc.hydrate(automerge::ROOT, None)?;
        let conflicts = any_conflict(&tree);
        match serde_json::from_value::<CaseFile>(tree_to_json(&tree)) {
            Ok(case) => Ok((case, conflicts)),
            Err(_) => Ok((self.hydrate()?, conflicts)),
        }
    }

    /// [`Self::read_with_conflicts`] without the fallback (tests check it reads every
    /// document the model writes).
    #[doc(hidden)]
    pub fn read_materialized(&self) -> Result<(CaseFile, bool), String> {
        let tree = self
            .doc
            .hydrate(automerge::ROOT, None)
            .map_err(|e| e.to_string())?;
        let case =
            serde_json::from_value::<CaseFile>(tree_to_json(&tree)).map_err(|e| e.to_string())?;
        Ok((case, any_conflict(&tree)))
    }

    /// The concurrent values of one field (empty when the field holds a single value).
    pub fn conflicts_at(&mut self, path: &FieldPath) -> Result<Vec<ConflictValue>, DocError> {
        Ok(self
            .conflicts()?
            .into_iter()
            .find(|c| &c.path == path)
            .map(|c| c.values)
            .unwrap_or_default())
    }

    /// Whether the document fits what a case document may contain ([`crate::schema`]).
    pub fn check_schema_full(&self) -> Result<(), crate::schema::SchemaError> {
        crate::schema::check_document(&self.doc)
    }

    /// Resolves a conflict by writing `value` over every concurrent value of the field at
    /// `path`. `value` is usually one of the [`ConflictValue::value`]s, or a combination.
    /// Only a field that holds concurrent values can be resolved, and only with a value the
    /// field may hold.
    pub fn resolve(
        &mut self,
        path: &FieldPath,
        value: &serde_json::Value,
        author: &Author,
    ) -> Result<(), DocError> {
        let (obj, prop) = self.locate(path)?;
        if self.doc.get_all(&obj, prop.clone())?.len() < 2 {
            return Err(DocError::NotInConflict(path.clone()));
        }
        let scalar = json_to_scalar(value).ok_or_else(|| DocError::NoSuchField(path.clone()))?;
        // Keep the field's automerge type (a timestamp stays a timestamp).
        let scalar = match (self.doc.get(&obj, prop.clone())?, scalar) {
            (Some((Value::Scalar(cur), _)), ScalarValue::Int(n))
                if matches!(cur.as_ref(), ScalarValue::Timestamp(_)) =>
            {
                ScalarValue::Timestamp(n)
            }
            (Some((Value::Scalar(cur), _)), ScalarValue::Int(n))
                if matches!(cur.as_ref(), ScalarValue::Uint(_)) && n >= 0 =>
            {
                ScalarValue::Uint(n.unsigned_abs())
            }
            (Some((Value::Scalar(cur), _)), ScalarValue::Int(n))
                if matches!(cur.as_ref(), ScalarValue::F64(_)) =>
            {
                ScalarValue::F64(n as f64)
            }
            (_, s) => s,
        };
        match prop {
            Prop::Map(key) => self.doc.put(&obj, key, scalar)?,
            Prop::Seq(index) => self.doc.put(&obj, index, scalar)?,
        }
        if let Err(e) = crate::schema::check_document(&self.doc) {
            self.doc.rollback();
            return Err(DocError::Schema(e));
        }
        self.commit(author);
        Ok(())
    }

    fn locate(&self, path: &FieldPath) -> Result<(ObjId, Prop), DocError> {
        let missing = || DocError::NoSuchField(path.clone());
        let (last, parents) = path.0.split_last().ok_or_else(missing)?;
        let mut obj = automerge::ROOT;
        for seg in parents {
            let prop = self.prop_of(&obj, seg)?.ok_or_else(missing)?;
            match self.doc.get(&obj, prop)? {
                Some((Value::Object(_), child)) => obj = child,
                _ => return Err(missing()),
            }
        }
        let prop = self.prop_of(&obj, last)?.ok_or_else(missing)?;
        Ok((obj, prop))
    }

    fn prop_of(&self, obj: &ObjId, seg: &PathSegment) -> Result<Option<Prop>, DocError> {
        Ok(match seg {
            PathSegment::Key(k) => Some(Prop::Map(k.clone())),
            PathSegment::Index(i) => Some(Prop::Seq(*i)),
            PathSegment::Item(id) => find_item(&self.doc, obj, id)?.map(Prop::Seq),
        })
    }
}

fn strict() -> automerge::LoadOptions<'static> {
    automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error)
}

/// A step into the document: a map key, a list item by its `id`, or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PathSegment {
    Key(String),
    Item(String),
    Index(usize),
}

/// Where a field is, for example `household.members[0190…].phone`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldPath(pub Vec<PathSegment>);

impl FieldPath {
    /// Parses the `Display` form back (`a.b[id].c`, `list#3`).
    pub fn parse(text: &str) -> Option<Self> {
        let mut segs = Vec::new();
        for part in text.split('.') {
            let (key, rest) = match part.find(['[', '#']) {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() {
                return None;
            }
            segs.push(PathSegment::Key(key.to_owned()));
            if let Some(id) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                segs.push(PathSegment::Item(id.to_owned()));
            } else if let Some(i) = rest.strip_prefix('#') {
                segs.push(PathSegment::Index(i.parse().ok()?));
            } else if !rest.is_empty() {
                return None;
            }
        }
        Some(Self(segs))
    }

    /// This path followed by a map key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathSegment::Key(key.into()));
        self
    }

    /// This path followed by the list item with this id.
    pub fn item(mut self, id: impl Into<String>) -> Self {
        self.0.push(PathSegment::Item(id.into()));
        self
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Key(k) if i == 0 => write!(f, "{k}")?,
                PathSegment::Key(k) => write!(f, ".{k}")?,
                PathSegment::Item(id) => write!(f, "[{id}]")?,
                PathSegment::Index(n) => write!(f, "#{n}")?,
            }
        }
        Ok(())
    }
}

/// A field with concurrent values, written by different replicas that had not seen each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub path: FieldPath,
    pub values: Vec<ConflictValue>,
}

/// One of a conflict's values, and who wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value (objects are shown as JSON).
    pub value: serde_json::Value,
    /// Whether this is the value [`CaseDoc::hydrate`] shows.
    pub shown: bool,
    /// The replica (automerge actor) that wrote it.
    pub actor: String,
    /// The operation counter, to find the change that wrote it.
    pub counter: u64,
    /// The user whose change wrote it, when recorded.
    pub author: Option<UserId>,
    /// When, by the writer's clock.
    pub at: Option<Timestamp>,
}

fn collect_conflicts(
    doc: &AutoCommit,
    obj: &ObjId,
    path: &mut FieldPath,
    out: &mut Vec<FieldConflict>,
) -> Result<(), DocError> {
    let props: Vec<Prop> = match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => doc.keys(obj).map(Prop::Map).collect(),
        ObjType::List => (0..doc.length(obj)).map(Prop::Seq).collect(),
        ObjType::Text => return Ok(()),
    };
    for prop in props {
        let seg = match &prop {
            Prop::Map(k) => PathSegment::Key(k.clone()),
            Prop::Seq(i) => match item_id(doc, obj, *i)? {
                Some(id) => PathSegment::Item(id),
                None => PathSegment::Index(*i),
            },
        };
        path.0.push(seg);
        let all = doc.get_all(obj, prop.clone())?;
        if all.len() > 1 {
            let shown = doc.get(obj, prop.clone())?.map(|(_, id)| id);
            let values = all
                .iter()
                .map(|(value, id)| {
                    let (counter, actor) = match id {
                        ObjId::Id(counter, actor, _) => (*counter, actor.to_hex_string()),
                        ObjId::Root => (0, String::new()),
                    };
                    ConflictValue {
                        value: to_json(doc, value, id),
                        shown: Some(id) == shown.as_ref(),
                        actor,
                        counter,
                        author: None,
                        at: None,
                    }
                })
                .collect();
            out.push(FieldConflict {
                path: path.clone(),
                values,
            });
        }
        if let Some((Value::Object(_), child)) = doc.get(obj, prop)? {
            collect_conflicts(doc, &child, path, out)?;
        }
        path.0.pop();
    }
    Ok(())
}

/// The `id` of the list item at `index`, when it is a map with a string id.
fn item_id(doc: &AutoCommit, list: &ObjId, index: usize) -> Result<Option<String>, DocError> {
    if let Some((Value::Object(ObjType::Map), item)) = doc.get(list, index)?
        && let Some((Value::Scalar(s), _)) = doc.get(&item, "id")?
        && let ScalarValue::Str(id) = s.as_ref()
    {
        return Ok(Some(id.to_string()));
    }
    Ok(None)
}

fn find_item(doc: &AutoCommit, list: &ObjId, id: &str) -> Result<Option<usize>, DocError> {
    for i in 0..doc.length(list) {
        if item_id(doc, list, i)?.as_deref() == Some(id) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn to_json(doc: &AutoCommit, value: &Value<'_>, id: &ObjId) -> serde_json::Value {
    match value {
        Value::Scalar(s) => scalar_to_json(s),
        Value::Object(ObjType::Map | ObjType::Table) => serde_json::Value::Object(
            doc.keys(id)
                .filter_map(|k| {
                    let (v, child) = doc.get(id, k.as_str()).ok()??;
                    Some((k, to_json(doc, &v, &child)))
                })
                .collect(),
        ),
        Value::Object(ObjType::List) => serde_json::Value::Array(
            (0..doc.length(id))
                .filter_map(|i| {
                    let (v, child) = doc.get(id, i).ok()??;
                    Some(to_json(doc, &v, &child))
                })
                .collect(),
        ),
        Value::Object(ObjType::Text) => doc.text(id).map(Into::into).unwrap_or_default(),
    }
}

fn scalar_to_json(s: &ScalarValue) -> serde_json::Value {
    use serde_json::Value as J;
    match s {
        ScalarValue::Str(s) => J::String(s.to_string()),
        ScalarValue::Int(n) | ScalarValue::Timestamp(n) => J::from(*n),
        ScalarValue::Uint(n) => J::from(*n),
        ScalarValue::F64(f) => J::from(*f),
        ScalarValue::Boolean(b) => J::Bool(*b),
        ScalarValue::Null => J::Null,
        ScalarValue::Counter(c) => J::from(i64::from(c)),
        ScalarValue::Bytes(b) | ScalarValue::Unknown { bytes: b, .. } => {
            J::Array(b.iter().map(|x| J::from(*x)).collect())
        }
    }
}

fn json_to_scalar(v: &serde_json::Value) -> Option<ScalarValue> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => ScalarValue::Null,
        J::Bool(b) => ScalarValue::Boolean(*b),
        J::String(s) => ScalarValue::Str(s.as_str().into()),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64()?)
            }
        }
        J::Array(_) | J::Object(_) => return None,
    })
}

// ---- writing only what changed -------------------------------------------------------------

/// Makes the map `obj` of `doc` equal to the map `src_obj` of `src`, writing only differences.
fn sync_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    src: &AutoCommit,
    src_obj: &ObjId,
) -> Result<(), DocError> {
    let src_keys: Vec<String> = src.keys(src_obj).collect();
    let stale: Vec<String> = doc.keys(obj).filter(|k| !src_keys.contains(k)).collect();
    for key in stale {
        doc.delete(obj, key.as_str())?;
    }
    for key in src_keys {
        let Some((sv, sid)) = src.get(src_obj, key.as_str())? else {
            continue;
        };
        let current = doc
            .get(obj, key.as_str())?
            .map(|(v, id)| (v.into_owned(), id));
        sync_value(doc, obj, Prop::Map(key), current, src, &sv, &sid)?;
    }
    Ok(())
}

fn sync_value(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    current: Option<(Value<'_>, ObjId)>,
    src: &AutoCommit,
    sv: &Value<'_>,
    sid: &ObjId,
) -> Result<(), DocError> {
    match (current, sv) {
        (Some((Value::Object(ObjType::Map), did)), Value::Object(ObjType::Map)) => {
            sync_map(doc, &did, src, sid)
        }
        (Some((Value::Object(ObjType::List), did)), Value::Object(ObjType::List)) => {
            sync_list(doc, &did, src, sid)
        }
        // Equal to the value shown: leave it, and any concurrent values, alone.
        (Some((Value::Scalar(a), _)), Value::Scalar(b)) if a == *b => Ok(()),
        _ => put_copy(doc, obj, prop, src, sv, sid, false),
    }
}

/// Writes a copy of `src`'s value at `prop` (a put, or an insert in a list when `insert`).
fn put_copy(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    src: &AutoCommit,
    sv: &Value<'_>,
    sid: &ObjId,
    insert: bool,
) -> Result<(), DocError> {
    match sv {
        Value::Scalar(s) => {
            let s = s.as_ref().clone();
            match (prop, insert) {
                (Prop::Map(k), _) => doc.put(obj, k, s)?,
                (Prop::Seq(i), false) => doc.put(obj, i, s)?,
                (Prop::Seq(i), true) => doc.insert(obj, i, s)?,
            }
        }
        Value::Object(kind) => {
            let new = match (prop, insert) {
                (Prop::Map(k), _) => doc.put_object(obj, k, *kind)?,
                (Prop::Seq(i), false) => doc.put_object(obj, i, *kind)?,
                (Prop::Seq(i), true) => doc.insert_object(obj, i, *kind)?,
            };
            match kind {
                ObjType::Map | ObjType::Table => sync_map(doc, &new, src, sid)?,
                ObjType::List => sync_list(doc, &new, src, sid)?,
                ObjType::Text => {
                    let text = src.text(sid)?;
                    doc.splice_text(&new, 0, 0, &text)?;
                }
            }
        }
    }
    Ok(())
}

/// Makes list `obj` equal to `src_obj`. Lists of records are matched by their `id`; other
/// lists by their common prefix and suffix.
fn sync_list(
    doc: &mut AutoCommit,
    obj: &ObjId,
    src: &AutoCommit,
    src_obj: &ObjId,
) -> Result<(), DocError> {
    let src_len = src.length(src_obj);
    let src_ids: Vec<Option<String>> = (0..src_len)
        .map(|i| item_id(src, src_obj, i))
        .collect::<Result<_, _>>()?;
    let doc_ids: Vec<Option<String>> = (0..doc.length(obj))
        .map(|i| item_id(doc, obj, i))
        .collect::<Result<_, _>>()?;
    let keyed = src_ids.iter().chain(&doc_ids).all(Option::is_some);

    if keyed && !(src_ids.is_empty() && doc_ids.is_empty()) {
        // Remove items that are gone, from the end so indices stay valid.
        for (i, id) in doc_ids.iter().enumerate().rev() {
            if !src_ids.contains(id) {
                doc.delete(obj, i)?;
            }
        }
        let mut ids: Vec<Option<String>> = doc_ids
            .into_iter()
            .filter(|id| src_ids.contains(id))
            .collect();
        let mut after: Option<usize> = None;
        for (j, id) in src_ids.iter().enumerate() {
            let Some((sv, sid)) = src.get(src_obj, j)? else {
                continue;
            };
            if let Some(pos) = ids.iter().position(|x| x == id) {
                let current = doc.get(obj, pos)?.map(|(v, id)| (v.into_owned(), id));
                sync_value(doc, obj, Prop::Seq(pos), current, src, &sv, &sid)?;
                after = Some(pos);
            } else {
                let pos = after.map_or(0, |p| p + 1);
                put_copy(doc, obj, Prop::Seq(pos), src, &sv, &sid, true)?;
                ids.insert(pos, id.clone());
                after = Some(pos);
            }
        }
        return Ok(());
    }

    // Plain values: keep the common prefix and suffix, replace the middle.
    let doc_len = doc.length(obj);
    let same = |d: &AutoCommit, i: usize, j: usize| -> Result<bool, DocError> {
        Ok(match (d.get(obj, i)?, src.get(src_obj, j)?) {
            (Some((Value::Scalar(a), _)), Some((Value::Scalar(b), _))) => a == b,
            _ => false,
        })
    };
    let mut prefix = 0;
    while prefix < doc_len && prefix < src_len && same(doc, prefix, prefix)? {
        prefix += 1;
    }
    let mut suffix = 0;
    while suffix < doc_len - prefix
        && suffix < src_len - prefix
        && same(doc, doc_len - 1 - suffix, src_len - 1 - suffix)?
    {
        suffix += 1;
    }
    for i in (prefix..doc_len - suffix).rev() {
        doc.delete(obj, i)?;
    }
    for j in prefix..src_len - suffix {
        if let Some((sv, sid)) = src.get(src_obj, j)? {
            put_copy(doc, obj, Prop::Seq(j), src, &sv, &sid, true)?;
        }
    }
    Ok(())
}

/// Whether a materialized document has a value with concurrent alternatives.
fn any_conflict(v: &automerge::hydrate::Value) -> bool {
    use automerge::hydrate::Value as H;
    match v {
        H::Map(m) => m
            .iter()
            .any(|(_, mv)| mv.conflict || any_conflict(&mv.value)),
        H::List(l) => l.iter().any(|lv| lv.conflict || any_conflict(&lv.value)),
        H::Scalar(_) | H::Text(_) => false,
    }
}

/// A materialized document as JSON in the shapes the model's serde derives read: the same
/// shapes autosurgeon writes (structs as maps, unit enums as their names, `None` as null),
/// with automerge timestamps as RFC 3339 text (how `Timestamp` deserializes).
fn tree_to_json(v: &automerge::hydrate::Value) -> serde_json::Value {
    use automerge::hydrate::Value as H;
    use serde_json::Value as J;
    match v {
        H::Map(m) => J::Object(
            m.iter()
                .map(|(k, mv)| (k.clone(), tree_to_json(&mv.value)))
                .collect(),
        ),
        H::List(l) => J::Array(l.iter().map(|lv| tree_to_json(&lv.value)).collect()),
        H::Text(t) => J::String(t.to_string()),
        H::Scalar(s) => match s {
            ScalarValue::Str(s) => J::String(s.to_string()),
            ScalarValue::Int(i) => J::from(*i),
            ScalarValue::Uint(u) => J::from(*u),
            ScalarValue::F64(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            ScalarValue::Boolean(b) => J::Bool(*b),
            ScalarValue::Null => J::Null,
            ScalarValue::Timestamp(ms) => {
                chrono::DateTime::<chrono::Utc>::from_timestamp_millis(*ms).map_or(J::Null, |t| {
                    J::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                })
            }
            ScalarValue::Counter(c) => J::from(i64::from(c)),
            // Not written by the model: make the serde read fail, so the reference path runs.
            ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => J::Object(Default::default()),
        },
    }
}
