//! Depthwise-separable blocks for tract: a 3×3 depthwise convolution and its ReLU or PReLU (or
//! none), then a 1×1 convolution (and its ReLU), computed band of rows by band of rows in one
//! operator.
//!
//! The detector is a chain of such blocks (MobileNet's, stride 1 or 2: eighteen, of which six
//! end in its heads); the embedding and liveness models have one in each of their inverted
//! residual blocks (sixteen and fifteen), with a PReLU after the depthwise convolution and no
//! activation after the 1×1 one; the head-pose model (ShuffleNet's) has nineteen, with no
//! activation after the depthwise convolution. tract runs each as up to four passes over whole
//! tensors: the depthwise convolution, its activation, a packing of that result for the matrix
//! product, then the product with its bias. At the detector's first resolution (160×120) the tensors
//! between the passes are 1.2 and 2.4 MB, more than a core's L2 cache, so every pass reads its
//! input back from further away: the stride-2 depthwise convolution there profiled at 1.6 ms
//! for 1.4 M multiply-adds.
//!
//! [`SeparableOp`] takes, for a band of output rows (about 256 pixels), the depthwise rows of
//! every channel into a buffer of kilobytes, then the 1×1 convolution of that buffer with
//! `tile::wide_block`, or `tile::wide_block_512` where the CPU has AVX-512: the tensor between
//! the two convolutions never exists. The same sums in another order: outputs agree with
//! tract's to float rounding. (The depthwise rows in 512-bit vectors were measured too: the
//! detector gained 0.3 of 5.3 ms, the embedding nothing, its rows of 7 and 14 pixels filling
//! a vector of 16 badly; not kept.)
//!
//! It is used on x86-64 CPUs with AVX2 and FMA (checked at run time), as [`narrow`](crate::narrow)
//! is; elsewhere tract's operators stay. It must take only this chain, each link the only
//! consumer of the one before: a `Conv` of `C` groups (3×3, stride 1 or 2, padding 1, constant
//! weights and bias) → `max(·, 0)`, a [`PreluOp`] with constant slopes, or nothing → the
//! `EinSum` of a 1×1 convolution with constant weights `[O, C]`, output `[O, H, W]` or
//! `[1, O, H, W]` (the backbones) or `[1, H, W, O]` (the detector's heads) → `+` a constant
//! bias of that rank → optionally `max(·, 0)`. What follows (a residual sum, a PReLU) stays tract's or ours.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, PaddingSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::DataFormat;
use tract_onnx::tract_hir::internal::*;

use crate::pattern::{constant, is_relu, only_successor, replace_chain};
use crate::prelu::PreluOp;
use crate::tile::{available, grouped, WIDE_GROUP};
#[cfg(target_arch = "x86_64")]
use crate::tile::{self, Placement, LANES, WIDER_LANES};

/// Replaces every depthwise-separable block of a decluttered model; returns how many.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    if !available() {
        return Ok(0);
    }
    let mut replaced = 0;
    for id in model.eval_order()? {
        let Some((op, last)) = block_of(model, id)? else { continue };
        replace_chain(model, id, last, op, "separable")?;
        replaced += 1;
    }
    Ok(replaced)
}

/// The operator for the block that starts with the depthwise convolution `id`, and the last
/// node it replaces; `None` when `id` does not start the chain of the module docs.
fn block_of(model: &TypedModel, id: usize) -> TractResult<Option<(SeparableOp, usize)>> {
    let node = model.node(id);
    let Some(conv) = node.op_as::<Conv>() else { return Ok(None) };
    let spec = &conv.pool_spec;
    let one_each = |v: &[usize], n: usize| v.len() == 2 && v.iter().all(|&x| x == n);
    let padded_by_one = match &spec.padding {
        PaddingSpec::Explicit(before, after) => one_each(before, 1) && one_each(after, 1),
        _ => false,
    };
    let stride = spec.strides()[0];
    let channels = spec.input_channels;
    let x = model.outlet_fact(node.inputs[0])?;
    let shape = x.shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
    let (layout, input_axes) = match (spec.data_format, shape.as_slice()) {
        (DataFormat::NCHW, [1, c, h, w]) if *c == channels && *h >= 2 && *w >= 2 => ("NCHW", "NIHW"),
        (DataFormat::CHW, [c, h, w]) if *c == channels && *h >= 2 && *w >= 2 => ("CHW", "IHW"),
        _ => return Ok(None),
    };
    let depthwise = conv.q_params.is_none()
        && conv.group == channels
        && spec.output_channels == channels
        && conv.kernel_fmt == KernelFormat::OIHW
        && one_each(&spec.kernel_shape, 3)
        && (one_each(&spec.strides(), 1) || one_each(&spec.strides(), 2))
        && one_each(&spec.dilations(), 1)
        && padded_by_one
        && x.datum_type == f32::datum_type()
        && node.inputs.len() == 3;
    if !depthwise {
        return Ok(None);
    }
    let (Some(dw_weights), Some(dw_bias)) = (constant(model, node.inputs[1])?, constant(model, node.inputs[2])?) else {
        return Ok(None);
    };
    // The chain: ReLU, PReLU or nothing, the 1×1 product, its bias, maybe a ReLU.
    let Some(next) = only_successor(model, id)? else { return Ok(None) };
    let (slopes, einsum) = if next.op_is::<EinSum>() {
        // No activation: slopes of 1 make `max(v, 0) + min(v, 0)`, exactly v.
        (Arc::new(tract_ndarray::Array1::from_elem(channels, 1.0f32).into_tensor()), next)
    } else {
        let Some(slopes) = slopes_of(model, next, channels)? else { return Ok(None) };
        let Some(einsum) = only_successor(model, next.id)? else { return Ok(None) };
        (slopes, einsum)
    };
    let Some(einsum_op) = einsum.op_as::<EinSum>().filter(|e| e.q_params.is_none() && e.operating_dt == f32::datum_type()) else {
        return Ok(None);
    };
    let axes = einsum_op.axes.to_string();
    let Some(output) = [Output::Planes, Output::BatchPlanes, Output::Pixels].into_iter().find(|o| axes == format!("{input_axes},OI->{}", o.axes())) else {
        return Ok(None);
    };
    if einsum.inputs.len() != 2 {
        return Ok(None);
    }
    let Some(pw_weights) = constant(model, einsum.inputs[1])? else { return Ok(None) };
    let Some(add) = only_successor(model, einsum.id)? else { return Ok(None) };
    let adds = add.op_as::<TypedBinOp>().is_some_and(|op| op.0.name() == "Add") && add.inputs.len() == 2;
    let Some(pw_bias) = constant(model, add.inputs[1])?.filter(|_| adds) else { return Ok(None) };
    let output_channels = pw_bias.len();
    let f32s = [&dw_weights, &dw_bias, &pw_weights, &pw_bias].iter().all(|t| t.datum_type() == f32::datum_type());
    if !f32s
        || dw_weights.len() != channels * 9
        || dw_bias.len() != channels
        || pw_weights.shape() != [output_channels, channels]
        || pw_bias.shape() != output.bias_shape(output_channels)
    {
        return Ok(None);
    }
    let closing = only_successor(model, add.id)?.filter(|n| is_relu(model, n).unwrap_or(false));
    let last = closing.map_or(add.id, |n| n.id);
    let slice = |t: &Arc<Tensor>| -> TractResult<Vec<f32>> { Ok(t.try_as_plain_ram()?.as_slice::<f32>()?.to_vec()) };
    let (pointwise, pointwise_bias) = grouped(&slice(&pw_weights)?, &slice(&pw_bias)?, channels, WIDE_GROUP);
    let tensor = |v: Vec<f32>| Arc::new(tract_ndarray::Array1::from_vec(v).into_tensor());
    let op = SeparableOp {
        layout,
        output,
        channels,
        output_channels,
        stride,
        depthwise: dw_weights,
        depthwise_bias: dw_bias,
        slopes,
        pointwise: tensor(pointwise),
        pointwise_bias: tensor(pointwise_bias),
        relu: closing.is_some(),
    };
    Ok(Some((op, last)))
}

/// The slopes of the activation `node` after the depthwise convolution, one per channel:
/// zeros for `max(·, 0)`, the constant slopes of a [`PreluOp`] (one, or one per channel).
/// `None` when `node` is neither.
fn slopes_of(model: &TypedModel, node: &TypedNode, channels: usize) -> TractResult<Option<Arc<Tensor>>> {
    if is_relu(model, node)? {
        return Ok(Some(Arc::new(Tensor::zero::<f32>(&[channels])?)));
    }
    if !node.op_is::<PreluOp>() || node.inputs.len() != 2 {
        return Ok(None);
    }
    let Some(slopes) = constant(model, node.inputs[1])?.filter(|t| t.datum_type() == f32::datum_type()) else { return Ok(None) };
    Ok(match slopes.len() {
        n if n == channels => Some(slopes),
        1 => Some(Arc::new(tract_ndarray::Array1::from_elem(channels, slopes.try_as_plain_ram()?.as_slice::<f32>()?[0]).into_tensor())),
        _ => None,
    })
}

/// How the 1×1 convolution lays out its output.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
enum Output {
    /// `[O, H, W]`: channel planes, as the backbone's next layer reads them.
    Planes,
    /// `[1, O, H, W]`: the same planes with a batch axis (the first block of the embedding
    /// and liveness models).
    BatchPlanes,
    /// `[1, H, W, O]`: the channels of each pixel together, as the detector's heads give
    /// their scores and boxes.
    Pixels,
}

impl Output {
    /// The output's axes in the `EinSum` of the 1×1 convolution.
    fn axes(self) -> &'static str {
        match self {
            Output::Planes => "OHW",
            Output::BatchPlanes => "NOHW",
            Output::Pixels => "NHWO",
        }
    }

    /// The shape of the bias added to that output.
    fn bias_shape(self, channels: usize) -> Vec<usize> {
        match self {
            Output::Planes => vec![channels, 1, 1],
            Output::BatchPlanes => vec![1, channels, 1, 1],
            Output::Pixels => vec![1, 1, 1, channels],
        }
    }
}

/// A depthwise 3×3 convolution (padding 1), ReLU, then a 1×1 convolution, of a `[1, C, H, W]`
/// or `[C, H, W]` f32 input into `[O, H', W']` or `[1, H', W', O]`.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct SeparableOp {
    /// The input's layout, "NCHW" (batch 1) or "CHW".
    layout: &'static str,
    output: Output,
    channels: usize,
    output_channels: usize,
    /// 1 or 2, both axes.
    stride: usize,
    /// `[C, 1, 3, 3]`, the model's constant as it is.
    depthwise: Arc<Tensor>,
    depthwise_bias: Arc<Tensor>,
    /// `[C]`-many slopes of the activation after the depthwise convolution: zeros for a ReLU,
    /// ones for none.
    slopes: Arc<Tensor>,
    /// The 1×1 weights by groups of WIDE_GROUP output channels ([`grouped`]).
    pointwise: Arc<Tensor>,
    /// The 1×1 bias, zeros past the last channel to a whole group.
    pointwise_bias: Arc<Tensor>,
    /// Whether a ReLU closes the block.
    relu: bool,
}

/// Output size along an axis of `n` pixels (kernel 3, padding 1).
fn out_len(n: usize, stride: usize) -> usize {
    (n - 1) / stride + 1
}

impl SeparableOp {
    /// The input's `(h, w)`, when `shape` is this operator's input.
    fn input_size(&self, shape: &[usize]) -> Option<(usize, usize)> {
        let planes = match (self.layout, shape) {
            ("NCHW", [1, rest @ ..]) | ("CHW", rest) => rest,
            _ => return None,
        };
        match planes {
            [c, h, w] if *c == self.channels && *h >= 2 && *w >= 2 => Some((*h, *w)),
            _ => None,
        }
    }

    fn output_shape(&self, h: usize, w: usize) -> Vec<usize> {
        let (ho, wo) = (out_len(h, self.stride), out_len(w, self.stride));
        match self.output {
            Output::Planes => vec![self.output_channels, ho, wo],
            Output::BatchPlanes => vec![1, self.output_channels, ho, wo],
            Output::Pixels => vec![1, ho, wo, self.output_channels],
        }
    }
}

impl Op for SeparableOp {
    fn name(&self) -> StaticName {
        "Separable".into()
    }

    op_as_typed_op!();
}

impl EvalOp for SeparableOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let Some((h, w)) = self.input_size(x.shape()) else { bail!("Separable input of shape {:?}", x.shape()) };
        let input = x.try_as_plain_ram()?;
        let mut tensor = Tensor::zero::<f32>(&self.output_shape(h, w))?;
        self.compute(input.as_slice::<f32>()?, h, w, tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?)?;
        Ok(tvec!(tensor.into_tvalue()))
    }
}

impl SeparableOp {
    /// Writes into `out` the output of an input of `h × w` planes, in the operator's layout.
    #[cfg(target_arch = "x86_64")]
    fn compute(&self, input: &[f32], h: usize, w: usize, out: &mut [f32]) -> TractResult<()> {
        ensure!(available(), "Separable needs an x86-64 CPU with AVX2 and FMA");
        let (dw, dw_bias) = (self.depthwise.try_as_plain_ram()?, self.depthwise_bias.try_as_plain_ram()?);
        let slopes = self.slopes.try_as_plain_ram()?;
        let (pw, pw_bias) = (self.pointwise.try_as_plain_ram()?, self.pointwise_bias.try_as_plain_ram()?);
        let layer = Layer {
            input,
            channels: self.channels,
            h,
            w,
            stride: self.stride,
            depthwise: dw.as_slice::<f32>()?,
            depthwise_bias: dw_bias.as_slice::<f32>()?,
            slopes: slopes.as_slice::<f32>()?,
            output_channels: self.output_channels,
            pointwise: pw.as_slice::<f32>()?,
            pointwise_bias: pw_bias.as_slice::<f32>()?,
            relu: self.relu,
            pixel_major: self.output == Output::Pixels,
            wider: tile::available_512(),
        };
        layer.run(out);
        Ok(())
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn compute(&self, _input: &[f32], _h: usize, _w: usize, _out: &mut [f32]) -> TractResult<()> {
        bail!("Separable runs on x86-64 only; `substitute` never puts it in a model elsewhere")
    }
}

impl TypedOp for SeparableOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        let Some((h, w)) = self.input_size(&shape) else { bail!("Separable needs a concrete input, got {:?}", inputs[0].shape) };
        Ok(tvec!(f32::fact(self.output_shape(h, w))))
    }

    /// The two convolutions' multiply-adds, as tract counts them for its own: the stage counts
    /// that `hadir-face bench` and the board estimate use stay the models' arithmetic.
    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        let Some((h, w)) = self.input_size(&shape) else { bail!("Separable needs a concrete input, got {:?}", inputs[0].shape) };
        let pixels = out_len(h, self.stride) * out_len(w, self.stride);
        let products = pixels * self.channels * (9 + self.output_channels);
        Ok(tvec!((Cost::FMA(f32::datum_type()), products.to_dim())))
    }

    as_op!();
}

/// One evaluation's data.
#[cfg(target_arch = "x86_64")]
struct Layer<'a> {
    input: &'a [f32],
    channels: usize,
    h: usize,
    w: usize,
    stride: usize,
    depthwise: &'a [f32],
    depthwise_bias: &'a [f32],
    /// The activation's slope per channel, 0 for a ReLU.
    slopes: &'a [f32],
    output_channels: usize,
    pointwise: &'a [f32],
    pointwise_bias: &'a [f32],
    relu: bool,
    /// Whether the output is `[pixel][channel]` rather than `[channel][pixel]`.
    pixel_major: bool,
    /// Whether the 1×1 convolution may run in 512-bit vectors (where the CPU has AVX-512F).
    wider: bool,
}

#[cfg(target_arch = "x86_64")]
impl Layer<'_> {
    /// Writes the output, `[out][h'][w']` or `[h'][w'][out]` (`pixel_major`), into `out`. The
    /// caller checked [`available`].
    fn run(&self, out: &mut [f32]) {
        // SAFETY: the CPU has AVX2 and FMA (`available`, checked by the caller).
        #[allow(unsafe_code)]
        unsafe {
            self.rows(out)
        }
    }

    /// Every band of output rows: the depthwise rows of each channel into `middle`, then
    /// [`tile::wide_block`] (or [`tile::wide_block_512`]) over the band's pixels, WIDE_LANES
    /// (WIDER_LANES) of them × WIDE_GROUP output channels at a time.
    #[target_feature(enable = "avx2,fma")]
    fn rows(&self, out: &mut [f32]) {
        use std::arch::x86_64::{__m256, _mm256_set1_ps, _mm256_setzero_ps};
        let (c, s) = (self.channels, self.stride);
        let (ho, wo) = (out_len(self.h, s), out_len(self.w, s));
        // A band's pixels are contiguous in every output plane, so the 1×1 convolution runs
        // over the band as over one long row: enough pixels that the weights, read once per
        // band, are not most of the traffic (the deep layers are 8 × 10 pixels of 256 channels).
        let band = BAND_PIXELS.div_ceil(wo).clamp(1, ho);
        // A channel's row in `middle`: the band's pixels, plus room for the last depthwise
        // row's whole blocks and the last wide block. Columns past a row's end hold values
        // that the next row overwrites or that reach only output pixels that are never stored.
        let row_len = wo.div_ceil(LANES) * LANES;
        let span = ((band - 1) * wo + row_len).next_multiple_of(WIDER_LANES);
        let mut middle = vec![0.0f32; c * span];
        // One channel's input rows for a band, padded: a zero column left of each, zeros
        // right of it to what the last block of LANES outputs reads, zero rows above and below
        // the image. Row r is input row y0·s − 1 + r.
        let width = (row_len * s + 2).max(self.w + 2);
        let mut padded = vec![0.0f32; ((band - 1) * s + 3) * width];
        for y0 in (0..ho).step_by(band) {
            let rows_here = band.min(ho - y0);
            let rows_in = (rows_here - 1) * s + 3;
            for (ch, kernel) in self.depthwise.chunks_exact(9).enumerate() {
                for (r, line) in padded.chunks_exact_mut(width).take(rows_in).enumerate() {
                    match (y0 * s + r).checked_sub(1).filter(|&y| y < self.h) {
                        Some(y) => line[1..=self.w].copy_from_slice(&self.input[(ch * self.h + y) * self.w..][..self.w]),
                        None => line.fill(0.0),
                    }
                }
                // Plain loops, not `array::from_fn` or `map`: a closure passed to them is not
                // inlined into this AVX2 function, and the call cost a tenth of small models.
                let mut weights: [__m256; 9] = [_mm256_setzero_ps(); 9];
                for (w, &k) in weights.iter_mut().zip(kernel) {
                    *w = _mm256_set1_ps(k);
                }
                for oy in 0..rows_here {
                    let top = oy * s * width;
                    let rows: [&[f32]; 3] = [&padded[top..][..width], &padded[top + width..][..width], &padded[top + 2 * width..][..width]];
                    let row = &mut middle[ch * span + oy * wo..][..row_len];
                    let (bias, slope) = (self.depthwise_bias[ch], self.slopes[ch]);
                    if s == 1 {
                        depthwise_row::<1>(&rows, &weights, bias, slope, row);
                    } else {
                        depthwise_row::<2>(&rows, &weights, bias, slope, row);
                    }
                }
            }
            let pixels = rows_here * wo;
            let placement = if self.pixel_major {
                Placement::Pixels { first: y0 * wo * self.output_channels, channels: self.output_channels }
            } else {
                Placement::Planes { first: y0 * wo, plane: ho * wo }
            };
            tile::pointwise(self.pointwise, self.pointwise_bias, self.output_channels, &middle, span, pixels, self.relu, self.wider, out, placement);
        }
    }
}

/// The pixels of a band of output rows (see [`Layer::rows`]).
#[cfg(target_arch = "x86_64")]
const BAND_PIXELS: usize = 256;

/// One channel's depthwise output row with its activation: `v = bias + Σ weight · tap`, then
/// `max(v, 0) + slope · min(v, 0)` (PReLU's branch-free form, as [`PreluOp`] computes it;
/// exactly `max(v, 0)` when `slope` is 0), LANES columns at a time, at stride `S` (1 or 2).
/// `rows` are the three input rows, padded as [`Layer::rows`] pads them: output column `ox`
/// reads their columns `ox·S … ox·S + 2`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn depthwise_row<const S: usize>(rows: &[&[f32]; 3], weights: &[std::arch::x86_64::__m256; 9], bias: f32, slope: f32, out: &mut [f32]) {
    use std::arch::x86_64::{__m256, _mm256_castpd_ps, _mm256_castps_pd, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_max_ps, _mm256_min_ps};
    use std::arch::x86_64::{_mm256_permute4x64_pd, _mm256_set1_ps, _mm256_setzero_ps, _mm256_shuffle_ps, _mm256_storeu_ps};
    let load = |values: &[f32], at: usize| -> __m256 {
        let lanes: &[f32; LANES] = values[at..][..LANES].try_into().unwrap_or(&[0.0; LANES]);
        // SAFETY: `lanes` is LANES = 8 readable f32, what one unaligned 256-bit load reads.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_loadu_ps(lanes.as_ptr())
        }
    };
    // The values at the even and at the odd places of a, b (16 values): 0x88 and 0xdd pick
    // places 0, 2 and 1, 3 of each 128-bit half, and the permutation puts the halves in order.
    let even = |a: __m256, b: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd::<0xd8>(_mm256_castps_pd(_mm256_shuffle_ps::<0x88>(a, b))));
    let odd = |a: __m256, b: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd::<0xd8>(_mm256_castps_pd(_mm256_shuffle_ps::<0xdd>(a, b))));
    let (slope, zero) = (_mm256_set1_ps(slope), _mm256_setzero_ps());
    for (x0, lanes) in (0..out.len()).step_by(LANES).zip(out.chunks_exact_mut(LANES)) {
        let mut acc = _mm256_set1_ps(bias);
        for (ky, row) in rows.iter().enumerate() {
            let at = x0 * S;
            // Tap kx of lane l is row[at + l·S + kx].
            let taps: [__m256; 3] = if S == 1 {
                [load(row, at), load(row, at + 1), load(row, at + 2)]
            } else {
                let (a, b) = (load(row, at), load(row, at + LANES));
                let (c, d) = (load(row, at + 2), load(row, at + LANES + 2));
                [even(a, b), odd(a, b), even(c, d)]
            };
            for (kx, tap) in taps.into_iter().enumerate() {
                acc = _mm256_fmadd_ps(weights[ky * 3 + kx], tap, acc);
            }
        }
        let acc = _mm256_fmadd_ps(slope, _mm256_min_ps(acc, zero), _mm256_max_ps(acc, zero));
        // SAFETY: `lanes` is LANES = 8 writable f32, what one unaligned 256-bit store writes.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_storeu_ps(lanes.as_mut_ptr(), acc)
        };
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::network::multiply_adds;
    use crate::tile::testing::{pseudo_random, run};
    use tract_onnx::tract_core::ops::cnn::PoolSpec;
    use tract_onnx::tract_core::ops::math;

    /// The block by its definition, one output value at a time, in f64: the depthwise
    /// convolution with its PReLU of `slopes` (a ReLU where they are 0, nothing where 1), then
    /// the 1×1 convolution, then its ReLU when `relu`.
    #[allow(clippy::too_many_arguments)]
    fn reference(x: &[f32], c: usize, h: usize, w: usize, s: usize, dw: &[f32], dwb: &[f32], slopes: &[f32], pw: &[f32], pwb: &[f32], relu: bool) -> Vec<f32> {
        let (ho, wo) = (out_len(h, s), out_len(w, s));
        let mut middle = vec![0.0f64; c * ho * wo];
        for ch in 0..c {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut sum = f64::from(dwb[ch]);
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let (y, xx) = ((oy * s + ky) as i64 - 1, (ox * s + kx) as i64 - 1);
                            if y < 0 || xx < 0 || y >= h as i64 || xx >= w as i64 {
                                continue;
                            }
                            let v = x[(ch * h + y as usize) * w + xx as usize];
                            sum += f64::from(dw[ch * 9 + ky * 3 + kx]) * f64::from(v);
                        }
                    }
                    middle[(ch * ho + oy) * wo + ox] = if sum > 0.0 { sum } else { f64::from(slopes[ch]) * sum };
                }
            }
        }
        let mut out = Vec::new();
        for (o, &b) in pwb.iter().enumerate() {
            for p in 0..ho * wo {
                let sum = (0..c).map(|ch| f64::from(pw[o * c + ch]) * middle[ch * ho * wo + p]).sum::<f64>() + f64::from(b);
                out.push(if relu { sum.max(0.0) } else { sum } as f32);
            }
        }
        out
    }

    #[test]
    fn equals_the_definition_at_both_strides_and_odd_sizes() {
        assert!(available(), "this CPU has no AVX2 and FMA: Separable cannot run here");
        use Activation::{Nothing, Prelu, Relu};
        // (channels, output channels, h, w, stride, closing relu, activation): the detector's
        // shapes in small, sides that are not whole blocks, one band and several, groups not
        // filled; PReLUs (the embedding's and liveness's blocks) and no activation (the pose
        // model's), planes of 49, 40 and 30 pixels whose last columns take one, two or three
        // vectors of either width.
        for (c, o, h, w, s, relu, activation) in [
            (16, 32, 12, 20, 1, true, Relu),
            (8, 6, 9, 7, 2, true, Relu),
            (3, 5, 2, 2, 1, false, Relu),
            (5, 9, 31, 3, 2, false, Relu),
            (4, 4, 40, 33, 1, true, Relu),
            (6, 12, 17, 50, 2, true, Relu),
            (13, 10, 7, 7, 1, false, Prelu),
            (9, 5, 10, 16, 2, false, Prelu),
            (7, 3, 5, 8, 1, true, Prelu),
            (11, 6, 5, 6, 1, false, Prelu),
            (12, 7, 9, 11, 2, true, Nothing),
            (5, 8, 6, 13, 1, true, Nothing),
        ] {
            let x = pseudo_random(c * h * w, 7 + h as u32);
            let (dw, dwb) = (pseudo_random(c * 9, 11 + w as u32), pseudo_random(c, 13));
            let slopes = match activation {
                Activation::Relu => vec![0.0; c],
                Activation::Prelu => pseudo_random(c, 29),
                Activation::Nothing => vec![1.0; c],
            };
            let (pw, pwb) = (pseudo_random(o * c, 17), pseudo_random(o, 19));
            let (grouped_pw, padded_pwb) = grouped(&pw, &pwb, c, WIDE_GROUP);
            let want = reference(&x, c, h, w, s, &dw, &dwb, &slopes, &pw, &pwb, relu);
            // Both widths of the 1×1 blocks this CPU has.
            for wider in [false, true].into_iter().filter(|&wider| !wider || tile::available_512()) {
                let mut got = vec![f32::NAN; o * out_len(h, s) * out_len(w, s)];
                let layer = Layer {
                    input: &x,
                    channels: c,
                    h,
                    w,
                    stride: s,
                    depthwise: &dw,
                    depthwise_bias: &dwb,
                    slopes: &slopes,
                    output_channels: o,
                    pointwise: &grouped_pw,
                    pointwise_bias: &padded_pwb,
                    relu,
                    pixel_major: false,
                    wider,
                };
                layer.run(&mut got);
                for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                    assert!((g - r).abs() <= 1e-5, "{c}→{o} {h}×{w} stride {s}, 512-bit {wider}: value {i}: {g} vs {r}");
                }
            }
        }
    }

    /// What follows the depthwise convolution in [`block_model`].
    #[derive(Debug, Clone, Copy)]
    enum Activation {
        Relu,
        Prelu,
        Nothing,
    }

    /// The chain as the ONNX import declutters it: depthwise `Conv`, its `activation`, the 1×1
    /// product as an `EinSum`, `+ bias`, and a closing `max(·, 0)` when `closing_relu`.
    #[allow(clippy::too_many_arguments)]
    fn block_model(c: usize, o: usize, h: usize, w: usize, stride: usize, output_axes: &str, activation: Activation, closing_relu: bool) -> TypedModel {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([1, c, h, w])).unwrap();
        let konst = |model: &mut TypedModel, name: &str, shape: &[usize], seed: u32| {
            let values = pseudo_random(shape.iter().product(), seed);
            model.add_const(name, tract_ndarray::ArrayD::from_shape_vec(shape, values).unwrap().into_tensor()).unwrap()
        };
        let zero = |model: &mut TypedModel, name: &str, rank: usize| {
            model.add_const(name, tract_ndarray::ArrayD::<f32>::zeros(vec![1; rank]).into_tensor()).unwrap()
        };
        let k = konst(&mut model, "k", &[c, 1, 3, 3], 5);
        let b = konst(&mut model, "b", &[c], 9);
        let spec = PoolSpec {
            data_format: DataFormat::NCHW,
            kernel_shape: tvec!(3, 3),
            padding: PaddingSpec::Explicit(tvec!(1, 1), tvec!(1, 1)),
            dilations: None,
            strides: Some(tvec!(stride, stride)),
            input_channels: c,
            output_channels: c,
        };
        let conv = Conv { pool_spec: spec, kernel_fmt: KernelFormat::OIHW, group: c, q_params: None };
        let y = model.wire_node("dw", conv, &[x, k, b]).unwrap();
        let y = match activation {
            Activation::Prelu => {
                let slopes = konst(&mut model, "slopes", &[c, 1, 1], 27);
                model.wire_node("prelu", PreluOp, &[y[0], slopes]).unwrap()
            }
            Activation::Relu => {
                let z = zero(&mut model, "zero4", 4);
                model.wire_node("relu", math::max(), &[y[0], z]).unwrap()
            }
            Activation::Nothing => y,
        };
        let pw = konst(&mut model, "pw.weights", &[o, c], 21);
        let einsum = EinSum { axes: format!("NIHW,OI->{output_axes}").parse().unwrap(), operating_dt: f32::datum_type(), q_params: None };
        let y = model.wire_node("pw", einsum, &[y[0], pw]).unwrap();
        let bias_shape: Vec<usize> = output_axes.chars().map(|a| if a == 'O' { o } else { 1 }).collect();
        let pwb = konst(&mut model, "pw.bias", &bias_shape, 23);
        let mut y = model.wire_node("bias", math::add(), &[y[0], pwb]).unwrap();
        if closing_relu {
            let z = zero(&mut model, "zero3", output_axes.len());
            y = model.wire_node("relu2", math::max(), &[y[0], z]).unwrap();
        }
        model.select_output_outlets(&y).unwrap();
        model
    }

    #[test]
    fn replaces_the_chain_with_the_same_outputs_and_nothing_else() {
        assert!(available(), "this CPU has no AVX2 and FMA: Separable cannot run here");
        let (c, o, h, w) = (8, 12, 18, 26);
        let input = tract_ndarray::Array4::from_shape_vec([1, c, h, w], pseudo_random(c * h * w, 3)).unwrap().into_tensor();
        use Activation::{Nothing, Prelu, Relu};
        for (stride, activation, closing_relu, axes) in [
            (1, Relu, true, "OHW"),
            (2, Relu, true, "OHW"),
            (1, Relu, false, "OHW"),
            (1, Relu, false, "NHWO"),
            (2, Relu, false, "NHWO"),
            (1, Prelu, false, "OHW"),
            (2, Prelu, false, "OHW"),
            (1, Prelu, true, "NOHW"),
            (1, Nothing, true, "OHW"),
            (2, Nothing, true, "OHW"),
        ] {
            let mut ours = block_model(c, o, h, w, stride, axes, activation, closing_relu);
            let counted = multiply_adds(&ours);
            assert_eq!(substitute(&mut ours).unwrap(), 1, "stride {stride}, {axes}, {activation:?}");
            let ours = ours.into_optimized().unwrap();
            assert!(ours.nodes().iter().any(|n| n.op_is::<SeparableOp>()));
            let replaced = |n: &TypedNode| n.op_is::<Conv>() || n.op_is::<EinSum>() || n.op_is::<PreluOp>();
            assert!(!ours.nodes().iter().any(replaced), "{ours}");
            // The same arithmetic declared: the stage counts of the bench and the board estimate.
            assert_eq!(multiply_adds(&ours), counted);
            let theirs = block_model(c, o, h, w, stride, axes, activation, closing_relu).into_optimized().unwrap();
            let (a, b) = (run(ours, &input), run(theirs, &input));
            assert_eq!(a.len(), o * out_len(h, stride) * out_len(w, stride));
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-5, "stride {stride}, {axes}, {activation:?}: {x} vs {y}");
            }
        }
        // Not this chain: a stride of 3.
        assert_eq!(substitute(&mut block_model(c, o, h, w, 3, "OHW", Relu, true)).unwrap(), 0);
    }
}
