//! Reading automerge's binary chunks just enough to refuse hostile ones before automerge's
//! decoder sees them (see ARCHITECTURE.md, "Automerge's decoder sees only the chunks we
//! write"): chunk headers, and in a change, how many items its columns stand for.
//!
//! The layout is automerge's storage format: a chunk is magic (4 bytes), checksum (4), type
//! (1), length (unsigned LEB128) and its data. A change's data is its dependencies, actor,
//! sequence, start op, time, message, other actors, then its columns' specifications and
//! lengths, then the columns. Most columns are run-length encoded, so a few bytes can stand
//! for billions of operations, which automerge would count (and apply) one by one.

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// A chunk of a document.
pub const DOCUMENT: u8 = 0;
/// An uncompressed change.
pub const CHANGE: u8 = 1;
/// A deflate-compressed change.
pub const COMPRESSED_CHANGE: u8 = 2;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn sleb(&mut self) -> Option<i64> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return None;
            }
            value |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
        }
    }

    fn len_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.uleb()?).ok()?;
        self.take(n)
    }
}

/// The types of the chunks in `bytes`, read from their headers without decoding anything;
/// `None` when the bytes are not a sequence of well-formed chunks.
pub fn types(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.done() {
        if r.take(4)? != MAGIC {
            return None;
        }
        r.take(4)?; // checksum
        out.push(r.byte()?);
        let len = usize::try_from(r.uleb()?).ok()?;
        r.take(len)?;
    }
    Some(out)
}

/// In one uncompressed change chunk, the largest number of items any of its columns stands
/// for (at least its number of operations); `None` when the change cannot be read this way
/// (then it is not one this code would make).
pub fn change_items(bytes: &[u8]) -> Option<u64> {
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return None;
    }
    r.take(4)?;
    if r.byte()? != CHANGE {
        return None;
    }
    let len = usize::try_from(r.uleb()?).ok()?;
    let data = r.take(len)?;
    if !r.done() {
        return None;
    }
    let mut r = Reader::new(data);
    let deps = r.uleb()?;
    r.take(usize::try_from(deps).ok()?.checked_mul(32)?)?;
    r.len_prefixed()?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    r.len_prefixed()?; // message
    let others = r.uleb()?;
    for _ in 0..others {
        r.len_prefixed()?;
    }
    let columns = r.uleb()?;
    let mut specs = Vec::new();
    for _ in 0..columns {
        let spec = r.uleb()?;
        let len = usize::try_from(r.uleb()?).ok()?;
        specs.push((spec, len));
    }
    let mut most = 0u64;
    for (spec, len) in specs {
        let column = r.take(len)?;
        if spec & 0x08 != 0 {
            return None; // deflated: automerge refuses those in changes too
        }
        let items = match spec & 0x07 {
            // group cardinality, actor, unsigned integer, value metadata: RLE of uLEB
            0 | 1 | 2 | 6 => rle_items(column, |r| r.uleb().map(|_| ()))?,
            // delta: RLE of sLEB
            3 => rle_items(column, |r| r.sleb().map(|_| ()))?,
            // boolean: alternating run lengths
            4 => {
                let mut r = Reader::new(column);
                let mut n = 0u64;
                while !r.done() {
                    n = n.checked_add(r.uleb()?)?;
                }
                n
            }
            // strings: RLE of length-prefixed bytes
            5 => rle_items(column, |r| r.len_prefixed().map(|_| ()))?,
            // raw value bytes: counted by the metadata column
            _ => 0,
        };
        most = most.max(items);
    }
    Some(most)
}

/// How many items a run-length encoded column stands for.
fn rle_items(column: &[u8], mut value: impl FnMut(&mut Reader<'_>) -> Option<()>) -> Option<u64> {
    let mut r = Reader::new(column);
    let mut n = 0u64;
    while !r.done() {
        let count = r.sleb()?;
        match count {
            c if c > 0 => {
                value(&mut r)?;
                n = n.checked_add(c.unsigned_abs())?;
            }
            c if c < 0 => {
                for _ in 0..c.unsigned_abs() {
                    value(&mut r)?;
                }
                n = n.checked_add(c.unsigned_abs())?;
            }
            _ => n = n.checked_add(r.uleb()?)?,
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Author, CaseDoc};
    use automerge::transaction::Transactable;

    #[test]
    fn a_change_counts_what_it_stands_for() {
        let author = Author {
            user: "rep-1".into(),
            at: crate::ids::Timestamp::now(),
        };
        let case = crate::sample::realistic_case(4);
        let mut doc = CaseDoc::create(&case, &author).expect("create");
        let creation = doc.changes_since(&[]).remove(0);
        let ops = automerge::Change::try_from(creation.as_slice())
            .expect("parse")
            .len() as u64;
        let items = change_items(&creation).expect("readable");
        assert!(items >= ops, "{items} items for {ops} operations");
        assert!(items < ops * 4);
        // 200,000 operations (one character each).
        let heads = doc.heads();
        let am = doc.automerge();
        let text = am
            .put_object(automerge::ROOT, "bulk", automerge::ObjType::Text)
            .expect("put");
        am.splice_text(&text, 0, 0, &"x".repeat(200_000))
            .expect("splice");
        am.commit();
        let bulk = doc.changes_since(&heads).remove(0);
        assert!(change_items(&bulk).expect("readable") >= 200_000);
        assert_eq!(types(&bulk), Some(vec![CHANGE]));
        assert_eq!(change_items(b"garbage"), None);
        assert_eq!(change_items(&bulk[..bulk.len() - 1]), None);
    }

    /// A change chunk made by hand: one run-length column claiming 2^40 items in a few bytes
    /// (automerge would count them one by one).
    #[test]
    fn a_crafted_run_is_counted_not_decoded() {
        fn uleb(mut v: u64, out: &mut Vec<u8>) {
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    return;
                }
                out.push(b | 0x80);
            }
        }
        let mut data = vec![0]; // no dependencies
        data.push(16);
        data.extend([7u8; 16]); // actor
        data.extend([1, 1, 0, 0, 0]); // seq, start op, time, message, other actors
        // A run of 2^40 copies of 0: the count as signed LEB128, then the value.
        let mut run = Vec::new();
        let mut v: i64 = 1 << 40;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 && b & 0x40 == 0 {
                run.push(b);
                break;
            }
            run.push(b | 0x80);
        }
        run.push(0); // the value
        data.push(1); // one column
        uleb((1 << 4) | 2, &mut data); // an unsigned-integer column
        uleb(run.len() as u64, &mut data);
        data.extend(&run);
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0; 4]);
        chunk.push(CHANGE);
        uleb(data.len() as u64, &mut chunk);
        chunk.extend(&data);
        assert_eq!(change_items(&chunk), Some(1 << 40));
    }

    #[test]
    fn every_change_of_the_samples_is_read() {
        for seed in 0..20 {
            let case = crate::sample::realistic_case(seed);
            let author = Author {
                user: "rep-1".into(),
                at: crate::ids::Timestamp::now(),
            };
            let mut doc = CaseDoc::create(&case, &author).expect("create");
            doc.update(&author, |c| {
                c.household.members.pop();
                c.household.notes = "ملاحظة".into();
                c.contacts.clear();
            })
            .expect("edit");
            for change in doc.changes_since(&[]) {
                let n = automerge::Change::try_from(change.as_slice())
                    .expect("parse")
                    .len() as u64;
                assert!(change_items(&change).expect("readable") >= n);
            }
        }
    }
}
