//! A parallel map for the heavy part of a first sync (decoding and reading documents).

/// `items.iter().map(f)`, spread over the machine's cores natively (results in order); workers
/// take small batches as they go, so one slow core does not hold the rest back. Sequential on
/// the web, where the engine already runs in its own worker.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        const BATCH: usize = 16;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads > 1 && items.len() >= 4 * BATCH {
            let next = AtomicUsize::new(0);
            let (f, next) = (&f, &next);
            let mut batches: Vec<(usize, Vec<R>)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(move || {
                            let mut done = Vec::new();
                            loop {
                                let start = next.fetch_add(BATCH, Ordering::Relaxed);
                                if start >= items.len() {
                                    break done;
                                }
                                let end = (start + BATCH).min(items.len());
                                done.push((start, items[start..end].iter().map(f).collect()));
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| match h.join() {
                        Ok(v) => v,
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            });
            batches.sort_unstable_by_key(|(start, _)| *start);
            return batches.into_iter().flat_map(|(_, r)| r).collect();
        }
    }
    items.iter().map(f).collect()
}
