//! Image resampling for the models' inputs: affine warps (crop, resize, rotate) with bilinear
//! interpolation and optional anti-aliasing, and packing of the result into the planar float
//! tensors the networks take.
//!
//! One primitive, [`warp`], does every geometric step of the pipeline (detector resize,
//! landmark crop, ArcFace alignment, liveness crop, eye crops), so they all share one
//! coordinate convention ([`crate::geometry::Point`]) and one border rule: sampling outside the
//! frame gives black, as OpenCV's `warpAffine` does by default.
//!
//! Anti-aliasing: a plain bilinear warp that shrinks by 4× reads only a quarter of the source
//! pixels and aliases, so the same face photographed at 1080p and at 480p would give
//! different crops. When asked, [`warp`] first box-averages the part of the source it needs by
//! the integer factor `⌊scale⌋`, then interpolates; crops then depend on the face, not on the
//! camera's resolution.

use crate::geometry::{Affine, Point};
use image::RgbImage;

/// Warps `src` into a new `out_w × out_h` image. `src_to_dst` maps source coordinates to
/// destination coordinates (both in the continuous convention of [`Point`]). With `antialias`,
/// large reductions average the source first (see the module documentation).
pub fn warp(
    src: &RgbImage,
    src_to_dst: &Affine,
    out_w: u32,
    out_h: u32,
    antialias: bool,
) -> RgbImage {
    let mut out = RgbImage::new(out_w, out_h);
    let Some(dst_to_src) = src_to_dst.invert() else {
        return out;
    };
    let reduction = 1.0 / src_to_dst.scale().max(f32::EPSILON);
    if antialias && reduction >= 2.0 {
        let factor = reduction.floor() as u32;
        let corners = [
            Point::new(0.0, 0.0),
            Point::new(out_w as f32, 0.0),
            Point::new(0.0, out_h as f32),
            Point::new(out_w as f32, out_h as f32),
        ]
        .map(|p| dst_to_src.apply(p));
        let pad = factor as f32 + 1.0;
        let (min_x, max_x, min_y, max_y) = corners.iter().fold(
            (f32::MAX, f32::MIN, f32::MAX, f32::MIN),
            |(a, b, c, d), p| (a.min(p.x), b.max(p.x), c.min(p.y), d.max(p.y)),
        );
        let x0 = (min_x - pad).floor().clamp(0.0, src.width() as f32) as u32;
        let y0 = (min_y - pad).floor().clamp(0.0, src.height() as f32) as u32;
        let x1 = (max_x + pad).ceil().clamp(0.0, src.width() as f32) as u32;
        let y1 = (max_y + pad).ceil().clamp(0.0, src.height() as f32) as u32;
        if x1 > x0 && y1 > y0 {
            let small = box_shrink(src, x0, y0, x1 - x0, y1 - y0, factor);
            // A point u' of the shrunk image is the source point x0 + factor·u'.
            let small_to_src = Affine {
                m: [
                    [factor as f32, 0.0, x0 as f32],
                    [0.0, factor as f32, y0 as f32],
                ],
            };
            let small_to_dst = src_to_dst.after(&small_to_src);
            if let Some(dst_to_small) = small_to_dst.invert() {
                bilinear_into(&small, &dst_to_small, &mut out);
                return out;
            }
        }
        return out;
    }
    bilinear_into(src, &dst_to_src, &mut out);
    out
}

/// Averages `factor × factor` blocks of the region `(x0, y0, w, h)` of `src` (partial blocks at
/// the right and bottom edges average the pixels they have), rounding to nearest.
///
/// Rows are summed first (one add per byte, which the compiler vectorises), then each block's
/// columns; the division is a multiplication by the reciprocal (exact: see [`round_mean`]).
/// Profiled on the detector's 853×480 → 427×240 reduction: 2.3 ms pixel by pixel with a
/// division per channel, 1.0 ms this way.
fn box_shrink(src: &RgbImage, x0: u32, y0: u32, w: u32, h: u32, factor: u32) -> RgbImage {
    let f = factor as usize;
    let (sw, sh) = (w.div_ceil(factor), h.div_ceil(factor));
    let row_len = w as usize * 3;
    let src_stride = src.width() as usize * 3;
    let raw = &src.as_raw()[x0 as usize * 3..];
    let mut acc = vec![0u32; row_len];
    let mut out = RgbImage::new(sw, sh);
    for (by, out_row) in out.chunks_exact_mut(sw as usize * 3).enumerate() {
        acc.fill(0);
        let rows = (by * f)..((by + 1) * f).min(h as usize);
        let height = rows.len() as u32;
        for y in rows {
            let row = &raw[(y0 as usize + y) * src_stride..][..row_len];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += u32::from(v);
            }
        }
        // Halving, the detector's case: a full 2×2 block's rounded mean is a shift, the same
        // integer as `round_mean` gives, without the per-block loop.
        let mut done = 0;
        if f == 2 && height == 2 {
            for (px, block) in out_row.chunks_exact_mut(3).zip(acc.chunks_exact(6)) {
                for ch in 0..3 {
                    px[ch] = ((block[ch] + block[ch + 3] + 2) >> 2) as u8;
                }
            }
            done = w as usize / 2;
        }
        let full = 1.0 / f64::from(height * factor);
        for (px, block) in out_row.chunks_exact_mut(3).zip(acc.chunks(f * 3)).skip(done) {
            let cols = (block.len() / 3) as u32;
            let n = height * cols;
            let inv = if cols == factor { full } else { 1.0 / f64::from(n) };
            let mut sum = [0u32; 3];
            for p in block.chunks_exact(3) {
                sum[0] += p[0];
                sum[1] += p[1];
                sum[2] += p[2];
            }
            for (o, s) in px.iter_mut().zip(sum) {
                *o = round_mean(s, n, inv);
            }
        }
    }
    out
}

/// `(sum + n/2) / n` in integers, the rounded mean of `n` bytes summing to `sum`, from the
/// reciprocal `inv = 1/n`: with `a = sum + n/2 = k·n + r` (0 ≤ r < n), `(a + ½)·inv` lies in
/// `[k + ½/n, k + 1 − ½/n]`, farther from an integer than the reciprocal's rounding error
/// (below 2⁻⁴⁴ here), so truncating it gives `k` exactly.
#[inline(always)]
fn round_mean(sum: u32, n: u32, inv: f64) -> u8 {
    ((f64::from(sum + n / 2) + 0.5) * inv) as u8
}

/// Bilinear sampling of `src` for every pixel centre of `out`, mapped through `dst_to_src`.
fn bilinear_into(src: &RgbImage, dst_to_src: &Affine, out: &mut RgbImage) {
    let [[a, b, c], [d, e, f]] = dst_to_src.m;
    if b == 0.0 && d == 0.0 {
        bilinear_axis_aligned(src, [a, c], [e, f], out)
    } else {
        bilinear_general(src, dst_to_src, out)
    }
}

/// [`bilinear_into`] for any map, pixel by pixel.
fn bilinear_general(src: &RgbImage, dst_to_src: &Affine, out: &mut RgbImage) {
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let raw = src.as_raw();
    let [[a, b, c], [d, e, f]] = dst_to_src.m;
    let out_w = out.width() as usize;
    for (j, row) in out.chunks_exact_mut(out_w * 3).enumerate() {
        let yc = j as f32 + 0.5;
        for (i, px) in row.chunks_exact_mut(3).enumerate() {
            let xc = i as f32 + 0.5;
            let u = a * xc + b * yc + c;
            let v = d * xc + e * yc + f;
            if !(u >= 0.0 && v >= 0.0 && u <= sw as f32 && v <= sh as f32) {
                continue; // outside the frame: stays black
            }
            // Array coordinates: pixel centres at integers.
            let (x, y) = (u - 0.5, v - 0.5);
            let (xf, yf) = (x.floor(), y.floor());
            let (fx, fy) = (x - xf, y - yf);
            let x0 = (xf as i64).clamp(0, sw - 1) as usize;
            let y0 = (yf as i64).clamp(0, sh - 1) as usize;
            let x1 = (xf as i64 + 1).clamp(0, sw - 1) as usize;
            let y1 = (yf as i64 + 1).clamp(0, sh - 1) as usize;
            let stride = sw as usize * 3;
            let (p00, p01) = (y0 * stride + x0 * 3, y0 * stride + x1 * 3);
            let (p10, p11) = (y1 * stride + x0 * 3, y1 * stride + x1 * 3);
            blend(px, [&raw[p00..], &raw[p01..], &raw[p10..], &raw[p11..]], fx, fy);
        }
    }
}

/// Where one output column (or row) samples the source along one axis: the two neighbouring
/// source indices and the weight of the second; `None` outside the frame (stays black).
#[derive(Clone, Copy)]
struct AxisTap {
    lo: usize,
    hi: usize,
    frac: f32,
}

/// The taps of `n` output positions along an axis mapped by `u = scale · (i + ½) + offset`
/// onto a source of `len` pixels: the same arithmetic as the general warp, done once per
/// column and once per row instead of once per pixel.
fn axis_taps(n: u32, [scale, offset]: [f32; 2], len: i64) -> Vec<Option<AxisTap>> {
    (0..n)
        .map(|i| {
            let u = scale * (i as f32 + 0.5) + offset;
            if !(u >= 0.0 && u <= len as f32) {
                return None;
            }
            let x = u - 0.5;
            let xf = x.floor();
            Some(AxisTap {
                lo: (xf as i64).clamp(0, len - 1) as usize,
                hi: (xf as i64 + 1).clamp(0, len - 1) as usize,
                frac: x - xf,
            })
        })
        .collect()
}

/// [`bilinear_into`] for maps without rotation (crops and resizes: every step but the
/// face alignment). Same samples, same arithmetic in the same order: the result is identical.
fn bilinear_axis_aligned(src: &RgbImage, x_map: [f32; 2], y_map: [f32; 2], out: &mut RgbImage) {
    let raw = src.as_raw();
    let stride = src.width() as usize * 3;
    // Per column, byte offsets of the left and right taps and the right one's weight.
    let columns: Vec<Option<(usize, usize, f32)>> = axis_taps(out.width(), x_map, i64::from(src.width()))
        .into_iter()
        .map(|t| t.map(|t| (t.lo * 3, t.hi * 3, t.frac)))
        .collect();
    let rows = axis_taps(out.height(), y_map, i64::from(src.height()));
    let out_w = out.width() as usize;
    for (row, ty) in out.chunks_exact_mut(out_w * 3).zip(rows) {
        let Some(ty) = ty else { continue };
        let (top_row, bottom_row) = (&raw[ty.lo * stride..][..stride], &raw[ty.hi * stride..][..stride]);
        if ty.frac == 0.0 {
            // On a source row (the detector's rows: 240 → 240 after halving), the bottom taps
            // weigh exactly zero and `blend` gives `top + ½`: one row's arithmetic suffices.
            for (px, tx) in row.chunks_exact_mut(3).zip(&columns) {
                let Some((l, r, fx)) = *tx else { continue };
                let (tl, tr) = (tap(top_row, l), tap(top_row, r));
                for ch in 0..3 {
                    px[ch] = (lerp(tl[ch], tr[ch], fx) + 0.5) as u8;
                }
            }
            continue;
        }
        for (px, tx) in row.chunks_exact_mut(3).zip(&columns) {
            let Some((l, r, fx)) = *tx else { continue };
            blend(px, [tap(top_row, l), tap(top_row, r), tap(bottom_row, l), tap(bottom_row, r)], fx, ty.frac);
        }
    }
}

/// The RGB triple at byte offset `at` of a row (one bounds check for the three bytes).
#[inline(always)]
fn tap(row: &[u8], at: usize) -> &[u8; 3] {
    row[at..at + 3].try_into().unwrap_or(&[0; 3])
}

/// One output pixel from its four neighbours (top-left, top-right, bottom-left, bottom-right,
/// each starting at its RGB triple) and the weights of the right and bottom ones.
#[inline(always)]
fn blend(px: &mut [u8], [tl, tr, bl, br]: [&[u8]; 4], fx: f32, fy: f32) {
    for ch in 0..3 {
        let (top, bottom) = (lerp(tl[ch], tr[ch], fx), lerp(bl[ch], br[ch], fx));
        px[ch] = (top * (1.0 - fy) + bottom * fy + 0.5) as u8;
    }
}

/// `a` and `b` weighed `1 − f` and `f`: one row's half of [`blend`], the same expression for
/// the rows on a source row, so that both give the same bytes.
#[inline(always)]
fn lerp(a: u8, b: u8, f: f32) -> f32 {
    f32::from(a) * (1.0 - f) + f32::from(b) * f
}

/// The order in which a network expects the colour planes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue (PyTorch/PIL convention).
    Rgb,
    /// Blue, green, red (OpenCV `imread` convention).
    Bgr,
}

/// Packs an image into a planar `[1, 3, h, w]` buffer of `(value − mean) · scale`.
pub fn planar(img: &RgbImage, order: ChannelOrder, mean: f32, scale: f32) -> Vec<f32> {
    let plane = (img.width() * img.height()) as usize;
    let mut out = vec![0.0f32; plane * 3];
    let (first, rest) = out.split_at_mut(plane);
    let (second, third) = rest.split_at_mut(plane);
    let (r_plane, g_plane, b_plane) = match order {
        ChannelOrder::Rgb => (first, second, third),
        ChannelOrder::Bgr => (third, second, first),
    };
    for (i, px) in img.as_raw().chunks_exact(3).enumerate() {
        r_plane[i] = (f32::from(px[0]) - mean) * scale;
        g_plane[i] = (f32::from(px[1]) - mean) * scale;
        b_plane[i] = (f32::from(px[2]) - mean) * scale;
    }
    out
}

/// Packs an image into a `[1, 1, h, w]` buffer of luma (ITU-R BT.601, as OpenCV's
/// `cvtColor(…GRAY)`) times `scale`.
pub fn gray(img: &RgbImage, scale: f32) -> Vec<f32> {
    img.as_raw()
        .chunks_exact(3)
        .map(|px| luma(px) * scale)
        .collect()
}

/// BT.601 luma of an RGB pixel, 0–255.
pub fn luma(px: &[u8]) -> f32 {
    0.299 * f32::from(px[0]) + 0.587 * f32::from(px[1]) + 0.114 * f32::from(px[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Rect;
    use image::Rgb;

    /// Block averages the plain way: every pixel of a block summed, rounded to nearest.
    fn box_shrink_reference(src: &RgbImage, x0: u32, y0: u32, w: u32, h: u32, f: u32) -> RgbImage {
        RgbImage::from_fn(w.div_ceil(f), h.div_ceil(f), |bx, by| {
            let (mut sum, mut n) = ([0u32; 3], 0u32);
            for y in (by * f)..((by + 1) * f).min(h) {
                for x in (bx * f)..((bx + 1) * f).min(w) {
                    let px = src.get_pixel(x0 + x, y0 + y);
                    (0..3).for_each(|c| sum[c] += u32::from(px[c]));
                    n += 1;
                }
            }
            Rgb(sum.map(|s| ((s + n / 2) / n) as u8))
        })
    }

    #[test]
    fn block_averages_equal_the_plain_sums() {
        // Pseudo-random bytes (a fixed LCG), so that every rounding case occurs.
        let mut state = 12345u32;
        let img = RgbImage::from_fn(103, 67, |_, _| {
            Rgb([0; 3].map(|_: u8| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            }))
        });
        // (x0, y0, w, h, factor): whole image, partial blocks at both edges, large factors.
        for (x0, y0, w, h, f) in [(0, 0, 103, 67, 2), (3, 5, 97, 61, 3), (10, 1, 50, 40, 7), (0, 0, 103, 67, 16), (1, 1, 5, 3, 2)] {
            assert_eq!(box_shrink(&img, x0, y0, w, h, f), box_shrink_reference(&img, x0, y0, w, h, f), "{x0},{y0} {w}×{h} /{f}");
        }
        // All white: the largest sums still round to 255.
        let white = RgbImage::from_pixel(64, 64, Rgb([255; 3]));
        assert!(box_shrink(&white, 0, 0, 64, 64, 13).pixels().all(|p| *p == Rgb([255; 3])));
    }

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        })
    }

    #[test]
    fn crops_and_resizes_sample_exactly_as_the_general_warp() {
        let img = gradient(97, 61);
        // (x scale, x offset, y scale, y offset, out w, out h): shrink, enlarge, partly outside.
        let maps = [
            (2.6656, 0.0, 2.0, 0.0, 36, 30),
            (0.37, 10.2, 0.41, 3.3, 64, 64),
            (1.0, -20.5, 1.3, 40.0, 50, 40),
            (3.1, 50.0, 0.9, -5.0, 20, 90),
            // Rows on source rows (weight 0 below), as the detector's 853×480 → 320×240.
            (97.0 / 36.0, 0.0, 1.0, 0.0, 36, 61),
            (0.5, 3.0, 1.0, -2.0, 150, 70),
        ];
        for (a, c, e, f, w, h) in maps {
            let map = Affine { m: [[a, 0.0, c], [0.0, e, f]] };
            let (mut fast, mut general) = (RgbImage::new(w, h), RgbImage::new(w, h));
            bilinear_axis_aligned(&img, [a, c], [e, f], &mut fast);
            bilinear_general(&img, &map, &mut general);
            assert_eq!(fast, general, "map {map:?}");
        }
    }

    #[test]
    fn identity_warp_copies_the_image() {
        let img = gradient(40, 30);
        let out = warp(&img, &Affine::IDENTITY, 40, 30, true);
        assert_eq!(out, img);
    }

    #[test]
    fn crop_by_translation_is_exact() {
        let img = gradient(100, 80);
        let crop = Rect {
            x1: 10.0,
            y1: 20.0,
            x2: 42.0,
            y2: 52.0,
        };
        let out = warp(&img, &Affine::rect_to_grid(&crop, 32, 32), 32, 32, true);
        for (x, y, px) in out.enumerate_pixels() {
            assert_eq!(*px, *img.get_pixel(x + 10, y + 20));
        }
    }

    #[test]
    fn reducing_with_antialias_averages_blocks() {
        // A one-pixel checkerboard reduced 3×: with anti-aliasing every output pixel averages a
        // 3×3 block (4/9 or 5/9 white); plain bilinear lands on single source pixels and keeps
        // pure black and white, the aliasing that makes crops depend on resolution.
        let img = RgbImage::from_fn(60, 60, |x, y| {
            if (x + y) % 2 == 0 {
                Rgb([255; 3])
            } else {
                Rgb([0; 3])
            }
        });
        let whole = Rect {
            x1: 0.0,
            y1: 0.0,
            x2: 60.0,
            y2: 60.0,
        };
        let smooth = warp(&img, &Affine::rect_to_grid(&whole, 20, 20), 20, 20, true);
        for px in smooth.pixels() {
            assert!((i32::from(px[0]) - 128).abs() <= 15, "{px:?}");
        }
        let aliased = warp(&img, &Affine::rect_to_grid(&whole, 20, 20), 20, 20, false);
        assert!(aliased.pixels().all(|px| px[0] == 0 || px[0] == 255));
    }

    #[test]
    fn outside_the_frame_is_black() {
        let img = RgbImage::from_pixel(10, 10, Rgb([200, 100, 50]));
        let crop = Rect {
            x1: -10.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        };
        let out = warp(&img, &Affine::rect_to_grid(&crop, 20, 10), 20, 10, false);
        assert_eq!(*out.get_pixel(2, 5), Rgb([0, 0, 0]));
        assert_eq!(*out.get_pixel(15, 5), Rgb([200, 100, 50]));
    }

    #[test]
    fn planar_orders_and_normalises() {
        let img = RgbImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                Rgb([255, 127, 0])
            } else {
                Rgb([1, 2, 3])
            }
        });
        let rgb = planar(&img, ChannelOrder::Rgb, 127.0, 1.0 / 128.0);
        assert_eq!(
            rgb,
            vec![
                1.0,
                -126.0 / 128.0,
                0.0,
                -125.0 / 128.0,
                -1.0 + 1.0 / 128.0,
                -124.0 / 128.0
            ]
        );
        let bgr = planar(&img, ChannelOrder::Bgr, 0.0, 1.0);
        assert_eq!(bgr, vec![0.0, 3.0, 127.0, 2.0, 255.0, 1.0]);
        assert!((gray(&img, 1.0)[0] - (0.299 * 255.0 + 0.587 * 127.0)).abs() < 1e-3);
    }
}
