//! The device engine of the field app: everything a representative's device does with data,
//! without any UI. The app, the tests and the benchmarks drive it through one interface
//! ([`engine::Command`] in, [`engine::Reply`] and [`engine::Event`] out).
//!
//! - [`store`]: SQLite (WAL, append-only migrations), and every SQL statement of the engine:
//!   documents ([`store::cases`]), the case index and its queries ([`store::index`]), blobs
//!   ([`store::blobs`]), typed settings ([`store::settings`]);
//! - [`capture`]: the photo pipeline (orientation, scaling, no metadata, quality checks);
//! - [`protocol`]: what commands carry and answer with ([`engine::Reply`], [`engine::Event`],
//!   [`engine::EngineError`], …), re-exported from [`engine`];
//! - [`commands`]: the command table, listed once: the [`engine::Command`] enum,
//!   `Engine::handle`, and [`EngineApi`], typed async methods over any [`Transport`] (the
//!   engine itself, [`handle::EngineHandle`]);
//! - [`engine`]: the engine, the session and blobs; [`cases`]: the case commands, each one
//!   transaction; [`search`]: lists, search, duplicate candidates and the index row of a case;
//! - [`handle`]: the engine behind an async interface: on its own thread natively, in a
//!   dedicated Web Worker on the web (`handle_web.rs`, messages in [`worker_protocol`]);
//! - [`sync`]: what to push and how to apply the server's answer, as functions over the store
//!   (no network, no state kept between the two);
//! - [`photos`]: photos taken on another device: the thumbnails this device lacks, and
//!   keeping fetched photos once their bytes match their name;
//! - [`sync_client`]: the HTTP transport to the HQ server (reqwest: rustls natively, the
//!   browser's `fetch` on the web).
//!
//! Architecture invariant: nothing here depends on the UI; the engine compiles for
//! `wasm32-unknown-unknown` as well as natively.

pub mod capture;
pub mod cases;
pub mod commands;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(not(target_arch = "wasm32"))]
pub mod handle;
#[cfg(target_arch = "wasm32")]
#[path = "handle_web.rs"]
pub mod handle;
mod par;
pub mod photos;
pub mod protocol;
pub mod search;
pub mod store;
pub mod sync;
pub mod sync_client;
pub mod worker_protocol;

pub use commands::{EngineApi, Transport};
pub use engine::{Command, Engine, EngineError, Event, Reply};
