//! The photo capture pipeline: a photo of a document, as the phone's camera or file picker gives
//! it, becomes a small upright JPEG with no metadata, a thumbnail, quality warnings and a hash.
//!
//! - JPEG, PNG and WebP in; anything else (HEIC, truncated or empty files, random bytes) is
//!   refused with a clear error before anything is stored.
//! - Limits are checked from the header before decoding (pixels, bytes), so an "image bomb"
//!   that claims huge dimensions is refused without allocating for it.
//! - The EXIF orientation is applied, so a portrait taken sideways comes out upright.
//! - Scaled to a maximum edge (1600 px by default) and re-encoded as JPEG (quality 80). The
//!   encoder writes no EXIF: no GPS position or camera serial leaves the device in a photo.
//! - A thumbnail (320 px) for lists, and two checks the representative sees while still in the
//!   home: blur (variance of the Laplacian) and darkness (mean luminance).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Settings of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSettings {
    pub max_edge: u32,
    pub thumbnail_edge: u32,
    pub quality: u8,
    /// Refuse inputs larger than this many bytes.
    pub max_input_bytes: usize,
    /// Refuse images with more pixels than this (width × height).
    pub max_pixels: u64,
}

impl Default for CaptureSettings {
    fn default() -> Self {
        Self {
            max_edge: 1600,
            thumbnail_edge: 320,
            quality: 80,
            max_input_bytes: 40 * 1024 * 1024,
            // 64 megapixels: the largest phone cameras in use, with margin.
            max_pixels: 64_000_000,
        }
    }
}

/// Why a file cannot be captured.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CaptureError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is too large ({bytes} bytes; the limit is {limit})")]
    TooLarge { bytes: usize, limit: usize },
    #[error(
        "HEIC/HEIF photos are not supported; choose JPEG (\"Most compatible\") in the camera settings"
    )]
    Heic,
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image is {width}×{height} pixels, more than the limit of {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("the image is damaged or incomplete: {0}")]
    Damaged(String),
}

impl CaptureError {
    /// A stable code for messages (the app shows `photo-problem-<code>` in the user's
    /// language; the English text above is for logs).
    pub fn code(&self) -> &'static str {
        match self {
            CaptureError::Empty => "empty",
            CaptureError::TooLarge { .. } => "too-large",
            CaptureError::Heic => "heic",
            CaptureError::NotAnImage => "not-an-image",
            CaptureError::TooManyPixels { .. } => "too-many-pixels",
            CaptureError::Damaged(_) => "damaged",
        }
    }
}

/// A warning about a captured photo that the representative should see (retake?).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QualityWarning {
    Blurry,
    TooDark,
}

/// A captured photo, ready to store.
#[derive(Clone, PartialEq)]
pub struct Captured {
    pub jpeg: Vec<u8>,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub thumbnail_sha256: String,
    pub warnings: Vec<QualityWarning>,
    /// Variance of the Laplacian of the grey image (lower is blurrier).
    pub sharpness: f64,
    /// Mean luminance, 0 (black) to 255 (white).
    pub brightness: f64,
}

impl std::fmt::Debug for Captured {
    // Never print the image bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captured")
            .field("jpeg_bytes", &self.jpeg.len())
            .field("sha256", &self.sha256)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("thumbnail_bytes", &self.thumbnail.len())
            .field("warnings", &self.warnings)
            .field("sharpness", &self.sharpness)
            .field("brightness", &self.brightness)
            .finish()
    }
}

/// Below this variance of the Laplacian (on the 640 px grey image) a photo is called blurry.
/// Calibrated on the test photos: sharp phone photos of low-texture scenes measure about 50
/// (`jolla.jpg`), printed documents far more (`DSCN0010.jpg` about 6000); a Gaussian blur
/// that makes text unreadable at 640 px brings them under 10.
pub const BLUR_THRESHOLD: f64 = 20.0;
/// Below this mean luminance a photo is called too dark.
pub const DARK_THRESHOLD: f64 = 50.0;

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn is_heic(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif"
        )
}

/// Runs the whole pipeline on the bytes of one file.
pub fn capture(bytes: &[u8], settings: &CaptureSettings) -> Result<Captured, CaptureError> {
    if bytes.is_empty() {
        return Err(CaptureError::Empty);
    }
    if bytes.len() > settings.max_input_bytes {
        return Err(CaptureError::TooLarge {
            bytes: bytes.len(),
            limit: settings.max_input_bytes,
        });
    }
    if is_heic(bytes) {
        return Err(CaptureError::Heic);
    }
    let format = image::guess_format(bytes).map_err(|_| CaptureError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(CaptureError::NotAnImage);
    }
    let img = match format {
        ImageFormat::Jpeg => decode_jpeg_strict(bytes, settings)?,
        _ => decode_other(bytes, format, settings)?,
    };

    let scaled = fit(&img, settings.max_edge);
    drop(img);
    let rgb = scaled.to_rgb8();
    let (width, height) = rgb.dimensions();
    let jpeg = encode_jpeg(&DynamicImage::ImageRgb8(rgb), settings.quality)?;
    let thumb = fit(&scaled, settings.thumbnail_edge);
    let thumbnail = encode_jpeg(&DynamicImage::ImageRgb8(thumb.to_rgb8()), 70)?;

    let grey = fit(&scaled, 640).to_luma8();
    let sharpness = laplacian_variance(&grey);
    let brightness = mean(&grey);
    let mut warnings = Vec::new();
    if sharpness < BLUR_THRESHOLD {
        warnings.push(QualityWarning::Blurry);
    }
    if brightness < DARK_THRESHOLD {
        warnings.push(QualityWarning::TooDark);
    }
    Ok(Captured {
        sha256: sha256_hex(&jpeg),
        thumbnail_sha256: sha256_hex(&thumbnail),
        jpeg,
        width,
        height,
        thumbnail,
        warnings,
        sharpness,
        brightness,
    })
}

fn check_pixels(width: u32, height: u32, settings: &CaptureSettings) -> Result<(), CaptureError> {
    if u64::from(width) * u64::from(height) > settings.max_pixels {
        return Err(CaptureError::TooManyPixels {
            width,
            height,
            limit: settings.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(CaptureError::Damaged("zero-sized image".into()));
    }
    Ok(())
}

/// JPEG through zune-jpeg in strict mode: a camera file cut short is an error. (The `image`
/// crate runs the same decoder leniently and fills the missing part with grey, which would
/// store a damaged document as if it were fine.)
fn decode_jpeg_strict(
    bytes: &[u8],
    settings: &CaptureSettings,
) -> Result<DynamicImage, CaptureError> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;

    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(1 << 16)
        .set_max_height(1 << 16);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder
        .decode_headers()
        .map_err(|e| CaptureError::Damaged(e.to_string()))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| CaptureError::Damaged("no image size in the header".into()))?;
    let (width, height) = (width as u32, height as u32);
    check_pixels(width, height, settings)?;
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let pixels = decoder
        .decode()
        .map_err(|e| CaptureError::Damaged(e.to_string()))?;
    let rgb = image::RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| CaptureError::Damaged("decoded size does not match the header".into()))?;
    let mut img = DynamicImage::ImageRgb8(rgb);
    img.apply_orientation(orientation);
    Ok(img)
}

/// PNG and WebP through the `image` crate, with limits checked from the header first.
fn decode_other(
    bytes: &[u8],
    format: ImageFormat,
    settings: &CaptureSettings,
) -> Result<DynamicImage, CaptureError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(
        settings
            .max_pixels
            .saturating_mul(4)
            .saturating_add(1 << 20),
    );
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| CaptureError::Damaged(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, settings)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| CaptureError::Damaged(e.to_string()))?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// The image scaled down so that its longer edge is at most `edge` (never scaled up).
fn fit(img: &DynamicImage, edge: u32) -> DynamicImage {
    if img.width().max(img.height()) <= edge {
        return img.clone();
    }
    // `resize` keeps the aspect ratio within the box. Triangle (bilinear) is sharp enough for
    // documents and several times faster than Lanczos on an 8 MP photo.
    img.resize(edge, edge, FilterType::Triangle)
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, CaptureError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .map_err(|e| CaptureError::Damaged(e.to_string()))?;
    Ok(out)
}

fn mean(grey: &image::GrayImage) -> f64 {
    let n = grey.as_raw().len().max(1) as f64;
    grey.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / n
}

/// Variance of the 4-neighbour Laplacian: edges give large values, blur flattens them.
fn laplacian_variance(grey: &image::GrayImage) -> f64 {
    let (w, h) = grey.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let px = |x: u32, y: u32| f64::from(grey.get_pixel(x, y).0[0]);
    let mut sum = 0.0;
    let mut sum_sq = 0.0;
    let mut n = 0.0;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let l = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let m = sum / n;
    sum_sq / n - m * m
}
