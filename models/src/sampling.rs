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

/// [`bilinear_into`] for any map (the face alignment rotates), pixel by pixel; with AVX2,
/// eight pixels at a time ([`bilinear_general_avx2`]).
fn bilinear_general(src: &RgbImage, dst_to_src: &Affine, out: &mut RgbImage) {
    let out_w = out.width() as usize;
    for (j, row) in out.chunks_exact_mut(out_w * 3).enumerate() {
        #[cfg(target_arch = "x86_64")]
        if crate::tile::available() && src.as_raw().len() < i32::MAX as usize {
            // SAFETY: the CPU has AVX2 (checked just above).
            #[allow(unsafe_code)]
            unsafe {
                bilinear_general_avx2(src, dst_to_src, j, row)
            };
            continue;
        }
        for i in 0..out_w {
            general_pixel(src, dst_to_src, i, j, row);
        }
    }
}

/// Output pixel `i` of row `j` of [`bilinear_general`], into `row`.
#[inline(always)]
fn general_pixel(src: &RgbImage, dst_to_src: &Affine, i: usize, j: usize, row: &mut [u8]) {
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let raw = src.as_raw();
    let [[a, b, c], [d, e, f]] = dst_to_src.m;
    let (xc, yc) = (i as f32 + 0.5, j as f32 + 0.5);
    let u = a * xc + b * yc + c;
    let v = d * xc + e * yc + f;
    if !(u >= 0.0 && v >= 0.0 && u <= sw as f32 && v <= sh as f32) {
        return; // outside the frame: stays black
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
    blend(&mut row[i * 3..i * 3 + 3], [&raw[p00..], &raw[p01..], &raw[p10..], &raw[p11..]], fx, fy);
}

/// Row `j` of [`bilinear_general`] eight pixels at a time: the same operations in the same
/// order as [`general_pixel`] (no fused multiply-add), so the same bytes. Each tap is one
/// 32-bit gather of its pixel's three bytes and the next one; a group whose taps include the
/// frame's last pixel (whose fourth byte lies past the end) is done pixel by pixel.
///
/// # Safety
///
/// The CPU must have AVX2, and the frame must be under 2³¹ bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn bilinear_general_avx2(src: &RgbImage, dst_to_src: &Affine, j: usize, row: &mut [u8]) {
    use std::arch::x86_64::{
        __m256, __m256i, _CMP_GE_OQ, _CMP_LE_OQ, _mm256_add_epi32, _mm256_add_ps, _mm256_and_ps, _mm256_and_si256,
        _mm256_cmp_ps, _mm256_cvtepi32_ps, _mm256_cvttps_epi32, _mm256_floor_ps, _mm256_i32gather_epi32, _mm256_max_epi32,
        _mm256_min_epi32, _mm256_movemask_ps, _mm256_mul_ps, _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_set1_ps,
        _mm256_setr_epi32, _mm256_srli_epi32, _mm256_storeu_si256, _mm256_sub_ps,
    };
    const LANES: usize = 8;
    let (sw, sh) = (src.width() as i32, src.height() as i32);
    let raw = src.as_raw();
    let last_safe = raw.len() as i32 - 4;
    let [[a, b, c], [d, e, f]] = dst_to_src.m;
    let yc = j as f32 + 0.5;
    let (byc, eyc) = (_mm256_set1_ps(b * yc), _mm256_set1_ps(e * yc));
    let (va, vc, vd, vf) = (_mm256_set1_ps(a), _mm256_set1_ps(c), _mm256_set1_ps(d), _mm256_set1_ps(f));
    let (zero_f, width, height) = (_mm256_set1_ps(0.0), _mm256_set1_ps(sw as f32), _mm256_set1_ps(sh as f32));
    let (half, one) = (_mm256_set1_ps(0.5), _mm256_set1_ps(1.0));
    let (zero, one_i, three) = (_mm256_set1_epi32(0), _mm256_set1_epi32(1), _mm256_set1_epi32(3));
    let (last_x, last_y, stride) = (_mm256_set1_epi32(sw - 1), _mm256_set1_epi32(sh - 1), _mm256_set1_epi32(sw * 3));
    let byte = _mm256_set1_epi32(0xff);
    let out_w = row.len() / 3;
    let whole = out_w / LANES * LANES;
    for i in (0..whole).step_by(LANES) {
        let n = i as i32;
        let xc = _mm256_add_ps(_mm256_cvtepi32_ps(_mm256_setr_epi32(n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7)), half);
        let u = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(va, xc), byc), vc);
        let v = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(vd, xc), eyc), vf);
        let inside = _mm256_and_ps(
            _mm256_and_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(u, zero_f), _mm256_cmp_ps::<_CMP_GE_OQ>(v, zero_f)),
            _mm256_and_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(u, width), _mm256_cmp_ps::<_CMP_LE_OQ>(v, height)),
        );
        let inside = _mm256_movemask_ps(inside);
        if inside == 0 {
            continue;
        }
        let (x, y) = (_mm256_sub_ps(u, half), _mm256_sub_ps(v, half));
        let (xf, yf) = (_mm256_floor_ps(x), _mm256_floor_ps(y));
        let (fx, fy) = (_mm256_sub_ps(x, xf), _mm256_sub_ps(y, yf));
        // Outside lanes may hold anything (even NaN, which converts to i32::MIN): clamped, their
        // offsets still lie in the frame, and their results are not written.
        let (xi, yi) = (_mm256_cvttps_epi32(xf), _mm256_cvttps_epi32(yf));
        let clamp = |v: __m256i, hi: __m256i| _mm256_min_epi32(_mm256_max_epi32(v, zero), hi);
        let (x0, x1) = (_mm256_mullo_epi32(clamp(xi, last_x), three), _mm256_mullo_epi32(clamp(_mm256_add_epi32(xi, one_i), last_x), three));
        let (y0, y1) = (_mm256_mullo_epi32(clamp(yi, last_y), stride), _mm256_mullo_epi32(clamp(_mm256_add_epi32(yi, one_i), last_y), stride));
        let offsets = [_mm256_add_epi32(y0, x0), _mm256_add_epi32(y0, x1), _mm256_add_epi32(y1, x0), _mm256_add_epi32(y1, x1)];
        let mut lanes = [[0i32; LANES]; 4];
        for (l, o) in lanes.iter_mut().zip(offsets) {
            // SAFETY: `l` holds eight i32, what one 256-bit store writes.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_si256(l.as_mut_ptr().cast(), o)
            };
        }
        if lanes.iter().flatten().any(|&o| o > last_safe) {
            for k in 0..LANES {
                general_pixel(src, dst_to_src, i + k, j, row);
            }
            continue;
        }
        // SAFETY: every offset is at most the frame's length − 4 (checked just above) and at
        // least 0 (clamped): each 32-bit read lies inside the frame.
        #[allow(unsafe_code)]
        let taps = offsets.map(|o| unsafe { _mm256_i32gather_epi32::<1>(raw.as_ptr().cast(), o) });
        let (rest_x, rest_y) = (_mm256_sub_ps(one, fx), _mm256_sub_ps(one, fy));
        let mut values = [[0i32; LANES]; 3];
        for (ch, value) in values.iter_mut().enumerate() {
            let [tl, tr, bl, br] = taps.map(|t| -> __m256 {
                let shifted = match ch {
                    0 => t,
                    1 => _mm256_srli_epi32::<8>(t),
                    _ => _mm256_srli_epi32::<16>(t),
                };
                _mm256_cvtepi32_ps(_mm256_and_si256(shifted, byte))
            });
            let top = _mm256_add_ps(_mm256_mul_ps(tl, rest_x), _mm256_mul_ps(tr, fx));
            let bottom = _mm256_add_ps(_mm256_mul_ps(bl, rest_x), _mm256_mul_ps(br, fx));
            let blended = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(top, rest_y), _mm256_mul_ps(bottom, fy)), half);
            // SAFETY: `value` holds eight i32, what one 256-bit store writes.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_si256(value.as_mut_ptr().cast(), _mm256_cvttps_epi32(blended))
            };
        }
        for k in (0..LANES).filter(|k| inside & (1 << k) != 0) {
            for (ch, value) in values.iter().enumerate() {
                row[(i + k) * 3 + ch] = value[k] as u8;
            }
        }
    }
    for i in whole..out_w {
        general_pixel(src, dst_to_src, i, j, row);
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
///
/// Every output row weighs the same columns, so the taps are worked out once per output byte
/// ([`ByteTaps`]); a row is then one pass over the source rows' bytes, as floats, which AVX2
/// reads eight at a time with gathers ([`lerp_row`]). The detector's 427×240 → 320×240 resize
/// took 11 ns a pixel pixel by pixel; the detect stage went from 5.9 to 4.9 ms.
fn bilinear_axis_aligned(src: &RgbImage, x_map: [f32; 2], y_map: [f32; 2], out: &mut RgbImage) {
    let raw = src.as_raw();
    let stride = src.width() as usize * 3;
    let out_w = out.width() as usize;
    let Some(taps) = ByteTaps::new(&axis_taps(out.width(), x_map, i64::from(src.width()))) else {
        return; // every column outside the frame: all black
    };
    let rows = axis_taps(out.height(), y_map, i64::from(src.height()));
    let mut floats = RowFloats::default();
    for (row, ty) in out.chunks_exact_mut(out_w * 3).zip(rows) {
        let Some(ty) = ty else { continue };
        let row = &mut row[taps.first..][..taps.left.len()];
        let span = |y: usize| &raw[y * stride + taps.span.start..][..taps.span.len()];
        // On a source row (the detector's rows: 240 → 240 after halving), the bottom taps
        // weigh exactly zero and the blend gives `top + ½`: one row's arithmetic suffices.
        let bottom = (ty.frac != 0.0).then_some(ty.hi);
        let (top, bottom) = floats.rows(ty.lo, bottom, span);
        lerp_row(&taps, top, bottom.map(|b| (b, ty.frac)), row);
    }
}

/// The taps of an output row's bytes, for the columns inside the frame (a contiguous run: the
/// map is monotonic). Offsets are relative to `span`, the source bytes that any tap reads.
struct ByteTaps {
    /// The first output byte inside the frame.
    first: usize,
    /// The source row's bytes that the taps read.
    span: std::ops::Range<usize>,
    /// Per output byte, the left and right taps' offsets into `span` (i32: gather indices).
    left: Vec<i32>,
    right: Vec<i32>,
    /// Per output byte, the right tap's weight, and `1 − weight` (the left one's).
    frac: Vec<f32>,
    rest: Vec<f32>,
}

impl ByteTaps {
    fn new(columns: &[Option<AxisTap>]) -> Option<ByteTaps> {
        let first = columns.iter().position(Option::is_some)?;
        let inside: Vec<AxisTap> = columns[first..].iter().map_while(|t| *t).collect();
        let lo = inside.iter().map(|t| t.lo.min(t.hi)).min()? * 3;
        let hi = inside.iter().map(|t| t.lo.max(t.hi)).max()? * 3 + 3;
        let per_byte = |f: &dyn Fn(&AxisTap, usize) -> i32| -> Vec<i32> {
            inside.iter().flat_map(|t| (0..3).map(move |ch| f(t, ch))).collect()
        };
        Some(ByteTaps {
            first: first * 3,
            span: lo..hi,
            left: per_byte(&|t, ch| (t.lo * 3 + ch - lo) as i32),
            right: per_byte(&|t, ch| (t.hi * 3 + ch - lo) as i32),
            frac: inside.iter().flat_map(|t| [t.frac; 3]).collect(),
            rest: inside.iter().flat_map(|t| [1.0 - t.frac; 3]).collect(),
        })
    }
}

/// The last two source rows' spans as floats, so that output rows sharing a source row
/// (enlargements) convert it once.
#[derive(Default)]
struct RowFloats {
    slots: [(Option<usize>, Vec<f32>); 2],
}

impl RowFloats {
    /// The floats of source rows `top` and (when given) `bottom`; `bytes(y)` is row y's span.
    fn rows<'a>(&mut self, top: usize, bottom: Option<usize>, bytes: impl Fn(usize) -> &'a [u8]) -> (&[f32], Option<&[f32]>) {
        for y in std::iter::once(top).chain(bottom) {
            if self.slots.iter().any(|(at, _)| *at == Some(y)) {
                continue;
            }
            // Two slots, at most two rows wanted: one slot holds neither.
            let free = self.slots.iter().position(|(at, _)| at.is_none_or(|a| a != top && Some(a) != bottom)).unwrap_or(0);
            let (at, floats) = &mut self.slots[free];
            floats.clear();
            floats.extend(bytes(y).iter().map(|&b| f32::from(b)));
            *at = Some(y);
        }
        let find = |y: usize| self.slots.iter().find(|(at, _)| *at == Some(y)).map(|(_, f)| f.as_slice());
        (find(top).unwrap_or_default(), bottom.and_then(find))
    }
}

/// One output row's bytes from its source rows: `top` alone (`bottom` `None`: the row lies
/// on a source row), or `top` and `bottom` weighed by `1 − fy` and `fy`.
fn lerp_row(taps: &ByteTaps, top: &[f32], bottom: Option<(&[f32], f32)>, out: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if crate::tile::available() {
        // SAFETY: the CPU has AVX2 (checked just above).
        #[allow(unsafe_code)]
        return unsafe { lerp_row_avx2(taps, top, bottom, out) };
    }
    lerp_bytes(taps, top, bottom, out, 0);
}

/// [`lerp_row`] from output byte `from` on, one byte at a time: the arithmetic of [`blend`].
fn lerp_bytes(taps: &ByteTaps, top: &[f32], bottom: Option<(&[f32], f32)>, out: &mut [u8], from: usize) {
    let each = taps.left.iter().zip(&taps.right).zip(taps.rest.iter().zip(&taps.frac));
    for (o, ((&l, &r), (&rest, &frac))) in out.iter_mut().zip(each).skip(from) {
        let (l, r) = (l as usize, r as usize);
        let t = top[l] * rest + top[r] * frac;
        *o = match bottom {
            None => (t + 0.5) as u8,
            Some((bottom, fy)) => (t * (1.0 - fy) + (bottom[l] * rest + bottom[r] * frac) * fy + 0.5) as u8,
        };
    }
}

/// [`lerp_bytes`] eight bytes at a time: the same multiplications and additions in the same
/// order (no fused multiply-add), so the same bytes; truncation to u8 as `as` does (the values
/// lie in [0.5, 255.5]).
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lerp_row_avx2(taps: &ByteTaps, top: &[f32], bottom: Option<(&[f32], f32)>, out: &mut [u8]) {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_cvttps_epi32, _mm256_i32gather_ps, _mm256_loadu_ps, _mm256_loadu_si256, _mm256_mul_ps,
        _mm256_set1_ps, _mm256_storeu_si256,
    };
    const LANES: usize = 8;
    let n = out.len().min(taps.left.len());
    // Every offset lies in the span ([`ByteTaps::new`] takes the span from the taps), whose
    // floats both rows must hold: then no gather below reads past them.
    let len = taps.span.len();
    assert!(top.len() >= len && bottom.is_none_or(|(b, _)| b.len() >= len));
    let half = _mm256_set1_ps(0.5);
    let whole = n / LANES * LANES;
    let mut words = [0i32; LANES];
    for k in (0..whole).step_by(LANES) {
        // SAFETY: k + 8 ≤ n ≤ every table's length: eight readable lanes each.
        #[allow(unsafe_code)]
        let (l, r, rest, frac) = unsafe {
            (
                _mm256_loadu_si256(taps.left[k..].as_ptr().cast()),
                _mm256_loadu_si256(taps.right[k..].as_ptr().cast()),
                _mm256_loadu_ps(taps.rest[k..].as_ptr()),
                _mm256_loadu_ps(taps.frac[k..].as_ptr()),
            )
        };
        // SAFETY: every index is in 0..len (asserted above), and the rows hold len floats.
        #[allow(unsafe_code)]
        let lerp = |row: &[f32]| -> __m256 {
            let (a, b) = unsafe { (_mm256_i32gather_ps::<4>(row.as_ptr(), l), _mm256_i32gather_ps::<4>(row.as_ptr(), r)) };
            _mm256_add_ps(_mm256_mul_ps(a, rest), _mm256_mul_ps(b, frac))
        };
        let t = lerp(top);
        let v = match bottom {
            None => _mm256_add_ps(t, half),
            Some((bottom, fy)) => {
                let (up, down) = (_mm256_set1_ps(1.0 - fy), _mm256_set1_ps(fy));
                _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(t, up), _mm256_mul_ps(lerp(bottom), down)), half)
            }
        };
        // SAFETY: `words` holds eight i32, what one 256-bit store writes.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_storeu_si256(words.as_mut_ptr().cast(), _mm256_cvttps_epi32(v))
        };
        for (o, w) in out[k..k + LANES].iter_mut().zip(words) {
            *o = w as u8;
        }
    }
    lerp_bytes(taps, top, bottom, out, whole);
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
        let img = noise(103, 67);
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

    /// Pseudo-random bytes (a fixed LCG), so that every rounding case occurs.
    fn noise(w: u32, h: u32) -> RgbImage {
        let mut state = 12345u32;
        RgbImage::from_fn(w, h, |_, _| {
            Rgb([0; 3].map(|_: u8| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            }))
        })
    }

    /// Every pixel of a warp the plain way, one [`general_pixel`] after the other.
    fn warp_pixel_by_pixel(img: &RgbImage, map: &Affine, w: u32, h: u32) -> RgbImage {
        let mut out = RgbImage::new(w, h);
        for (j, row) in out.chunks_exact_mut(w as usize * 3).enumerate() {
            (0..w as usize).for_each(|i| general_pixel(img, map, i, j, row));
        }
        out
    }

    #[test]
    fn crops_and_resizes_sample_exactly_pixel_by_pixel() {
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
        for img in [gradient(97, 61), noise(97, 61)] {
            for (a, c, e, f, w, h) in maps {
                let map = Affine { m: [[a, 0.0, c], [0.0, e, f]] };
                let (mut fast, mut general) = (RgbImage::new(w, h), RgbImage::new(w, h));
                bilinear_axis_aligned(&img, [a, c], [e, f], &mut fast);
                bilinear_general(&img, &map, &mut general);
                let plain = warp_pixel_by_pixel(&img, &map, w, h);
                assert_eq!(fast, plain, "axis-aligned, map {map:?}");
                assert_eq!(general, plain, "general, map {map:?}");
            }
        }
    }

    #[test]
    fn rotations_sample_exactly_pixel_by_pixel() {
        let img = noise(83, 59);
        // Rotations and shears, some reaching past every edge and onto the last pixel.
        for (angle, scale, tx, ty, w, h) in
            [(0.3f32, 1.0f32, 10.0, -5.0, 40, 40), (-0.7, 2.3, 60.0, 30.0, 37, 29), (1.9, 0.6, 70.0, 50.0, 112, 112), (3.0, 1.0, 83.0, 59.0, 50, 50)]
        {
            let (sin, cos) = angle.sin_cos();
            let map = Affine { m: [[cos * scale, -sin * scale, tx], [sin * scale, cos * scale, ty]] };
            let mut fast = RgbImage::new(w, h);
            bilinear_general(&img, &map, &mut fast);
            assert_eq!(fast, warp_pixel_by_pixel(&img, &map, w, h), "map {map:?}");
            assert!(fast.pixels().any(|p| p.0 != [0; 3]), "map {map:?} should sample the frame");
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
