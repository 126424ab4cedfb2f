//! Writing only what changed: a hydrated [`CaseFile`] edited as plain data is written back leaf
//! by leaf, so untouched fields keep their history and their pending conflicts.

use super::conflicts::item_id;
use super::*;

/// Makes the map `obj` of `doc` equal to the map `src_obj` of `src`, writing only differences.
pub(super) fn sync_map(
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
