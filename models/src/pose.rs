//! Head pose (yaw, pitch, roll in degrees) with `fr_pose`, a Hopenet-style bin classifier.
//!
//! Input (as the JavaScript feeds it): the square face box widened by a quarter on every side,
//! resized to 224×224, RGB, ImageNet normalisation (`(v/255 − mean) / std`). Output: three
//! vectors of 66 logits (yaw, pitch, roll), each bin 3° wide; the angle is the softmax
//! expectation `Σ p_i · i · 3 − 99`.

use crate::geometry::{Affine, Rect};
use crate::sampling;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Side of the pose model's square input.
pub const INPUT: u32 = 224;
/// Number of angle bins per output.
pub const BINS: usize = 66;

/// Head rotation in degrees. Yaw: turning left/right; pitch: nodding up/down; roll: tilting
/// the head towards a shoulder.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Pose {
    /// Left/right turn.
    pub yaw: f32,
    /// Up/down nod.
    pub pitch: f32,
    /// Sideways tilt.
    pub roll: f32,
}

/// The crop the pose model sees: the square box widened by a quarter on every side.
pub fn crop_for(square: &Rect) -> Rect {
    let (w, h) = (square.width(), square.height());
    Rect {
        x1: square.x1 - w / 4.0,
        y1: square.y1 - h / 4.0,
        x2: square.x2 + w / 4.0,
        y2: square.y2 + h / 4.0,
    }
}

/// The model input.
pub fn input(frame: &RgbImage, square: &Rect) -> Vec<f32> {
    let crop = crop_for(square);
    let patch = sampling::warp(
        frame,
        &Affine::rect_to_grid(&crop, INPUT, INPUT),
        INPUT,
        INPUT,
        true,
    );
    let mut planes = sampling::planar(&patch, sampling::ChannelOrder::Rgb, 0.0, 1.0 / 255.0);
    let plane = (INPUT * INPUT) as usize;
    const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
    const STD: [f32; 3] = [0.229, 0.224, 0.225];
    for (c, chunk) in planes.chunks_exact_mut(plane).enumerate() {
        chunk.iter_mut().for_each(|v| *v = (*v - MEAN[c]) / STD[c]);
    }
    planes
}

/// Expected angle of one output's 66 logits.
pub fn angle(logits: &[f32]) -> Option<f32> {
    if logits.len() != BINS || logits.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    let expectation: f32 = exp
        .iter()
        .enumerate()
        .map(|(i, e)| e / sum * i as f32)
        .sum();
    Some(expectation * 3.0 - 99.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_of_a_sharp_bin() {
        let mut logits = vec![-50.0f32; BINS];
        logits[33] = 50.0;
        assert!(angle(&logits).unwrap().abs() < 1e-3);
        logits[33] = -50.0;
        logits[43] = 50.0;
        assert!((angle(&logits).unwrap() - 30.0).abs() < 1e-3);
        assert!(angle(&logits[..10]).is_none());
    }

    #[test]
    fn crop_widens_by_a_quarter() {
        let c = crop_for(&Rect {
            x1: 100.0,
            y1: 100.0,
            x2: 200.0,
            y2: 200.0,
        });
        assert_eq!(
            c,
            Rect {
                x1: 75.0,
                y1: 75.0,
                x2: 225.0,
                y2: 225.0
            }
        );
    }
}
