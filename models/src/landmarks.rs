//! 68 facial landmarks from `fr_landmark`, and the five points alignment needs.
//!
//! Input (checked against the model): the detection squared (side = box height, same centre,
//! moved inside the frame where it fits, as the JavaScript does), resized to 64×64, grey
//! (BT.601 luma), scaled by 1/256. Output: 136 values, `x0, y0, x1, y1, …` in `[0, 1]`
//! relative to that square crop. The 68 points follow the iBUG 300-W layout (0–16 jaw,
//! 17–26 brows, 27–35 nose, 36–41 and 42–47 eyes, 48–67 mouth), with "left" meaning the
//! image's left.

use crate::geometry::{Affine, Point, Rect};
use crate::sampling;
use image::RgbImage;

/// Side of the landmark model's square input.
pub const INPUT: u32 = 64;
/// Number of landmarks.
pub const COUNT: usize = 68;

/// 68 landmarks in frame coordinates.
pub type Landmarks = [Point; COUNT];

/// The square crop the landmark model sees for a detection in a `frame_w × frame_h` frame.
pub fn crop_for(detection: &Rect, frame_w: u32, frame_h: u32) -> Rect {
    let side = detection.height().max(detection.width());
    let sq = Rect::square_around(detection.center(), side);
    shift_inside(sq, frame_w as f32, frame_h as f32)
}

/// The model's input for the square `crop` of `frame` (from [`crop_for`]).
pub fn input(frame: &RgbImage, crop: &Rect) -> Vec<f32> {
    let patch = sampling::warp(frame, &Affine::rect_to_grid(crop, INPUT, INPUT), INPUT, INPUT, true);
    sampling::gray(&patch, 1.0 / 256.0)
}

/// Moves a box inside `[0, w] × [0, h]` without resizing it, where it fits; a box larger than
/// the frame stays centred on the same point along that axis.
pub fn shift_inside(r: Rect, w: f32, h: f32) -> Rect {
    let shift = |lo: f32, hi: f32, limit: f32| -> f32 {
        if hi - lo > limit {
            0.0
        } else if lo < 0.0 {
            -lo
        } else if hi > limit {
            limit - hi
        } else {
            0.0
        }
    };
    let (dx, dy) = (shift(r.x1, r.x2, w), shift(r.y1, r.y2, h));
    Rect {
        x1: r.x1 + dx,
        y1: r.y1 + dy,
        x2: r.x2 + dx,
        y2: r.y2 + dy,
    }
}

/// Turns the model's 136 outputs into frame coordinates. `None` if the output is not 136
/// finite values.
pub fn decode(raw: &[f32], crop: &Rect) -> Option<Landmarks> {
    if raw.len() != 2 * COUNT || raw.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut points = [Point::default(); COUNT];
    for (p, xy) in points.iter_mut().zip(raw.chunks_exact(2)) {
        *p = Point::new(
            crop.x1 + xy[0] * crop.width(),
            crop.y1 + xy[1] * crop.height(),
        );
    }
    Some(points)
}

/// The five alignment points (left eye centre, right eye centre, nose tip, left and right
/// mouth corners) from 68 landmarks. Eye centres average the four eyelid points (37, 38, 40,
/// 41 and 43, 44, 46, 47), which are steadier than the corners; mouth corners average the
/// outer and inner lip corners (48/60, 54/64).
pub fn five_points(l: &Landmarks) -> [Point; 5] {
    let mean = |idx: &[usize]| Point::mean(&idx.iter().map(|&i| l[i]).collect::<Vec<_>>());
    [
        mean(&[37, 38, 40, 41]),
        mean(&[43, 44, 46, 47]),
        l[30],
        mean(&[48, 60]),
        mean(&[54, 64]),
    ]
}

/// Indices of one eye's six points (36–41 for the image-left eye, 42–47 for the right).
pub const LEFT_EYE: std::ops::Range<usize> = 36..42;
/// See [`LEFT_EYE`].
pub const RIGHT_EYE: std::ops::Range<usize> = 42..48;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_is_square_and_shifted_inside() {
        let det = Rect {
            x1: 10.0,
            y1: 20.0,
            x2: 70.0,
            y2: 100.0,
        };
        let c = crop_for(&det, 640, 480);
        assert_eq!(
            c,
            Rect {
                x1: 0.0,
                y1: 20.0,
                x2: 80.0,
                y2: 100.0
            }
        );
        let det = Rect {
            x1: 600.0,
            y1: 400.0,
            x2: 640.0,
            y2: 480.0,
        };
        let c = crop_for(&det, 640, 480);
        assert_eq!(
            c,
            Rect {
                x1: 560.0,
                y1: 400.0,
                x2: 640.0,
                y2: 480.0
            }
        );
        // Larger than the frame vertically: stays centred on that axis.
        let det = Rect {
            x1: 100.0,
            y1: -50.0,
            x2: 300.0,
            y2: 550.0,
        };
        let c = crop_for(&det, 640, 480);
        assert_eq!((c.y1, c.y2), (-50.0, 550.0));
        assert_eq!(c.width(), 600.0);
    }

    #[test]
    fn decode_scales_to_the_crop_and_refuses_garbage() {
        let crop = Rect {
            x1: 100.0,
            y1: 50.0,
            x2: 164.0,
            y2: 114.0,
        };
        let mut raw = vec![0.5f32; 136];
        raw[0] = 0.0;
        raw[1] = 1.0;
        let l = decode(&raw, &crop).unwrap();
        assert_eq!(l[0], Point::new(100.0, 114.0));
        assert_eq!(l[1], Point::new(132.0, 82.0));
        assert!(decode(&raw[..100], &crop).is_none());
        raw[7] = f32::NAN;
        assert!(decode(&raw, &crop).is_none());
    }

    #[test]
    fn five_points_average_the_right_indices() {
        let mut l = [Point::default(); COUNT];
        for (i, p) in l.iter_mut().enumerate() {
            *p = Point::new(i as f32, 2.0 * i as f32);
        }
        let f = five_points(&l);
        assert_eq!(f[0], Point::new(39.0, 78.0));
        assert_eq!(f[1], Point::new(45.0, 90.0));
        assert_eq!(f[2], Point::new(30.0, 60.0));
        assert_eq!(f[3], Point::new(54.0, 108.0));
        assert_eq!(f[4], Point::new(59.0, 118.0));
    }
}
