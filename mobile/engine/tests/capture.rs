//! The capture pipeline on real phone photos (tests/fixtures/photos, see LICENSES.md there).

use std::path::PathBuf;

use mandoob_engine::capture::{CaptureError, CaptureSettings, QualityWarning, capture};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decode(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("output decodes")
        .to_rgb8()
}

/// Mean absolute difference per channel, 0..255.
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn exif_orientations_all_come_out_upright_and_equal() {
    let settings = CaptureSettings::default();
    let reference = capture(&fixture("Portrait_1.jpg"), &settings).expect("orientation 1");
    let upright = decode(&reference.jpeg);
    // Portrait_1 needs no transform; it is upright and taller than wide.
    assert!(upright.height() > upright.width());
    for name in ["Portrait_3.jpg", "Portrait_6.jpg", "Portrait_8.jpg"] {
        let out = capture(&fixture(name), &settings).expect(name);
        assert_eq!(
            (out.width, out.height),
            (reference.width, reference.height),
            "{name}"
        );
        let diff = difference(&upright, &decode(&out.jpeg));
        assert!(
            diff < 6.0,
            "{name} differs from the upright picture by {diff:.1}"
        );
    }
    // A wrong rotation would be far from the reference: check the test can tell.
    let rotated = image::imageops::rotate180(&upright);
    assert!(difference(&upright, &rotated) > 20.0);
}

#[test]
fn output_has_no_exif_and_no_gps() {
    let input = fixture("DSCN0010.jpg");
    // The input really carries EXIF with a GPS block (tag 0x8825), in either byte order.
    assert!(input.windows(6).any(|w| w == b"Exif\0\0"));
    assert!(
        input
            .windows(2)
            .any(|w| w == [0x88, 0x25] || w == [0x25, 0x88])
    );
    let out = capture(&input, &CaptureSettings::default()).expect("capture");
    for bytes in [&out.jpeg, &out.thumbnail] {
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "EXIF left in output"
        );
        // No APP1 segment at all (EXIF and XMP live there).
        assert!(
            !bytes.windows(2).any(|w| w == [0xFF, 0xE1]),
            "APP1 segment left"
        );
    }
    assert_eq!(
        (out.width, out.height),
        (640, 480),
        "small photos are not scaled up"
    );
}

#[test]
fn large_phone_photo_is_scaled_and_small() {
    let out = capture(&fixture("jolla.jpg"), &CaptureSettings::default()).expect("capture");
    assert_eq!(out.width.max(out.height), 1600);
    assert!(out.jpeg.len() < 400_000, "{} bytes", out.jpeg.len());
    let thumb = decode(&out.thumbnail);
    assert_eq!(thumb.width().max(thumb.height()), 320);
    assert_eq!(out.sha256.len(), 64);
    assert_eq!(out.sha256, mandoob_engine::capture::sha256_hex(&out.jpeg));
}

#[test]
fn corrupted_camera_file_is_refused() {
    let err = capture(&fixture("corrupted.jpg"), &CaptureSettings::default()).expect_err("damaged");
    assert!(matches!(err, CaptureError::Damaged(_)), "{err:?}");
}

#[test]
fn non_images_are_refused_with_their_reason() {
    let s = CaptureSettings::default();
    assert_eq!(capture(b"", &s), Err(CaptureError::Empty));
    assert_eq!(
        capture(b"hello, not a photo", &s),
        Err(CaptureError::NotAnImage)
    );
    let random: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert_eq!(capture(&random, &s), Err(CaptureError::NotAnImage));
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    assert_eq!(capture(&heic, &s), Err(CaptureError::Heic));
    // A GIF is an image, but not one we take.
    assert_eq!(
        capture(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &s),
        Err(CaptureError::NotAnImage)
    );
    // Cut short.
    let jpeg = fixture("Portrait_1.jpg");
    let cut = capture(&jpeg[..jpeg.len() / 3], &s).expect_err("truncated");
    assert!(matches!(cut, CaptureError::Damaged(_)), "{cut:?}");
    let too_big = CaptureSettings {
        max_input_bytes: 1000,
        ..CaptureSettings::default()
    };
    assert!(matches!(
        capture(&jpeg, &too_big),
        Err(CaptureError::TooLarge { .. })
    ));
}

#[test]
fn an_image_bomb_is_refused_before_decoding() {
    // A valid PNG header claiming 100,000 × 100,000 pixels, with almost no data.
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 1, 1);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()
            .expect("header")
            .write_image_data(&[0])
            .expect("data");
    }
    // Patch the IHDR width and height (bytes 16..24) and fix its CRC.
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let err = capture(&png, &CaptureSettings::default()).expect_err("bomb");
    assert!(
        matches!(err, CaptureError::TooManyPixels { width: 100_000, .. }),
        "{err:?}"
    );
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn dark_and_blurry_photos_are_flagged() {
    let s = CaptureSettings::default();
    // A sharp, bright photo has no warnings.
    let ok = capture(&fixture("jolla.jpg"), &s).expect("capture");
    assert!(
        ok.warnings.is_empty(),
        "{:?} sharp {} bright {}",
        ok.warnings,
        ok.sharpness,
        ok.brightness
    );
    // The same photo, darkened.
    let img = image::load_from_memory(&fixture("jolla.jpg")).expect("decode");
    let dark = img.brighten(-200);
    let mut bytes = Vec::new();
    dark.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .expect("png");
    assert!(
        capture(&bytes, &s)
            .expect("dark")
            .warnings
            .contains(&QualityWarning::TooDark)
    );
    // And blurred.
    let blurred = img
        .resize(400, 300, image::imageops::FilterType::Triangle)
        .blur(6.0);
    let mut bytes = Vec::new();
    blurred
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("png");
    let out = capture(&bytes, &s).expect("blurred");
    assert!(
        out.warnings.contains(&QualityWarning::Blurry),
        "sharpness {}",
        out.sharpness
    );
}
