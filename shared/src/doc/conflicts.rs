//! Concurrent values: finding every field that holds more than one, reading a document with
//! them, keeping the one a person chose, and the paths ([`FieldPath`]) that name a field.

use super::*;

impl CaseDoc {
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
pub(super) fn item_id(
    doc: &AutoCommit,
    list: &ObjId,
    index: usize,
) -> Result<Option<String>, DocError> {
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
