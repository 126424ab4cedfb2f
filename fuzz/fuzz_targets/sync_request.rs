#![no_main]
//! See `mandoob_sync_server::fuzzing::sync_request` (the corpus replay test runs the same body).

libfuzzer_sys::fuzz_target!(
    init: {
        // libFuzzer's hook aborts on every panic. Panics inside automerge's decoder are caught
        // by `mandoob_shared::doc` and reported as damaged bytes (as in production), so they
        // unwind to that catch; any other panic is a crash.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|l| {
                l.file().contains("/hexane-") || l.file().contains("/automerge-")
            });
            if !in_decoder {
                abort(info);
            }
        }));
    },
    |data: &[u8]| {
    mandoob_sync_server::fuzzing::sync_request(data);
    }
);
