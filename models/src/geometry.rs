//! Plane geometry for faces: points, boxes, 2×3 affine maps and the least-squares similarity
//! transform that aligns five facial landmarks to the ArcFace reference points.
//!
//! Pure functions on plain data; no image is touched here (see `sampling` for that).

use serde::{Deserialize, Serialize};

/// A point in continuous image coordinates: x right, y down, the image spans `[0, width] ×
/// [0, height]` and pixel `(i, j)` covers `[i, i+1) × [j, j+1)` (its centre is `(i+½, j+½)`).
/// Detector boxes (normalised corners × size) are naturally in this convention.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal coordinate.
    pub x: f32,
    /// Vertical coordinate.
    pub y: f32,
}

impl Point {
    /// A point.
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    /// Mean of several points (the origin for none).
    pub fn mean(points: &[Point]) -> Point {
        if points.is_empty() {
            return Point::default();
        }
        let n = points.len() as f32;
        let (sx, sy) = points
            .iter()
            .fold((0.0, 0.0), |(sx, sy), p| (sx + p.x, sy + p.y));
        Point::new(sx / n, sy / n)
    }

    /// Euclidean distance.
    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// An axis-aligned box in pixel coordinates, `x1 ≤ x2`, `y1 ≤ y2`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x1: f32,
    /// Top edge.
    pub y1: f32,
    /// Right edge.
    pub x2: f32,
    /// Bottom edge.
    pub y2: f32,
}

impl Rect {
    /// Width (never negative).
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    /// Height (never negative).
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    /// Area (never negative).
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Centre point.
    pub fn center(&self) -> Point {
        Point::new((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    /// Intersection over union, 0 for disjoint or empty boxes.
    pub fn iou(&self, other: &Rect) -> f32 {
        let inter = Rect {
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
            x2: self.x2.min(other.x2),
            y2: self.y2.min(other.y2),
        }
        .area();
        let union = self.area() + other.area() - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    /// The square with the same centre whose side is `side`.
    pub fn square_around(center: Point, side: f32) -> Rect {
        let h = side / 2.0;
        Rect {
            x1: center.x - h,
            y1: center.y - h,
            x2: center.x + h,
            y2: center.y + h,
        }
    }

    /// This box clipped to `[0, width] × [0, height]`.
    pub fn clamp_to(&self, width: f32, height: f32) -> Rect {
        Rect {
            x1: self.x1.clamp(0.0, width),
            y1: self.y1.clamp(0.0, height),
            x2: self.x2.clamp(0.0, width),
            y2: self.y2.clamp(0.0, height),
        }
    }
}

/// A 2×3 affine map `p ↦ (a·x + b·y + c, d·x + e·y + f)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Row-major coefficients `[[a, b, c], [d, e, f]]`.
    pub m: [[f32; 3]; 2],
}

impl Affine {
    /// The identity map.
    pub const IDENTITY: Affine = Affine {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    };

    /// The map that sends the box `from` onto an image of `to_w × to_h` pixels, the way a crop
    /// followed by a resize does.
    pub fn rect_to_grid(from: &Rect, to_w: u32, to_h: u32) -> Affine {
        let sx = to_w as f32 / from.width().max(f32::EPSILON);
        let sy = to_h as f32 / from.height().max(f32::EPSILON);
        Affine {
            m: [[sx, 0.0, -sx * from.x1], [0.0, sy, -sy * from.y1]],
        }
    }

    /// Applies the map to a point.
    pub fn apply(&self, p: Point) -> Point {
        let [[a, b, c], [d, e, f]] = self.m;
        Point::new(a * p.x + b * p.y + c, d * p.x + e * p.y + f)
    }

    /// The inverse map, if the linear part is invertible.
    pub fn invert(&self) -> Option<Affine> {
        let [[a, b, c], [d, e, f]] = self.m;
        let det = a * e - b * d;
        if det.abs() < 1e-12 || !det.is_finite() {
            return None;
        }
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Some(Affine {
            m: [[ia, ib, -(ia * c + ib * f)], [id, ie, -(id * c + ie * f)]],
        })
    }

    /// `self ∘ other`: first `other`, then `self`.
    pub fn after(&self, other: &Affine) -> Affine {
        let [[a, b, c], [d, e, f]] = self.m;
        let [[p, q, r], [s, t, u]] = other.m;
        Affine {
            m: [
                [a * p + b * s, a * q + b * t, a * r + b * u + c],
                [d * p + e * s, d * q + e * t, d * r + e * u + f],
            ],
        }
    }

    /// The map's linear scale: the square root of the absolute determinant (how many output
    /// pixels one input pixel spans, along one axis, on average).
    pub fn scale(&self) -> f32 {
        let [[a, b, _], [d, e, _]] = self.m;
        (a * e - b * d).abs().sqrt()
    }
}

/// The ArcFace alignment template: where the left eye, right eye, nose tip, left and right
/// mouth corners of a face sit in the 112×112 crop the embedding model was trained on
/// (insightface's `arcface_dst`; "left" is the image's left, i.e. the person's right).
///
/// insightface gives these in OpenCV's pixel-centre-at-integer convention; here they are
/// shifted by half a pixel into this module's continuous convention (see [`Point`]).
pub const ARCFACE_REFERENCE_112: [Point; 5] = [
    Point::new(38.2946 + 0.5, 51.6963 + 0.5),
    Point::new(73.5318 + 0.5, 51.5014 + 0.5),
    Point::new(56.0252 + 0.5, 71.7366 + 0.5),
    Point::new(41.5493 + 0.5, 92.3655 + 0.5),
    Point::new(70.7299 + 0.5, 92.2041 + 0.5),
];

/// The least-squares similarity transform (rotation, uniform scale, translation; no shear or
/// reflection) that maps `src` onto `dst`, i.e. minimises `Σ |T(src_i) − dst_i|²`.
///
/// This is Umeyama's method specialised to the plane, where it has a closed form. Returns
/// `None` for fewer than two points, mismatched lengths, or points that all coincide.
pub fn similarity_lstsq(src: &[Point], dst: &[Point]) -> Option<Affine> {
    if src.len() != dst.len() || src.len() < 2 {
        return None;
    }
    let (ms, md) = (Point::mean(src), Point::mean(dst));
    let (mut dot, mut cross, mut var) = (0.0f64, 0.0f64, 0.0f64);
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (f64::from(s.x - ms.x), f64::from(s.y - ms.y));
        let (dx, dy) = (f64::from(d.x - md.x), f64::from(d.y - md.y));
        dot += sx * dx + sy * dy;
        cross += sx * dy - sy * dx;
        var += sx * sx + sy * sy;
    }
    if var < 1e-12 {
        return None;
    }
    // T(p) = [a -b; b a]·p + t, with a = s·cosθ, b = s·sinθ.
    let (a, b) = ((dot / var) as f32, (cross / var) as f32);
    let tx = md.x - (a * ms.x - b * ms.y);
    let ty = md.y - (b * ms.x + a * ms.y);
    Some(Affine {
        m: [[a, -b, tx], [b, a, ty]],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point, tol: f32) -> bool {
        a.distance(b) <= tol
    }

    fn similarity(scale: f32, angle_deg: f32, tx: f32, ty: f32) -> Affine {
        let (s, c) = angle_deg.to_radians().sin_cos();
        Affine {
            m: [[scale * c, -scale * s, tx], [scale * s, scale * c, ty]],
        }
    }

    #[test]
    fn recovers_known_similarities_exactly() {
        let src = [
            Point::new(120.0, 200.0),
            Point::new(180.0, 195.0),
            Point::new(150.0, 240.0),
            Point::new(128.0, 275.0),
            Point::new(172.0, 272.0),
        ];
        for &(scale, angle, tx, ty) in &[
            (1.0, 0.0, 0.0, 0.0),
            (0.5, 0.0, -10.0, 4.0),
            (0.37, 12.0, -20.0, 30.0),
            (2.5, -45.0, 100.0, -3.0),
            (1.0, 180.0, 5.0, 5.0),
        ] {
            let truth = similarity(scale, angle, tx, ty);
            let dst: Vec<Point> = src.iter().map(|p| truth.apply(*p)).collect();
            let got = similarity_lstsq(&src, &dst).expect("solvable");
            for (g, t) in got.m.iter().flatten().zip(truth.m.iter().flatten()) {
                assert!(
                    (g - t).abs() < 1e-3,
                    "scale {scale} angle {angle}: {got:?} vs {truth:?}"
                );
            }
        }
    }

    #[test]
    fn maps_the_reference_onto_itself_and_a_scaled_copy_back() {
        let id = similarity_lstsq(&ARCFACE_REFERENCE_112, &ARCFACE_REFERENCE_112).unwrap();
        for p in ARCFACE_REFERENCE_112 {
            assert!(close(id.apply(p), p, 1e-4));
        }
        // A face twice the size, shifted: the transform halves it and shifts back.
        let big: Vec<Point> = ARCFACE_REFERENCE_112
            .iter()
            .map(|p| Point::new(2.0 * p.x + 300.0, 2.0 * p.y + 50.0))
            .collect();
        let t = similarity_lstsq(&big, &ARCFACE_REFERENCE_112).unwrap();
        assert!((t.scale() - 0.5).abs() < 1e-5);
        for (b, r) in big.iter().zip(ARCFACE_REFERENCE_112) {
            assert!(close(t.apply(*b), r, 1e-3));
        }
    }

    #[test]
    fn least_squares_with_noise_matches_the_closed_form_optimum() {
        // Symmetric noise on a square: the best similarity is the identity.
        let dst = [
            Point::new(0.0, 0.0),
            Point::new(10.0, 0.0),
            Point::new(10.0, 10.0),
            Point::new(0.0, 10.0),
        ];
        let src = [
            Point::new(-1.0, 0.0),
            Point::new(11.0, 0.0),
            Point::new(11.0, 10.0),
            Point::new(-1.0, 10.0),
        ];
        // src is stretched in x by 12/10 only; the best uniform scale is the average stretch
        // in the least-squares sense: Σ(s·d)/Σ|s|² about the centre.
        let t = similarity_lstsq(&src, &dst).unwrap();
        let expected_scale = (4.0 * (6.0 * 5.0 + 5.0 * 5.0)) / (4.0 * (36.0 + 25.0));
        assert!((t.m[0][0] - expected_scale).abs() < 1e-5, "{t:?}");
        assert!(t.m[1][0].abs() < 1e-6, "no rotation expected: {t:?}");
        assert!(close(
            t.apply(Point::new(5.0, 5.0)),
            Point::new(5.0, 5.0),
            1e-4
        ));
    }

    #[test]
    fn never_reflects_and_refuses_degenerate_input() {
        // A mirrored point set cannot be matched by a similarity; the result must still have
        // a positive determinant.
        let src = [
            Point::new(0.0, 0.0),
            Point::new(1.0, 0.0),
            Point::new(0.0, 1.0),
        ];
        let mirrored = [
            Point::new(0.0, 0.0),
            Point::new(-1.0, 0.0),
            Point::new(0.0, 1.0),
        ];
        let t = similarity_lstsq(&src, &mirrored).unwrap();
        let [[a, b, _], [d, e, _]] = t.m;
        assert!(a * e - b * d >= 0.0);
        assert!(similarity_lstsq(&[Point::new(1.0, 1.0)], &[Point::new(0.0, 0.0)]).is_none());
        let same = [Point::new(3.0, 3.0); 5];
        assert!(similarity_lstsq(&same, &ARCFACE_REFERENCE_112).is_none());
        assert!(similarity_lstsq(&src, &ARCFACE_REFERENCE_112).is_none());
    }

    #[test]
    fn affine_inverse_and_composition() {
        let t = similarity(0.7, 30.0, 12.0, -8.0);
        let inv = t.invert().unwrap();
        let p = Point::new(33.0, 71.0);
        assert!(close(inv.apply(t.apply(p)), p, 1e-4));
        assert!(close(t.after(&inv).apply(p), p, 1e-4));
        assert!(
            Affine {
                m: [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
            }
            .invert()
            .is_none()
        );
    }

    #[test]
    fn rect_to_grid_matches_resize_pixel_centres() {
        // Halving 640×480: the centre of source pixel 0 and 1 (0.5, 1.5) average to the
        // destination pixel 0's centre (0.5); source pixel 2's and 3's to destination pixel 1's.
        let t = Affine::rect_to_grid(
            &Rect {
                x1: 0.0,
                y1: 0.0,
                x2: 640.0,
                y2: 480.0,
            },
            320,
            240,
        );
        assert!(
            close(t.apply(Point::new(1.0, 1.0)), Point::new(0.5, 0.5), 1e-5),
            "{t:?}"
        );
        assert!(close(
            t.apply(Point::new(3.0, 3.0)),
            Point::new(1.5, 1.5),
            1e-5
        ));
        let crop = Rect {
            x1: 100.0,
            y1: 50.0,
            x2: 300.0,
            y2: 250.0,
        };
        let t = Affine::rect_to_grid(&crop, 64, 64);
        assert!(close(
            t.apply(Point::new(100.0, 50.0)),
            Point::new(0.0, 0.0),
            1e-4
        ));
        assert!(close(
            t.apply(Point::new(300.0, 250.0)),
            Point::new(64.0, 64.0),
            1e-4
        ));
    }

    #[test]
    fn iou_cases() {
        let a = Rect {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        };
        let b = Rect {
            x1: 5.0,
            y1: 0.0,
            x2: 15.0,
            y2: 10.0,
        };
        let c = Rect {
            x1: 20.0,
            y1: 20.0,
            x2: 30.0,
            y2: 30.0,
        };
        assert!((a.iou(&a) - 1.0).abs() < 1e-6);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.iou(&c), 0.0);
        assert_eq!(Rect::default().iou(&Rect::default()), 0.0);
    }
}
