//! The quality gate: is this frame good enough to verify, and if not, what should the person
//! do? Each reason is a [`QualityIssue`] the kiosk shows as an instruction (the UI translates
//! it; no user text lives here).
//!
//! The measures come from the pipeline (face size, other faces, brightness and sharpness of the
//! aligned face, head pose, eye state); [`assess`] is a pure function of those measures and a
//! [`QualityConfig`]. Defaults are set for a kiosk camera (640×480 or more, person at arm's
//! length), from what the models need, not fitted to any test photo.

use crate::pose::Pose;
use crate::sampling::luma;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Why a frame cannot be verified as it is. Ordered by what the person should fix first.
///
/// Deliberately not `#[non_exhaustive]`: the UI must translate every reason, so a new one
/// should break its `match` at compile time rather than fall into a generic message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityIssue {
    /// No face found: step in front of the camera.
    NoFace,
    /// More than one face of similar size: only one person at a time.
    SeveralFaces,
    /// The face is too small in the frame: come closer.
    TooSmall,
    /// The face is too dark: more light, or step out of the backlight.
    TooDark,
    /// The face is overexposed: less light.
    TooBright,
    /// The head is turned or tilted too far: look straight at the camera.
    HeadTurned,
    /// The eyes are closed: open your eyes.
    EyesClosed,
    /// The face is blurred (motion or focus): hold still.
    Blurred,
}

impl QualityIssue {
    /// A stable machine name (`no_face`, `several_faces`, …) for logs, JSON and the UI's
    /// translation tables.
    pub fn as_str(self) -> &'static str {
        match self {
            QualityIssue::NoFace => "no_face",
            QualityIssue::SeveralFaces => "several_faces",
            QualityIssue::TooSmall => "too_small",
            QualityIssue::TooDark => "too_dark",
            QualityIssue::TooBright => "too_bright",
            QualityIssue::HeadTurned => "head_turned",
            QualityIssue::EyesClosed => "eyes_closed",
            QualityIssue::Blurred => "blurred",
        }
    }
}

/// Limits of the quality gate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityConfig {
    /// Smallest face box height in frame pixels. The embedding works on a 112-pixel crop in
    /// which the face is about 90 pixels tall; much below that the crop is upsampled mush.
    pub min_face_px: f32,
    /// Another face at least this fraction of the subject's height means several people are
    /// in front of the camera (smaller faces further back are ignored).
    pub other_face_ratio: f32,
    /// Darkest acceptable mean luma (0–255) of the face.
    pub min_brightness: f32,
    /// Brightest acceptable mean luma of the face.
    pub max_brightness: f32,
    /// Least acceptable sharpness: variance of the Laplacian of the aligned grey face.
    pub min_sharpness: f32,
    /// Largest acceptable |yaw| in degrees.
    pub max_yaw: f32,
    /// Largest acceptable |pitch| in degrees.
    pub max_pitch: f32,
    /// Largest acceptable |roll| in degrees (alignment undoes roll, but a strongly tilted head
    /// usually means the person is not facing the kiosk).
    pub max_roll: f32,
    /// Below this mean open-eye probability of the two eyes, the eyes count as closed.
    pub min_eyes_open: f32,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            min_face_px: 80.0,
            other_face_ratio: 0.6,
            min_brightness: 50.0,
            max_brightness: 215.0,
            min_sharpness: 15.0,
            max_yaw: 30.0,
            max_pitch: 25.0,
            max_roll: 30.0,
            min_eyes_open: 0.5,
        }
    }
}

/// What the pipeline measured about the chosen face.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityMeasures {
    /// Faces found in the frame.
    pub faces: usize,
    /// How many other faces are at least `other_face_ratio` of the subject's height.
    pub similar_faces: usize,
    /// The subject's box height in frame pixels.
    pub face_px: f32,
    /// Mean luma of the aligned face's centre (0–255).
    pub brightness: f32,
    /// Variance of the Laplacian of the aligned grey face.
    pub sharpness: f32,
    /// Head pose, when measured.
    pub pose: Option<Pose>,
    /// Open-eye probability of each eye, when measured.
    pub eyes_open: Option<[f32; 2]>,
}

/// Every issue the measures show, most urgent first; empty when the frame is good.
pub fn assess(m: &QualityMeasures, cfg: &QualityConfig) -> Vec<QualityIssue> {
    let mut issues = Vec::new();
    if m.faces == 0 {
        issues.push(QualityIssue::NoFace);
        return issues;
    }
    if m.similar_faces > 0 {
        issues.push(QualityIssue::SeveralFaces);
    }
    if m.face_px < cfg.min_face_px {
        issues.push(QualityIssue::TooSmall);
    }
    if m.brightness < cfg.min_brightness {
        issues.push(QualityIssue::TooDark);
    } else if m.brightness > cfg.max_brightness {
        issues.push(QualityIssue::TooBright);
    }
    if let Some(p) = m.pose
        && (p.yaw.abs() > cfg.max_yaw
            || p.pitch.abs() > cfg.max_pitch
            || p.roll.abs() > cfg.max_roll)
    {
        issues.push(QualityIssue::HeadTurned);
    }
    if let Some([l, r]) = m.eyes_open
        && (l + r) / 2.0 < cfg.min_eyes_open
    {
        issues.push(QualityIssue::EyesClosed);
    }
    if m.sharpness < cfg.min_sharpness {
        issues.push(QualityIssue::Blurred);
    }
    issues
}

/// Mean luma of the centre of an aligned 112×112 face (the cheeks, eyes, nose and mouth; the
/// corners hold background and hair).
pub fn brightness(aligned: &RgbImage) -> f32 {
    let (w, h) = (aligned.width(), aligned.height());
    let (x0, x1, y0, y1) = (w / 5, w - w / 5, h / 5, h - h / 10);
    let mut sum = 0.0f64;
    let mut n = 0u32;
    for y in y0..y1 {
        for x in x0..x1 {
            sum += f64::from(luma(&aligned.get_pixel(x, y).0));
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / f64::from(n)) as f32
    }
}

/// Variance of the 4-neighbour Laplacian of the grey aligned face: high for crisp edges, low
/// for motion or focus blur. Computed on the aligned crop so the number does not depend on
/// how large the face was in the frame.
pub fn sharpness(aligned: &RgbImage) -> f32 {
    let (w, h) = (aligned.width() as usize, aligned.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let g: Vec<f32> = aligned.as_raw().chunks_exact(3).map(luma).collect();
    let (mut sum, mut sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let lap = g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4.0 * g[i];
            sum += f64::from(lap);
            sq += f64::from(lap) * f64::from(lap);
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sq / n - mean * mean) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn good() -> QualityMeasures {
        QualityMeasures {
            faces: 1,
            similar_faces: 0,
            face_px: 200.0,
            brightness: 120.0,
            sharpness: 100.0,
            pose: Some(Pose {
                yaw: 5.0,
                pitch: -3.0,
                roll: 2.0,
            }),
            eyes_open: Some([0.95, 0.9]),
        }
    }

    #[test]
    fn each_measure_triggers_its_issue() {
        let cfg = QualityConfig::default();
        assert!(assess(&good(), &cfg).is_empty());
        let cases: Vec<(QualityMeasures, Vec<QualityIssue>)> = vec![
            (
                QualityMeasures { faces: 0, ..good() },
                vec![QualityIssue::NoFace],
            ),
            (
                QualityMeasures {
                    faces: 2,
                    similar_faces: 1,
                    ..good()
                },
                vec![QualityIssue::SeveralFaces],
            ),
            (
                QualityMeasures {
                    faces: 2,
                    similar_faces: 0,
                    ..good()
                },
                vec![],
            ),
            (
                QualityMeasures {
                    face_px: 79.0,
                    ..good()
                },
                vec![QualityIssue::TooSmall],
            ),
            (
                QualityMeasures {
                    face_px: 80.0,
                    ..good()
                },
                vec![],
            ),
            (
                QualityMeasures {
                    brightness: 30.0,
                    ..good()
                },
                vec![QualityIssue::TooDark],
            ),
            (
                QualityMeasures {
                    brightness: 240.0,
                    ..good()
                },
                vec![QualityIssue::TooBright],
            ),
            (
                QualityMeasures {
                    sharpness: 3.0,
                    ..good()
                },
                vec![QualityIssue::Blurred],
            ),
            (
                QualityMeasures {
                    pose: Some(Pose {
                        yaw: -45.0,
                        pitch: 0.0,
                        roll: 0.0,
                    }),
                    ..good()
                },
                vec![QualityIssue::HeadTurned],
            ),
            (
                QualityMeasures {
                    pose: Some(Pose {
                        yaw: 0.0,
                        pitch: 30.0,
                        roll: 0.0,
                    }),
                    ..good()
                },
                vec![QualityIssue::HeadTurned],
            ),
            (
                QualityMeasures {
                    pose: None,
                    eyes_open: None,
                    ..good()
                },
                vec![],
            ),
            (
                QualityMeasures {
                    eyes_open: Some([0.1, 0.3]),
                    ..good()
                },
                vec![QualityIssue::EyesClosed],
            ),
            (
                QualityMeasures {
                    eyes_open: Some([0.1, 0.95]),
                    ..good()
                },
                vec![],
            ),
            (
                QualityMeasures {
                    face_px: 40.0,
                    brightness: 20.0,
                    sharpness: 1.0,
                    ..good()
                },
                vec![
                    QualityIssue::TooSmall,
                    QualityIssue::TooDark,
                    QualityIssue::Blurred,
                ],
            ),
        ];
        for (m, want) in cases {
            assert_eq!(assess(&m, &cfg), want, "{m:?}");
        }
    }

    #[test]
    fn brightness_and_sharpness_of_synthetic_faces() {
        let flat = RgbImage::from_pixel(112, 112, Rgb([100, 100, 100]));
        assert!((brightness(&flat) - 100.0).abs() < 0.01);
        assert!(sharpness(&flat) < 1e-3);
        let stripes = RgbImage::from_fn(112, 112, |x, _| {
            if x % 2 == 0 {
                Rgb([200; 3])
            } else {
                Rgb([50; 3])
            }
        });
        assert!(sharpness(&stripes) > 1000.0);
        let ramp = RgbImage::from_fn(112, 112, |x, _| Rgb([(x * 2) as u8; 3]));
        assert!(sharpness(&ramp) < 1e-3, "a smooth ramp has no edges");
    }

    #[test]
    fn issue_names_are_stable() {
        assert_eq!(QualityIssue::NoFace.as_str(), "no_face");
        assert_eq!(
            serde_json::to_string(&QualityIssue::HeadTurned).unwrap(),
            "\"head_turned\""
        );
    }
}
