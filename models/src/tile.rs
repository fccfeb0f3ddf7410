//! The register blocks that our convolution operators ([`narrow`](crate::narrow),
//! [`separable`](crate::separable)) sum in: output channels × output columns held in AVX2 or
//! AVX-512 registers over a run of input rows ("taps").
//!
//! A layer hands [`pointwise`] its weights by groups of output channels ([`grouped`]) and a
//! buffer whose row `k` holds tap `k`'s input value under every output column: the 1×1
//! convolutions' 16 to 512 input channels, or the narrow convolutions' 9 to 144 gathered
//! taps. Each tap's columns are loaded once and each weight broadcast once, and the sums stay
//! in registers until the end:
//! - [`wide_block`], 4 channels × 24 columns: 3 loads and 4 broadcasts per 12 vector
//!   multiply-adds;
//! - [`wide_block_512`], the same in 512-bit vectors (4 × 48) where the CPU has AVX-512F: the
//!   detector, embedding and liveness models took 18–26 % less time than with `wide_block`,
//!   and the stems 30–45 % less than in the 8 × 8 AVX2 block they had before.
//!
//! This module owns only that arithmetic; which layer the taps come from, and the shapes, are
//! the operators' business.
//!
//! x86-64 with AVX2 and FMA only ([`available`], checked at run time; AVX-512F in addition for
//! `wide_block_512`, [`available_512`]). Elsewhere, the board's aarch64 included, the
//! operators are not put in a model and tract's own convolutions run.

/// Columns of one 256-bit vector of f32.
pub const LANES: usize = 8;
/// Output columns computed together by [`wide_block`]: three vectors.
pub const WIDE_LANES: usize = 3 * LANES;
/// Output channels computed together by [`wide_block`].
pub const WIDE_GROUP: usize = 4;
/// Columns of one 512-bit vector of f32.
pub const LANES_512: usize = 16;
/// Output columns computed together by [`wide_block_512`]: three 512-bit vectors.
pub const WIDER_LANES: usize = 3 * LANES_512;

/// Whether this CPU runs the blocks: x86-64 with AVX2 and FMA.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The weights (`[out][taps_per_output]`) by groups of `group` output channels, tap-major
/// within a group, zeros for the channels past the last: one group's weights for one tap are
/// `group` adjacent values, what a block broadcasts from. And the bias, zeros past the last
/// channel to a whole group. Done once, when a layer is replaced.
pub fn grouped(weights: &[f32], bias: &[f32], taps_per_output: usize, group: usize) -> (Vec<f32>, Vec<f32>) {
    let cout = bias.len();
    let groups = cout.div_ceil(group);
    let mut grouped = vec![0.0f32; groups * taps_per_output * group];
    for (o, kernel) in weights.chunks_exact(taps_per_output).enumerate() {
        let (g, j) = (o / group, o % group);
        for (k, &weight) in kernel.iter().enumerate() {
            grouped[(g * taps_per_output + k) * group + j] = weight;
        }
    }
    let mut padded = vec![0.0f32; groups * group];
    padded[..cout].copy_from_slice(bias);
    (grouped, padded)
}

/// `V`·LANES output columns (V of 1 to 3, WIDE_LANES at most) of WIDE_GROUP channels into the
/// first columns of `out`: `bias + Σₖ weights[k][j] ·
/// taps[k·stride + column]`, then `max(·, 0)` when `relu`. With V = 3, twelve accumulators,
/// three tap vectors and a broadcast fill the sixteen registers; a layer's last columns take
/// the smallest V that covers them (a 7 × 7 plane is 49 columns: 72 computed instead of 96).
///
/// # Safety
///
/// The CPU must have AVX2 and FMA ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub fn wide_block<const V: usize>(
    weights: &[f32],
    taps: &[f32],
    stride: usize,
    bias: &[f32; WIDE_GROUP],
    relu: bool,
    out: &mut [[f32; WIDE_LANES]; WIDE_GROUP],
) {
    use std::arch::x86_64::{
        __m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_max_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    };
    const { assert!(V >= 1 && V * LANES <= WIDE_LANES) };
    let mut acc: [[__m256; V]; WIDE_GROUP] = [[_mm256_setzero_ps(); V]; WIDE_GROUP];
    for (a, &b) in acc.iter_mut().zip(bias) {
        *a = [_mm256_set1_ps(b); V];
    }
    for (k, weight) in weights.chunks_exact(WIDE_GROUP).enumerate() {
        let tap = &taps[k * stride..][..V * LANES];
        // SAFETY: `tap` is V × 8 readable f32, what V unaligned 256-bit loads read.
        #[allow(unsafe_code)]
        let t: [__m256; V] = std::array::from_fn(|v| unsafe { _mm256_loadu_ps(tap[v * LANES..][..LANES].as_ptr()) });
        for (a, &wt) in acc.iter_mut().zip(weight) {
            let wt = _mm256_set1_ps(wt);
            for (a, t) in a.iter_mut().zip(t) {
                *a = _mm256_fmadd_ps(wt, t, *a);
            }
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        for (v, a) in a.into_iter().enumerate() {
            let a = if relu { _mm256_max_ps(a, _mm256_setzero_ps()) } else { a };
            // SAFETY: `o[v·8..]` holds 8 writable f32 (v < V ≤ 3), what one 256-bit store writes.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_ps(o[v * LANES..][..LANES].as_mut_ptr(), a)
            };
        }
    }
}

/// Whether this CPU also has AVX-512F, for [`wide_block_512`].
pub fn available_512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`wide_block`] in 512-bit vectors: `V`·16 output columns (V of 1 to 3) of WIDE_GROUP
/// channels into the first columns of `out`. Twelve accumulators of sixteen lanes: twice the
/// columns per loaded weight.
///
/// # Safety
///
/// The CPU must have AVX-512F ([`available_512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub fn wide_block_512<const V: usize>(
    weights: &[f32],
    taps: &[f32],
    stride: usize,
    bias: &[f32; WIDE_GROUP],
    relu: bool,
    out: &mut [[f32; WIDER_LANES]; WIDE_GROUP],
) {
    use std::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_max_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps};
    const WIDTH: usize = LANES_512;
    const { assert!(V >= 1 && V * WIDTH <= WIDER_LANES) };
    let mut acc: [[__m512; V]; WIDE_GROUP] = [[_mm512_setzero_ps(); V]; WIDE_GROUP];
    for (a, &b) in acc.iter_mut().zip(bias) {
        *a = [_mm512_set1_ps(b); V];
    }
    for (k, weight) in weights.chunks_exact(WIDE_GROUP).enumerate() {
        let tap = &taps[k * stride..][..V * WIDTH];
        // SAFETY: `tap` is V × 16 readable f32, what V unaligned 512-bit loads read.
        #[allow(unsafe_code)]
        let t: [__m512; V] = std::array::from_fn(|v| unsafe { _mm512_loadu_ps(tap[v * WIDTH..][..WIDTH].as_ptr()) });
        for (a, &wt) in acc.iter_mut().zip(weight) {
            let wt = _mm512_set1_ps(wt);
            for (a, t) in a.iter_mut().zip(t) {
                *a = _mm512_fmadd_ps(wt, t, *a);
            }
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        for (v, a) in a.into_iter().enumerate() {
            let a = if relu { _mm512_max_ps(a, _mm512_setzero_ps()) } else { a };
            // SAFETY: `o[v·16..]` holds 16 writable f32 (v < V ≤ 3), what one 512-bit store writes.
            #[allow(unsafe_code)]
            unsafe {
                _mm512_storeu_ps(o[v * WIDTH..][..WIDTH].as_mut_ptr(), a)
            };
        }
    }
}

/// Where [`pointwise`] puts output channel `j`'s value at column `x`.
#[derive(Debug, Clone, Copy)]
pub enum Placement {
    /// `out[first + j·plane + x]`: one plane per channel (NCHW).
    Planes {
        /// Where channel 0's first column goes.
        first: usize,
        /// Values per plane.
        plane: usize,
    },
    /// `out[first + x·channels + j]`: a pixel's channels together (NHWC, the detector's heads).
    Pixels {
        /// Where the first column's channel 0 goes.
        first: usize,
        /// Channels per pixel.
        channels: usize,
    },
}

/// A 1×1 sum over a buffer of taps: for every output channel `j` and each of the first
/// `columns` columns, `bias[j] + Σₖ weights[j][k] · taps[k·span + column]`, then `max(·, 0)`
/// when `relu`, into `out` as `placement` says. `weights` and `bias` are [`grouped`] by
/// WIDE_GROUP channels; [`wide_block_512`] sums WIDER_LANES columns at a time when `wider`
/// and the CPU has AVX-512F, [`wide_block`] WIDE_LANES otherwise (the tests choose). Each row
/// of `taps` must be readable to `columns` rounded up to a whole LANES_512.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub fn pointwise(
    weights: &[f32],
    bias: &[f32],
    output_channels: usize,
    taps: &[f32],
    span: usize,
    columns: usize,
    relu: bool,
    wider: bool,
    out: &mut [f32],
    placement: Placement,
) {
    let sums = Sums { weights, bias, output_channels, taps, columns, out, placement };
    if wider && available_512() {
        // SAFETY: the CPU has AVX-512F, checked just above.
        #[allow(unsafe_code)]
        unsafe {
            sums.run::<WIDER_LANES>(|weights, taps, bias, n, acc| match n.div_ceil(LANES_512) {
                3 => wide_block_512::<3>(weights, taps, span, bias, relu, acc),
                2 => wide_block_512::<2>(weights, taps, span, bias, relu, acc),
                _ => wide_block_512::<1>(weights, taps, span, bias, relu, acc),
            })
        }
    } else {
        sums.run::<WIDE_LANES>(|weights, taps, bias, n, acc| match n.div_ceil(LANES) {
            3 => wide_block::<3>(weights, taps, span, bias, relu, acc),
            2 => wide_block::<2>(weights, taps, span, bias, relu, acc),
            _ => wide_block::<1>(weights, taps, span, bias, relu, acc),
        });
    }
}

/// [`pointwise`]'s operands, so that its two widths share the loop over groups and columns.
#[cfg(target_arch = "x86_64")]
struct Sums<'a> {
    weights: &'a [f32],
    bias: &'a [f32],
    output_channels: usize,
    taps: &'a [f32],
    columns: usize,
    out: &'a mut [f32],
    placement: Placement,
}

#[cfg(target_arch = "x86_64")]
impl Sums<'_> {
    /// Every group of WIDE_GROUP channels × N columns by `block`, then stored.
    #[inline(always)]
    fn run<const N: usize>(self, block: impl Fn(&[f32], &[f32], &[f32; WIDE_GROUP], usize, &mut [[f32; N]; WIDE_GROUP])) {
        let taps_per_output = self.weights.len() / self.output_channels.div_ceil(WIDE_GROUP).max(1) / WIDE_GROUP;
        for (g, weights) in self.weights.chunks_exact(taps_per_output * WIDE_GROUP).enumerate() {
            let bias: [f32; WIDE_GROUP] = self.bias[g * WIDE_GROUP..][..WIDE_GROUP].try_into().unwrap_or([0.0; WIDE_GROUP]);
            let channels = (self.output_channels - g * WIDE_GROUP).min(WIDE_GROUP);
            let mut acc = [[0.0f32; N]; WIDE_GROUP];
            for x0 in (0..self.columns).step_by(N) {
                let n = N.min(self.columns - x0);
                block(weights, &self.taps[x0..], &bias, n, &mut acc);
                match self.placement {
                    Placement::Planes { first, plane } => store(&acc, channels, n, self.out, first + g * WIDE_GROUP * plane + x0, plane),
                    Placement::Pixels { first, channels: stride } => {
                        // Few channels (the heads give 4 to 12 per pixel): value by value.
                        let first = first + x0 * stride + g * WIDE_GROUP;
                        for (j, lanes) in acc.iter().enumerate().take(channels) {
                            for (x, &v) in lanes[..n].iter().enumerate() {
                                self.out[first + x * stride + j] = v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Stores the first `n` columns of a block's rows, of which `channels` are real, into `out`,
/// where channel `j`'s row starts at `first + j·plane`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn store<const N: usize>(block: &[[f32; N]], channels: usize, n: usize, out: &mut [f32], first: usize, plane: usize) {
    for (j, lanes) in block.iter().enumerate().take(channels) {
        let at = first + j * plane;
        // A whole block is one fixed-size copy (vector stores, not a call).
        match out.get_mut(at..at + N) {
            Some(whole) if n == N => whole.copy_from_slice(lanes),
            _ => out[at..at + n].copy_from_slice(&lanes[..n]),
        }
    }
}

/// What the tests of our operators share: deterministic inputs and a run of a small model.
#[cfg(all(test, target_arch = "x86_64"))]
pub(crate) mod testing {
    use tract_onnx::prelude::*;

    /// `n` values in [−1, 1) from a linear congruential sequence.
    pub fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                f32::from((state >> 16) as u16) / 32768.0 - 1.0
            })
            .collect()
    }

    /// The first output of `model` on `input`.
    pub fn run(model: TypedModel, input: &Tensor) -> Vec<f32> {
        let out = model.into_runnable().unwrap().run(tvec!(input.clone().into_tvalue())).unwrap();
        out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec()
    }
}
