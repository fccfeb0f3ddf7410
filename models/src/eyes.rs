//! Open or closed eyes, with `fr_eye` on each eye.
//!
//! Input (as the JavaScript feeds it, checked on real photos): a square around each eye's
//! centre (mean of its four eyelid landmarks), side 1.6 × the eye's corner-to-corner width,
//! resized to 24×24, grey, scaled by 1/255. Output: two logits; after softmax, class
//! [`OPEN_CLASS`] is an open eye.

use crate::geometry::{Affine, Point, Rect};
use crate::landmarks::Landmarks;
use crate::sampling;
use image::RgbImage;

/// Side of the eye model's square input.
pub const INPUT: u32 = 24;
/// Index of the "open eye" class.
pub const OPEN_CLASS: usize = 1;
/// Crop side relative to the eye's width.
const PADDING: f32 = 1.6;

/// The crop around one eye; `corners` are its outer and inner corner indices, `lids` its four
/// eyelid points.
fn eye_crop(l: &Landmarks, corners: (usize, usize), lids: [usize; 4]) -> Rect {
    let centre = Point::mean(&lids.map(|i| l[i]));
    let side = (l[corners.0].distance(l[corners.1]) * PADDING).max(2.0);
    Rect::square_around(centre, side)
}

/// The two eye crops (image-left eye first).
pub fn crops(l: &Landmarks) -> [Rect; 2] {
    [
        eye_crop(l, (36, 39), [37, 38, 40, 41]),
        eye_crop(l, (42, 45), [43, 44, 46, 47]),
    ]
}

/// The model input for one eye crop.
pub fn input(frame: &RgbImage, crop: &Rect) -> Vec<f32> {
    let patch = sampling::warp(
        frame,
        &Affine::rect_to_grid(crop, INPUT, INPUT),
        INPUT,
        INPUT,
        true,
    );
    sampling::gray(&patch, 1.0 / 255.0)
}

/// Probability that the eye is open, from the two logits.
pub fn open_probability(logits: &[f32]) -> Option<f32> {
    if logits.len() != 2 || logits.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let other = logits[1 - OPEN_CLASS];
    Some(1.0 / (1.0 + (other - logits[OPEN_CLASS]).exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_are_centred_on_the_lids() {
        let mut l = [Point::default(); 68];
        l[36] = Point::new(100.0, 100.0);
        l[39] = Point::new(130.0, 100.0);
        for i in [37, 38, 40, 41] {
            l[i] = Point::new(115.0, 100.0);
        }
        l[42] = Point::new(170.0, 100.0);
        l[45] = Point::new(200.0, 100.0);
        for i in [43, 44, 46, 47] {
            l[i] = Point::new(185.0, 102.0);
        }
        let [left, right] = crops(&l);
        assert!((left.width() - 48.0).abs() < 1e-4);
        assert_eq!(left.center(), Point::new(115.0, 100.0));
        assert_eq!(right.center(), Point::new(185.0, 102.0));
    }

    #[test]
    fn softmax_of_two() {
        assert!((open_probability(&[0.0, 0.0]).unwrap() - 0.5).abs() < 1e-6);
        assert!(open_probability(&[-5.0, 5.0]).unwrap() > 0.99);
        assert!(open_probability(&[1.0]).is_none());
    }
}
