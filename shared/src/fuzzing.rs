//! Bodies of the fuzz targets that need only the domain (see `fuzz/`); the corpus replay test
//! runs the same functions on every committed input. Each panics when an invariant breaks.

use crate::doc::CaseDoc;

/// Installed by every fuzz target at start. libFuzzer's hook aborts on every panic; panics
/// inside automerge's decoder are caught by [`crate::doc`] and reported as damaged bytes (as
/// in production), so those unwind to that catch, and any other panic is a crash.
pub fn install_panic_hook() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_decoder = info
            .location()
            .is_some_and(|l| l.file().contains("/hexane-") || l.file().contains("/automerge-"));
        if !in_decoder {
            abort(info);
        }
    }));
}

/// Arbitrary bytes as a stored case document: loading never panics, and whatever fits the
/// schema is read by the model, both ways alike.
pub fn load_document(data: &[u8]) {
    let Ok(doc) = CaseDoc::load(data) else {
        return;
    };
    if doc.check_schema_full().is_err() {
        return;
    }
    let hydrated = doc
        .hydrate()
        .expect("a document that fits the schema hydrates");
    let (read, _) = doc
        .read_with_conflicts()
        .expect("a document that fits the schema is read");
    assert_eq!(hydrated, read, "the two reads of a valid document agree");
}

#[cfg(test)]
mod tests {
    use crate::doc::{Author, CaseDoc, chunk_types, parse_change};

    #[test]
    fn chunk_headers_are_read_without_decoding() {
        let case = crate::sample::realistic_case(1);
        let author = Author {
            user: "rep-1".into(),
            at: crate::ids::Timestamp::now(),
        };
        let mut doc = CaseDoc::create(&case, &author).expect("create");
        let heads = doc.heads();
        assert_eq!(chunk_types(&doc.save()), Some(vec![0]));
        doc.update(&author, |c| c.household.notes = "x".into())
            .expect("edit");
        let change = doc.changes_since(&heads).remove(0);
        assert_eq!(chunk_types(&change), Some(vec![1]));
        assert!(parse_change(&change).is_ok());
        let mut two = change.clone();
        two.extend(&change);
        assert_eq!(chunk_types(&two), Some(vec![1, 1]));
        assert!(parse_change(&two).is_err(), "one change, not two");
        let mut bundle = change.clone();
        bundle[8] = 3;
        assert!(parse_change(&bundle).is_err(), "a bundle is refused unread");
        assert_eq!(chunk_types(&change[..change.len() - 1]), None);
        assert_eq!(chunk_types(b"garbage!!"), None);
    }
}
