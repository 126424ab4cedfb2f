#![no_main]
//! See `mandoob_sync_server::fuzzing::push_change` (the corpus replay test runs the same body).

libfuzzer_sys::fuzz_target!(
    init: mandoob_shared::fuzzing::install_panic_hook(),
    |data: &[u8]| {
        mandoob_sync_server::fuzzing::push_change(data);
    }
);
