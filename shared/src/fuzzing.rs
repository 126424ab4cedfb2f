//! Bodies of the fuzz targets that need only the domain (see `fuzz/`); the corpus replay test
//! runs the same functions on every committed input. Each panics when an invariant breaks.

use crate::doc::CaseDoc;

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
