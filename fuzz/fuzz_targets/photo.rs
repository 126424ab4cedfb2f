#![no_main]
//! See `mandoob_engine::fuzzing::photo` (the corpus replay test runs the same body).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mandoob_engine::fuzzing::photo(data);
});
