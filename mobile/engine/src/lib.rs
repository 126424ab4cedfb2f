//! The device engine of the field app: everything a representative's device does with data,
//! without any UI. The app, the tests and the benchmarks drive it through one interface
//! ([`engine::Command`] in, [`engine::Reply`] and [`engine::Event`] out).
//!
//! - [`store`]: SQLite (WAL, append-only migrations): documents, index, blobs, settings;
//! - [`capture`]: the photo pipeline (orientation, scaling, no metadata, quality checks);
//! - [`engine`]: the commands, each one transaction;
//! - [`handle`]: the engine behind an async interface: on its own thread natively, in a
//!   dedicated Web Worker on the web (`handle_web.rs`, messages in [`worker_protocol`]);
//! - [`sync`]: what to push and how to apply the server's answer (no network);
//! - [`sync_client`]: the HTTP transport to the HQ server (reqwest: rustls natively, the
//!   browser's `fetch` on the web).
//!
//! Architecture invariant: nothing here depends on the UI; the engine compiles for
//! `wasm32-unknown-unknown` as well as natively.

pub mod capture;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(not(target_arch = "wasm32"))]
pub mod handle;
#[cfg(target_arch = "wasm32")]
#[path = "handle_web.rs"]
pub mod handle;
pub mod store;
pub mod sync;
pub mod sync_client;
pub mod worker_protocol;

pub use engine::{Command, Engine, EngineError, Event, Reply};
