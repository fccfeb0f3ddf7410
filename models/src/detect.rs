//! Face detection: turning `fr_detect`'s raw outputs into face boxes, non-maximum suppression,
//! and the choice of the one face to verify.
//!
//! `fr_detect` is an Ultra-Light-Fast-Generic-Face-Detector (RFB, 320×240 input, 4420 priors).
//! Its ONNX export already applies the softmax (`scores [1,4420,2]`, column 1 = face) and
//! already decodes the boxes against the priors into normalised corners
//! (`boxes [1,4420,4] = x1,y1,x2,y2 ∈ [0,1]`); decoding them again, as the JavaScript's
//! unused `decodeBBox` would, is wrong. The JavaScript's own NMS (sorting by the bottom edge
//! and dividing the overlap by one box's area) is also replaced here by the standard one:
//! highest score first, drop boxes whose IoU with a kept box exceeds the threshold.
//!
//! Input preprocessing (checked against the model): the whole frame resized to 320×240
//! (aspect ratio not kept, as in training), RGB planes, `(v − 127) / 128`.

use crate::geometry::Rect;
use serde::{Deserialize, Serialize};

/// Detector input width.
pub const INPUT_W: u32 = 320;
/// Detector input height.
pub const INPUT_H: u32 = 240;
/// Number of priors (rows of each output).
pub const PRIORS: usize = 4420;

/// A face found in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The box in frame pixels, as the detector drew it (not squared).
    pub rect: Rect,
    /// The detector's face probability, 0–1.
    pub score: f32,
}

/// Detector tuning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectConfig {
    /// Minimum face probability of a box (the detector's authors use 0.7).
    pub score_threshold: f32,
    /// IoU above which the lower-scoring of two boxes is suppressed.
    pub nms_iou: f32,
    /// At most this many faces are reported (highest scores first).
    pub max_faces: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            score_threshold: 0.7,
            nms_iou: 0.3,
            max_faces: 32,
        }
    }
}

/// Candidate boxes from the raw outputs: rows with a face probability ≥ the threshold, scaled
/// from normalised corners to a `frame_w × frame_h` frame. `scores` holds `PRIORS × 2`
/// probabilities, `boxes` `PRIORS × 4` normalised corners.
pub fn candidates(
    scores: &[f32],
    boxes: &[f32],
    threshold: f32,
    frame_w: u32,
    frame_h: u32,
) -> Vec<Detection> {
    let (w, h) = (frame_w as f32, frame_h as f32);
    scores
        .chunks_exact(2)
        .zip(boxes.chunks_exact(4))
        .filter(|(s, _)| s[1] >= threshold)
        .map(|(s, b)| Detection {
            rect: Rect {
                x1: b[0] * w,
                y1: b[1] * h,
                x2: b[2] * w,
                y2: b[3] * h,
            },
            score: s[1],
        })
        .filter(|d| d.rect.width() > 0.0 && d.rect.height() > 0.0)
        .collect()
}

/// Standard greedy non-maximum suppression: best score first; a box is kept when its IoU
/// with every kept box is at most `iou`. The result is sorted by descending score.
pub fn nms(mut boxes: Vec<Detection>, iou: f32, max: usize) -> Vec<Detection> {
    boxes.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in boxes {
        if kept.len() >= max {
            break;
        }
        if kept.iter().all(|k| k.rect.iou(&candidate.rect) <= iou) {
            kept.push(candidate);
        }
    }
    kept
}

/// How strongly a face asks to be the one verified: the detector's confidence, times how
/// central it is, times how large it is relative to the largest face.
///
/// At a kiosk the person verifying stands in front of the camera: near the centre, and
/// usually the largest face. Area alone is not enough (a blurred face or face-like blob at
/// the edge can be the biggest box), nor is the score alone (a sharp small face in the
/// background can score highest). Each factor is softened so that none of them decides by
/// itself: centrality falls from 1 at the centre to 0.5 in a corner; the size factor is the
/// square root of the area ratio.
pub fn subject_priority(face: &Detection, largest_area: f32, frame_w: u32, frame_h: u32) -> f32 {
    let c = face.rect.center();
    let (w, h) = (frame_w as f32, frame_h as f32);
    let dx = (c.x - w / 2.0) / (w / 2.0);
    let dy = (c.y - h / 2.0) / (h / 2.0);
    let off_centre = (dx.hypot(dy) / std::f32::consts::SQRT_2).min(1.0);
    let centrality = 1.0 - 0.5 * off_centre;
    let size = if largest_area > 0.0 {
        (face.rect.area() / largest_area).sqrt()
    } else {
        0.0
    };
    face.score * centrality * size
}

/// Index of the face to verify among `faces` (see [`subject_priority`]), `None` if empty.
pub fn choose_subject(faces: &[Detection], frame_w: u32, frame_h: u32) -> Option<usize> {
    let largest = faces.iter().map(|f| f.rect.area()).fold(0.0, f32::max);
    faces
        .iter()
        .enumerate()
        .map(|(i, f)| (i, subject_priority(f, largest, frame_w, frame_h)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The square box the landmark model is fed: centred on the detection, side = the box's
/// height (Ultra-Light boxes are taller than wide and their height tracks the face's size).
pub fn landmark_square(rect: &Rect) -> Rect {
    Rect::square_around(rect.center(), rect.height())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Detection {
        Detection {
            rect: Rect { x1, y1, x2, y2 },
            score,
        }
    }

    #[test]
    fn candidates_threshold_and_scale() {
        let scores = [0.9, 0.1, 0.3, 0.7, 0.2, 0.8];
        let boxes = [0.0, 0.0, 0.1, 0.1, 0.5, 0.5, 1.0, 1.0, 0.25, 0.0, 0.5, 0.5];
        let got = candidates(&scores, &boxes, 0.7, 640, 480);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].rect,
            Rect {
                x1: 320.0,
                y1: 240.0,
                x2: 640.0,
                y2: 480.0
            }
        );
        assert_eq!(
            got[1].rect,
            Rect {
                x1: 160.0,
                y1: 0.0,
                x2: 320.0,
                y2: 240.0
            }
        );
        assert_eq!(got[1].score, 0.8);
        // A degenerate box never survives.
        let flat = candidates(&[0.0, 0.99], &[0.5, 0.5, 0.5, 0.9], 0.5, 100, 100);
        assert!(flat.is_empty());
    }

    #[test]
    fn nms_keeps_the_best_of_each_cluster() {
        let boxes = vec![
            det(0.0, 0.0, 10.0, 10.0, 0.80),
            det(1.0, 1.0, 11.0, 11.0, 0.95), // overlaps the first (IoU 0.68): wins the cluster
            det(50.0, 50.0, 60.0, 60.0, 0.75),
            det(5.0, 0.0, 15.0, 10.0, 0.90), // IoU 0.37 with the winner: suppressed
            det(51.0, 50.0, 61.0, 60.0, 0.70),
        ];
        let kept = nms(boxes, 0.3, 10);
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.95, 0.75]);
        let kept = nms(
            vec![
                det(0.0, 0.0, 10.0, 10.0, 0.9),
                det(5.0, 0.0, 15.0, 10.0, 0.8),
            ],
            0.34,
            10,
        );
        assert_eq!(kept.len(), 2, "IoU 1/3 is at most 0.34: both kept");
    }

    #[test]
    fn nms_respects_the_limit_and_empty_input() {
        let boxes: Vec<Detection> = (0..10)
            .map(|i| det(i as f32 * 20.0, 0.0, i as f32 * 20.0 + 10.0, 10.0, 0.8))
            .collect();
        assert_eq!(nms(boxes, 0.3, 4).len(), 4);
        assert!(nms(Vec::new(), 0.3, 4).is_empty());
    }

    #[test]
    fn subject_is_central_and_confident_not_merely_largest() {
        // 640×480 frame. A large blurry blob in the corner vs. a slightly smaller central face.
        let blob = det(0.0, 0.0, 220.0, 260.0, 0.72);
        let person = det(230.0, 120.0, 410.0, 340.0, 0.99);
        let background = det(560.0, 20.0, 600.0, 70.0, 0.995);
        let faces = [blob, person, background];
        assert_eq!(choose_subject(&faces, 640, 480), Some(1));
        // Alone, any face is the subject.
        assert_eq!(choose_subject(&[background], 640, 480), Some(0));
        assert_eq!(choose_subject(&[], 640, 480), None);
    }

    #[test]
    fn priority_factors() {
        let centred = det(270.0, 190.0, 370.0, 290.0, 1.0);
        assert!((subject_priority(&centred, centred.rect.area(), 640, 480) - 1.0).abs() < 1e-6);
        let corner = det(-50.0, -50.0, 50.0, 50.0, 1.0);
        assert!((subject_priority(&corner, corner.rect.area(), 640, 480) - 0.5).abs() < 1e-6);
        // A quarter of the largest area halves the priority.
        assert!(
            (subject_priority(&centred, 4.0 * centred.rect.area(), 640, 480) - 0.5).abs() < 1e-6
        );
    }

    #[test]
    fn landmark_square_is_centred_on_the_box() {
        let sq = landmark_square(&Rect {
            x1: 100.0,
            y1: 50.0,
            x2: 180.0,
            y2: 150.0,
        });
        assert_eq!(
            sq,
            Rect {
                x1: 90.0,
                y1: 50.0,
                x2: 190.0,
                y2: 150.0
            }
        );
    }
}
