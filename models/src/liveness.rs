//! Anti-spoofing with `fr_liveness`, a MiniFASNet from minivision-ai's Silent-Face-Anti-Spoofing
//! project: is the face in front of the camera a live person, or a photo or a screen?
//!
//! What follows the project's conventions (`src/generate_patches.py`, `src/data_io/functional.py`):
//!
//! - the crop is the face box scaled by 2.7 about its centre, shrunk if it would not fit in the
//!   frame and moved inside it (`CropImage._get_new_box`), then resized (plain bilinear, as
//!   `cv2.resize`) to the input size; the face box is the detection squared on its height, as
//!   the JavaScript does (the project's SSD detector gives near-square boxes; Ultra-Light's are
//!   taller than wide, and the raw box makes the model less stable);
//! - the image is read with OpenCV, so the planes are **BGR**, and the project's `to_tensor`
//!   was changed not to divide by 255: **raw 0–255 values**, no mean, no scale. The model's
//!   first convolution confirms it: its folded weights are about 1e-4, sized for 0–255 input;
//! - three logits, softmax.
//!
//! **Which class is live.** In the project's `test.py` class 1 is "Real Face". This model is
//! not one of the project's released 80×80 models but a 128×128 retraining published by
//! Faceplugin, and its classes are ordered differently: on every real photograph of the shared
//! test set (15 portraits and 3 group photos of live people) class 0 takes nearly all of the
//! probability (≥ 0.98 with this preprocessing) and class 1 almost none; class 2 stays near 0. Faceplugin's own JavaScript reports class 0 as the liveness score. So
//! [`LIVE_CLASS`] is **0** here; `tests/it/liveness.rs` holds the evidence and fails if a
//! model update changes it.
//!
//! The JavaScript feeds RGB (browser canvas); this crate feeds BGR as the project does.

use crate::geometry::{Affine, Rect};
use crate::landmarks::shift_inside;
use crate::sampling::{self, ChannelOrder};
use image::RgbImage;

/// Side of the liveness model's square input.
pub const INPUT: u32 = 128;
/// How much context around the face the model was trained with.
pub const CROP_SCALE: f32 = 2.7;
/// Index of the "live face" class (see the module documentation for why it is not 1).
pub const LIVE_CLASS: usize = 0;

/// The crop the liveness model sees, following Silent-Face's `_get_new_box`: the box scaled by
/// [`CROP_SCALE`] (less if that would not fit in the frame) about its centre, moved inside the
/// frame.
pub fn crop_for(face: &Rect, frame_w: u32, frame_h: u32) -> Rect {
    let (w, h) = (frame_w as f32, frame_h as f32);
    let (bw, bh) = (face.width().max(1.0), face.height().max(1.0));
    let scale = CROP_SCALE.min((h - 1.0) / bh).min((w - 1.0) / bw).max(1.0);
    let c = face.center();
    let (nw, nh) = (bw * scale, bh * scale);
    let r = Rect {
        x1: c.x - nw / 2.0,
        y1: c.y - nh / 2.0,
        x2: c.x + nw / 2.0,
        y2: c.y + nh / 2.0,
    };
    shift_inside(r, w, h)
}

/// The model input for a detected face box in a frame.
pub fn input(frame: &RgbImage, detection: &Rect) -> Vec<f32> {
    let face = Rect::square_around(detection.center(), detection.height());
    let crop = crop_for(&face, frame.width(), frame.height());
    let patch = sampling::warp(
        frame,
        &Affine::rect_to_grid(&crop, INPUT, INPUT),
        INPUT,
        INPUT,
        false,
    );
    sampling::planar(&patch, ChannelOrder::Bgr, 0.0, 1.0)
}

/// Softmax of the three logits; the live probability is at [`LIVE_CLASS`].
pub fn live_probability(logits: &[f32]) -> Option<f32> {
    if logits.len() != 3 || logits.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    Some(exp[LIVE_CLASS] / sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_scales_by_2_7_when_it_fits() {
        let face = Rect {
            x1: 300.0,
            y1: 300.0,
            x2: 400.0,
            y2: 400.0,
        };
        let c = crop_for(&face, 2000, 2000);
        assert!((c.width() - 270.0).abs() < 1e-3 && (c.height() - 270.0).abs() < 1e-3);
        assert!((c.center().x - 350.0).abs() < 1e-3);
    }

    #[test]
    fn crop_shrinks_and_moves_inside_small_frames() {
        // 640×480 frame, 200 px face: 2.7× would be 540 px, taller than the frame, so the
        // scale drops to 479/200 and the box moves inside.
        let face = Rect {
            x1: 20.0,
            y1: 100.0,
            x2: 220.0,
            y2: 300.0,
        };
        let c = crop_for(&face, 640, 480);
        assert!((c.height() - 479.0).abs() < 1e-3, "{c:?}");
        assert!(
            c.x1 >= 0.0 && c.y1 >= 0.0 && c.x2 <= 640.0 && c.y2 <= 480.0,
            "{c:?}"
        );
    }

    #[test]
    fn softmax_picks_the_live_class() {
        let mut logits = [0.0f32; 3];
        logits[LIVE_CLASS] = 2.0f32.ln();
        let p = live_probability(&logits).unwrap();
        assert!((p - 0.5).abs() < 1e-6);
        assert!(live_probability(&[1.0, 2.0]).is_none());
        assert!(live_probability(&[1.0, f32::NAN, 0.0]).is_none());
    }
}
