//! The device engine in a dedicated Web Worker (DESIGN §3, issue 7): SQLite on the Origin
//! Private File System through the `opfs-sahpool` VFS, which only works in a worker. The page
//! talks to it with the engine's own `Command` and `Reply` as JSON over `postMessage`
//! ([`mandoob_engine::worker_protocol`]); the page's side is the web `EngineHandle`
//! (`mandoob-engine/src/handle_web.rs`).
//!
//! One tab writes: the pool's files are opened exclusively, so a second tab of the app gets a
//! clear message instead of becoming a second writer.
//!
//! Natively this crate is empty; the engine runs on its own thread there.

#[cfg(target_arch = "wasm32")]
mod worker;

pub use mandoob_engine::worker_protocol as protocol;
