//! The body of the photo fuzz target (see `fuzz/`); the corpus replay test runs it on every
//! committed input.

use crate::capture::{CaptureSettings, capture};

/// Arbitrary bytes as a photographed file: the pipeline refuses or accepts, never panics, and
/// what it accepts is a JPEG with a thumbnail, both named by their SHA-256.
pub fn photo(data: &[u8]) {
    let settings = CaptureSettings {
        max_input_bytes: 1 << 20,
        max_pixels: 4_000_000,
        ..CaptureSettings::default()
    };
    if let Ok(c) = capture(data, &settings) {
        assert!(c.jpeg.starts_with(&[0xff, 0xd8]), "the result is a JPEG");
        assert_eq!(c.sha256, crate::capture::sha256_hex(&c.jpeg));
    }
}
