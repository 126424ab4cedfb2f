//! The applicant's signature, drawn with a finger on the screen (policy step 4).
//!
//! The pad records strokes in its own coordinates; the screen shows them as an SVG path while
//! the person draws, and the finished signature becomes a PNG that goes through the same
//! capture pipeline as a photographed document (a `signature` document of the case).

use image::{GrayImage, Luma};

/// Strokes drawn on a pad of `width` x `height` points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignaturePad {
    pub width: f64,
    pub height: f64,
    strokes: Vec<Vec<(f64, f64)>>,
    drawing: bool,
}

/// Too little was drawn to count as a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the signature is empty or too short")]
pub struct EmptySignature;

impl SignaturePad {
    pub fn new(width: f64, height: f64) -> Self {
        Self {
            width,
            height,
            ..Self::default()
        }
    }

    fn clamp(&self, x: f64, y: f64) -> (f64, f64) {
        let x = if x.is_finite() { x } else { 0.0 };
        let y = if y.is_finite() { y } else { 0.0 };
        (x.clamp(0.0, self.width), y.clamp(0.0, self.height))
    }

    /// A finger touches the pad.
    pub fn start(&mut self, x: f64, y: f64) {
        let p = self.clamp(x, y);
        self.strokes.push(vec![p]);
        self.drawing = true;
    }

    /// The finger moves (ignored when it is not down).
    pub fn extend(&mut self, x: f64, y: f64) {
        if !self.drawing {
            return;
        }
        let p = self.clamp(x, y);
        if let Some(s) = self.strokes.last_mut()
            && s.last() != Some(&p)
        {
            s.push(p);
        }
    }

    /// The finger is lifted.
    pub fn end(&mut self) {
        self.drawing = false;
    }

    pub fn is_drawing(&self) -> bool {
        self.drawing
    }

    pub fn clear(&mut self) {
        self.strokes.clear();
        self.drawing = false;
    }

    pub fn strokes(&self) -> &[Vec<(f64, f64)>] {
        &self.strokes
    }

    /// Total length of the strokes, in points.
    pub fn ink_length(&self) -> f64 {
        self.strokes
            .iter()
            .flat_map(|s| s.windows(2))
            .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
            .sum()
    }

    /// Whether enough was drawn to count as a signature (not a stray tap).
    pub fn is_signed(&self) -> bool {
        self.ink_length() >= 40.0
    }

    /// The strokes as an SVG path (`d` attribute).
    pub fn svg_path(&self) -> String {
        let mut d = String::new();
        for s in &self.strokes {
            for (i, (x, y)) in s.iter().enumerate() {
                let cmd = if i == 0 { 'M' } else { 'L' };
                d.push_str(&format!("{cmd}{x:.1} {y:.1} "));
            }
            if s.len() == 1 {
                // A dot: a tiny segment so it shows.
                let (x, y) = s[0];
                d.push_str(&format!("L{:.1} {y:.1} ", x + 0.1));
            }
        }
        d.trim_end().to_owned()
    }

    /// The signature as a PNG, black ink on white, at `scale` pixels per point.
    pub fn to_png(&self, scale: f64) -> Result<Vec<u8>, EmptySignature> {
        if !self.is_signed() {
            return Err(EmptySignature);
        }
        let w = (self.width * scale).round().max(1.0) as u32;
        let h = (self.height * scale).round().max(1.0) as u32;
        let mut img = GrayImage::from_pixel(w, h, Luma([255]));
        let radius = (1.5 * scale).max(1.0);
        for s in &self.strokes {
            let pts: Vec<(f64, f64)> = s.iter().map(|&(x, y)| (x * scale, y * scale)).collect();
            if pts.len() == 1 {
                disc(&mut img, pts[0], radius);
            }
            for seg in pts.windows(2) {
                let (a, b) = (seg[0], seg[1]);
                let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
                let steps = (len / (radius / 2.0)).ceil().max(1.0) as usize;
                for i in 0..=steps {
                    let t = i as f64 / steps as f64;
                    disc(
                        &mut img,
                        (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t),
                        radius,
                    );
                }
            }
        }
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|_| EmptySignature)?;
        Ok(out)
    }
}

fn disc(img: &mut GrayImage, (cx, cy): (f64, f64), r: f64) {
    let (w, h) = img.dimensions();
    let x0 = (cx - r).floor().max(0.0) as u32;
    let y0 = (cy - r).floor().max(0.0) as u32;
    let x1 = ((cx + r).ceil() as u32).min(w.saturating_sub(1));
    let y1 = ((cy + r).ceil() as u32).min(h.saturating_sub(1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            let dx = x as f64 + 0.5 - cx;
            let dy = y as f64 + 0.5 - cy;
            if dx * dx + dy * dy <= r * r {
                img.put_pixel(x, y, Luma([0]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tap_is_not_a_signature_but_a_stroke_is() {
        let mut pad = SignaturePad::new(300.0, 150.0);
        pad.start(10.0, 10.0);
        pad.end();
        assert!(!pad.is_signed());
        assert_eq!(pad.to_png(2.0), Err(EmptySignature));
        pad.start(20.0, 100.0);
        for i in 0..30 {
            pad.extend(20.0 + i as f64 * 8.0, 100.0 - (i % 5) as f64 * 10.0);
        }
        pad.end();
        // Moves after lifting the finger draw nothing.
        pad.extend(299.0, 1.0);
        assert!(pad.is_signed());
        assert_eq!(pad.strokes().len(), 2);
        assert!(pad.svg_path().starts_with("M10.0 10.0"));
        let png = pad.to_png(2.0).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(img.dimensions(), (600, 300));
        let ink = img.pixels().filter(|p| p.0[0] < 128).count();
        assert!(ink > 500, "ink pixels {ink}");
        assert_eq!(
            img.get_pixel(598, 2).0[0],
            255,
            "nothing drawn after lifting"
        );
    }

    #[test]
    fn points_outside_the_pad_are_clamped() {
        let mut pad = SignaturePad::new(100.0, 50.0);
        pad.start(-20.0, f64::NAN);
        pad.extend(500.0, 500.0);
        assert_eq!(pad.strokes()[0], vec![(0.0, 0.0), (100.0, 50.0)]);
        pad.clear();
        assert!(pad.strokes().is_empty());
    }
}
