#![no_main]
//! See `mandoob_sync_server::fuzzing::sync_request` (the corpus replay test runs the same body).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mandoob_sync_server::fuzzing::sync_request(data);
});
