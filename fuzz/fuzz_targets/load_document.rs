#![no_main]
//! See `mandoob_shared::fuzzing::load_document` (the corpus replay test runs the same body).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mandoob_shared::fuzzing::load_document(data);
});
