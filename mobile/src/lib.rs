//! Mandoob, the field app of the society's branch representatives (Dioxus).
//!
//! - [`state`]: what the screens show and may do, as plain data (tested without a window);
//! - [`signature`]: the signature pad (strokes, SVG while drawing, PNG when saved);
//! - [`backend`]: the one way to the device engine (its own thread) and to the server;
//! - [`platform`]: what differs between renderers (how a picked photo's bytes arrive);
//! - [`ui`]: the components.
//!
//! Architecture invariant: the UI never waits on SQLite, images or the network to show a
//! screen; every engine call is a command to the engine's thread.

pub mod backend;
pub mod markdown;
pub mod platform;
pub mod signature;
pub mod state;
pub mod ui;

/// Where the app keeps its database when none is given: `MANDOOB_DEVICE_DB`, else
/// `mandoob-device.sqlite` in the platform's data directory or the working directory.
pub fn default_database() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("MANDOOB_DEVICE_DB") {
        return p.into();
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })
        .map(|d| d.join("mandoob"))
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let _ = std::fs::create_dir_all(&base);
    base.join("mandoob-device.sqlite")
}
