//! Narrow convolutions for tract: 3×3 over few input channels, summed from gathered taps.
//!
//! Five of the six models open with a 3×3 convolution, stride 2, padding 1, of the one or three
//! colour planes into 16 to 64 channels (their stem); the detector's receptive-field block has
//! seven more 3×3 convolutions of 8 to 16 channels, stride 1, dilated by 1, 2, 3 or 5; the eye
//! model has two of 1 and 8 channels without padding. tract runs them as general
//! convolutions (an explicit padding pass, then a matrix product over patches gathered on the
//! fly from so few input channels), which profiled at 1 to 12 billion multiply-adds per second
//! against 17 for the whole embedding model: fr_liveness's stem (3.5 M multiply-adds) took
//! 1.27 ms, more than any other of its layers, and the detector's seven dilated ones 9
//! billion a second.
//!
//! [`substitute`] replaces such a layer, and the ReLU after it where there is one, with
//! [`NarrowConvOp`]. Per output row it gathers the `9 × channels` taps of every output column
//! into a small buffer (zeros in the padding): at stride 2 the even and odd columns of three
//! input rows, at stride 1 three shifted copies of each input row. Then [`tile::pointwise`]
//! sums that buffer as a 1×1 convolution of that many channels, in AVX-512 registers where the
//! CPU has them. The same sums in another order: outputs agree with tract's to float rounding.
//! (Until 2026-12-06 the stems were summed 8 channels × 8 columns in AVX2 registers, and tract
//! applied the ReLU in a pass of its own; until 2026-12-07 only the stems were taken.)
//!
//! It is used on x86-64 CPUs with AVX2 and FMA (checked at run time), where it was measured.
//! Elsewhere, the board's aarch64 included, tract's convolution stays until the operator is
//! measured there. It must not take any other convolution: the shape, stride, dilation,
//! padding and grouping are checked one by one.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, PaddingSpec};
use tract_onnx::tract_core::ops::nn::DataFormat;
use tract_onnx::tract_hir::internal::*;

use crate::pattern::{constant, is_relu, only_successor, replace_chain};
use crate::tile::{available, grouped, WIDE_GROUP};
#[cfg(target_arch = "x86_64")]
use crate::tile::{self, Placement, LANES_512};

/// At most this many input planes at stride 2 (a stem reads the image: grey or colour).
const MAX_STRIDE_2_CHANNELS: usize = 4;
/// At most this many at stride 1: 144 taps per output, as many as a 1×1 convolution of 144
/// channels; wider layers are tract's matrix products' to run.
const MAX_STRIDE_1_CHANNELS: usize = 16;

/// Replaces every narrow convolution (and its ReLU) of a decluttered model; returns how many.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    if !available() {
        return Ok(0);
    }
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(conv) = node.op_as::<Conv>() else { continue };
        let Some(mut op) = narrow_of(model, node, conv)? else { continue };
        let closing = only_successor(model, id)?.filter(|n| is_relu(model, n).unwrap_or(false)).map(|n| n.id);
        op.relu = closing.is_some();
        replace_chain(model, id, closing.unwrap_or(id), op, "narrow")?;
        replaced += 1;
    }
    Ok(replaced)
}

/// Where a 3×3 window reads: the step between outputs, the step between taps, and the padding
/// (top, left, bottom, right).
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct Window {
    /// 1 or 2.
    pub stride: usize,
    /// 1 at stride 2; any at stride 1.
    pub dilation: usize,
    /// Zeros around the input: top, left, bottom, right.
    pub padding: [usize; 4],
}

impl Window {
    /// The output's height and width for an `h × w` input, if there is at least one pixel.
    pub fn output(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        let [top, left, bottom, right] = self.padding;
        let reach = 2 * self.dilation;
        let span = |n: usize, before: usize, after: usize| (n + before + after).checked_sub(reach + 1).map(|n| n / self.stride + 1);
        Some((span(h, top, bottom)?, span(w, left, right)?))
    }
}

/// The narrow operator for `conv` (without its ReLU), if it is one: f32, NCHW with batch 1 or
/// CHW, one group, 3×3, constant weights (OIHW) and bias; stride 2 with padding 1 and no
/// dilation on at most 4 channels, or stride 1 with any dilation and explicit padding on at
/// most 16.
fn narrow_of(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<NarrowConvOp>> {
    let spec = &conv.pool_spec;
    let pair = |v: &[usize]| (v.len() == 2 && v[0] == v[1]).then_some(v[0]);
    let padding = match &spec.padding {
        PaddingSpec::Explicit(before, after) if before.len() == 2 && after.len() == 2 => Some([before[0], before[1], after[0], after[1]]),
        _ => None,
    };
    let (Some(stride), Some(dilation), Some(padding)) = (pair(&spec.strides()), pair(&spec.dilations()), padding) else { return Ok(None) };
    let window = Window { stride, dilation, padding };
    let cin = spec.input_channels;
    let fits = match stride {
        2 => dilation == 1 && padding == [1; 4] && cin <= MAX_STRIDE_2_CHANNELS,
        1 => dilation >= 1 && cin <= MAX_STRIDE_1_CHANNELS,
        _ => false,
    };
    let x = model.outlet_fact(node.inputs[0])?;
    let batched = match spec.data_format {
        DataFormat::NCHW => true,
        DataFormat::CHW => false,
        _ => return Ok(None),
    };
    let planes = x.shape.as_concrete().and_then(|s| planes(batched, cin, s));
    let eligible = conv.q_params.is_none()
        && conv.group == 1
        && conv.kernel_fmt == KernelFormat::OIHW
        && spec.kernel_shape.as_slice() == [3, 3]
        && fits
        && cin >= 1
        && x.datum_type == f32::datum_type()
        && planes.is_some_and(|(h, w)| window.output(h, w).is_some())
        && node.inputs.len() == 3;
    if !eligible {
        return Ok(None);
    }
    let (Some(weights), Some(bias)) = (constant(model, node.inputs[1])?, constant(model, node.inputs[2])?) else { return Ok(None) };
    let cout = spec.output_channels;
    if weights.datum_type() != f32::datum_type()
        || bias.datum_type() != f32::datum_type()
        || weights.len() != cout * cin * 9
        || bias.len() != cout
    {
        return Ok(None);
    }
    let (weights, bias) = (weights.try_as_plain_ram()?, bias.try_as_plain_ram()?);
    let (grouped, bias) = grouped(weights.as_slice::<f32>()?, bias.as_slice::<f32>()?, cin * 9, WIDE_GROUP);
    Ok(Some(NarrowConvOp {
        input_channels: cin,
        output_channels: cout,
        window,
        batched,
        grouped: Arc::new(tract_ndarray::Array1::from_vec(grouped).into_tensor()),
        bias: Arc::new(tract_ndarray::Array1::from_vec(bias).into_tensor()),
        relu: false,
    }))
}

/// The height and width of a `[1, channels, h, w]` (`batched`) or `[channels, h, w]` shape.
fn planes(batched: bool, channels: usize, shape: &[usize]) -> Option<(usize, usize)> {
    match (batched, shape) {
        (true, [1, c, h, w]) | (false, [c, h, w]) if *c == channels => Some((*h, *w)),
        _ => None,
    }
}

/// A 3×3 convolution of a `[1, input_channels, h, w]` (or, not `batched`, `[input_channels,
/// h, w]`) f32 tensor through `window`, and its ReLU when `relu`.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct NarrowConvOp {
    input_channels: usize,
    output_channels: usize,
    window: Window,
    /// Whether the tensors have the batch axis (of 1).
    batched: bool,
    /// The weights by groups of output channels ([`grouped`]).
    grouped: Arc<Tensor>,
    /// The bias, zeros past the last channel to a whole group.
    bias: Arc<Tensor>,
    /// Whether a ReLU follows (and was replaced too).
    relu: bool,
}

impl Op for NarrowConvOp {
    fn name(&self) -> StaticName {
        "NarrowConv".into()
    }

    op_as_typed_op!();
}

impl EvalOp for NarrowConvOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let (h, w, ho, wo) = self.sizes(x.shape())?;
        let image = x.try_as_plain_ram()?;
        // Written in place: a tensor made from a Vec is copied once more into aligned memory.
        let mut tensor = Tensor::zero::<f32>(&self.shape(ho, wo))?;
        self.compute(image.as_slice::<f32>()?, h, w, tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?)?;
        Ok(tvec!(tensor.into_tvalue()))
    }
}

impl NarrowConvOp {
    /// The input's height and width and the output's, from the input's shape.
    fn sizes(&self, shape: &[usize]) -> TractResult<(usize, usize, usize, usize)> {
        let sizes = planes(self.batched, self.input_channels, shape).and_then(|(h, w)| self.window.output(h, w).map(|(ho, wo)| (h, w, ho, wo)));
        sizes.ok_or_else(|| format_err!("NarrowConv input of shape {shape:?}"))
    }

    /// The output shape, with the batch axis when the input has it.
    fn shape(&self, ho: usize, wo: usize) -> TVec<usize> {
        if self.batched { tvec!(1, self.output_channels, ho, wo) } else { tvec!(self.output_channels, ho, wo) }
    }

    /// The output planes of an `h × w` input, into `out`.
    #[cfg(target_arch = "x86_64")]
    fn compute(&self, image: &[f32], h: usize, w: usize, out: &mut [f32]) -> TractResult<()> {
        ensure!(available(), "NarrowConv needs an x86-64 CPU with AVX2 and FMA");
        let grouped = self.grouped.try_as_plain_ram()?;
        let bias = self.bias.try_as_plain_ram()?;
        let layer = Layer {
            image,
            channels: self.input_channels,
            h,
            w,
            window: self.window,
            output_channels: self.output_channels,
            grouped: grouped.as_slice::<f32>()?,
            bias: bias.as_slice::<f32>()?,
            relu: self.relu,
            wider: tile::available_512(),
        };
        layer.run(out);
        Ok(())
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn compute(&self, _image: &[f32], _h: usize, _w: usize, _out: &mut [f32]) -> TractResult<()> {
        bail!("NarrowConv runs on x86-64 only; `substitute` never puts it in a model elsewhere")
    }
}

impl TypedOp for NarrowConvOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        let (_, _, ho, wo) = self.sizes(&shape).with_context(|| format!("NarrowConv needs a concrete input, got {:?}", inputs[0].shape))?;
        Ok(tvec!(f32::fact(self.shape(ho, wo))))
    }

    /// The convolution's multiply-adds, as tract counts them for its own: the stage counts
    /// that `hadir-face bench` and the board estimate use stay the models' arithmetic.
    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        let (_, _, ho, wo) = self.sizes(&shape).with_context(|| format!("NarrowConv needs a concrete input, got {:?}", inputs[0].shape))?;
        let products = self.output_channels * ho * wo * self.input_channels * 9;
        Ok(tvec!((Cost::FMA(f32::datum_type()), products.to_dim())))
    }

    as_op!();
}

/// One evaluation's data: the input planes, the window, the weights and bias as [`grouped`]
/// gives them.
#[cfg(target_arch = "x86_64")]
struct Layer<'a> {
    image: &'a [f32],
    channels: usize,
    h: usize,
    w: usize,
    window: Window,
    output_channels: usize,
    grouped: &'a [f32],
    bias: &'a [f32],
    relu: bool,
    /// Whether [`tile::pointwise`] may use 512-bit vectors.
    wider: bool,
}

#[cfg(target_arch = "x86_64")]
impl Layer<'_> {
    /// The output planes, `[out][h'][w']`, into `out` (of that length). The caller checked
    /// [`available`].
    fn run(&self, out: &mut [f32]) {
        // SAFETY: the CPU has AVX2 and FMA (`available`, checked by the caller).
        #[allow(unsafe_code)]
        unsafe {
            self.rows(out)
        }
    }

    /// Every output row: its taps gathered, then summed by [`tile::pointwise`].
    #[target_feature(enable = "avx2,fma")]
    fn rows(&self, out: &mut [f32]) {
        let (h, cin) = (self.h, self.channels);
        let Some((ho, wo)) = self.window.output(h, self.w) else { return };
        let Window { stride, dilation, padding: [top, ..] } = self.window;
        let cout = self.output_channels;
        let plane = ho * wo;
        assert_eq!(out.len(), cout * plane, "NarrowConv output of the wrong size");
        // Row k of `taps` (k = (c·3 + ky)·3 + kx): the input value under tap k of every output
        // column, 0 in the padding and past the last column (to what `pointwise` reads).
        let span = wo.next_multiple_of(LANES_512);
        let mut taps = vec![0.0f32; cin * 9 * span];
        for oy in 0..ho {
            for c in 0..cin {
                for ky in 0..3 {
                    let k = (c * 3 + ky) * 3;
                    let rows = &mut taps[k * span..(k + 3) * span];
                    // Input row stride·oy + dilation·ky − top.
                    match (stride * oy + dilation * ky).checked_sub(top).filter(|&y| y < h) {
                        None => rows.iter_mut().for_each(|v| *v = 0.0),
                        Some(y) => {
                            let row = &self.image[(c * h + y) * self.w..][..self.w];
                            if stride == 2 {
                                stride_2_taps(row, wo, span, rows);
                            } else {
                                self.stride_1_taps(row, wo, span, rows);
                            }
                        }
                    }
                }
            }
            let placement = Placement::Planes { first: oy * wo, plane };
            tile::pointwise(self.grouped, self.bias, cout, &taps, span, wo, self.relu, self.wider, out, placement);
        }
    }

    /// The three taps of one input row at stride 1: for tap kx, output column ox reads input
    /// column ox + dilation·kx − left, so each is a shifted copy of the row.
    fn stride_1_taps(&self, row: &[f32], wo: usize, span: usize, rows: &mut [f32]) {
        let left = self.window.padding[1];
        for (kx, tap) in rows.chunks_exact_mut(span).enumerate() {
            let shift = self.window.dilation * kx;
            // Output columns from `first` to `last` (excluded) read inside the row.
            let first = left.saturating_sub(shift).min(wo);
            let last = (row.len() + left).saturating_sub(shift).clamp(first, wo);
            tap[..first].fill(0.0);
            tap[last..wo].fill(0.0);
            if last > first {
                let from = first + shift - left;
                tap[first..last].copy_from_slice(&row[from..from + last - first]);
            }
        }
    }
}

/// The three taps of one input row at stride 2 and padding 1: output column ox reads input
/// columns 2·ox − 1, 2·ox, 2·ox + 1 — the odd column before, the even column, the odd column
/// after.
#[cfg(target_arch = "x86_64")]
fn stride_2_taps(row: &[f32], wo: usize, span: usize, rows: &mut [f32]) {
    let w = row.len();
    let (left, rest) = rows.split_at_mut(span);
    let (centre, right) = rest.split_at_mut(span);
    for ((pair, even), odd) in row.chunks_exact(2).zip(centre.iter_mut()).zip(right.iter_mut()) {
        *even = pair[0];
        *odd = pair[1];
    }
    if w % 2 == 1 {
        // The last output column's centre is the last input column, and its right tap is
        // padding.
        centre[wo - 1] = row[w - 1];
        right[wo - 1] = 0.0;
    }
    left[0] = 0.0;
    left[1..wo].copy_from_slice(&right[..wo - 1]);
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::network::multiply_adds;
    use crate::tile::testing::{pseudo_random, run};

    const STEM: Window = Window { stride: 2, dilation: 1, padding: [1; 4] };

    fn same(dilation: usize) -> Window {
        Window { stride: 1, dilation, padding: [dilation; 4] }
    }

    /// The convolution by its definition, one output value at a time, in f64.
    fn reference(image: &[f32], cin: usize, h: usize, w: usize, window: Window, weights: &[f32], bias: &[f32]) -> Vec<f32> {
        let (ho, wo) = window.output(h, w).unwrap();
        let Window { stride, dilation, padding: [top, left, ..] } = window;
        let mut out = Vec::new();
        for (o, &b) in bias.iter().enumerate() {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut sum = f64::from(b);
                    for c in 0..cin {
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let y = (stride * oy + dilation * ky) as i64 - top as i64;
                                let x = (stride * ox + dilation * kx) as i64 - left as i64;
                                if y < 0 || x < 0 || y >= h as i64 || x >= w as i64 {
                                    continue;
                                }
                                let v = image[(c * h + y as usize) * w + x as usize];
                                sum += f64::from(weights[((o * cin + c) * 3 + ky) * 3 + kx]) * f64::from(v);
                            }
                        }
                    }
                    out.push(sum as f32);
                }
            }
        }
        out
    }

    #[test]
    fn equals_the_definition_on_odd_and_even_sizes() {
        // (window, input channels, output channels, h, w). Stems: grey and colour, odd and even
        // sides, the smallest image, wide ones (the last block of one, two and three vectors).
        // Stride 1: the detector's dilations with their padding, no padding (the eye model's),
        // padding on one side only, a dilation reaching past a small image's padding. Each
        // with and without its ReLU, in both vector widths where the CPU has AVX-512.
        assert!(available(), "this CPU has no AVX2 and FMA: NarrowConv cannot run here");
        let one_sided = Window { stride: 1, dilation: 1, padding: [0, 2, 2, 0] };
        let unpadded = Window { stride: 1, dilation: 1, padding: [0; 4] };
        let shapes = [
            (STEM, 3, 16, 12, 16),
            (STEM, 1, 8, 9, 7),
            (STEM, 3, 5, 2, 2),
            (STEM, 3, 4, 3, 33),
            (STEM, 2, 3, 17, 6),
            (STEM, 3, 24, 5, 120),
            (STEM, 3, 9, 4, 160),
            (same(1), 8, 16, 30, 40),
            (same(2), 16, 16, 11, 13),
            (same(3), 12, 16, 9, 20),
            (same(5), 16, 12, 8, 7),
            (unpadded, 1, 8, 24, 24),
            (unpadded, 8, 8, 5, 50),
            (one_sided, 4, 5, 6, 9),
        ];
        for (window, cin, cout, h, w) in shapes {
            let image = pseudo_random(cin * h * w, 7 + h as u32);
            let weights = pseudo_random(cout * cin * 9, 11 + w as u32);
            let bias = pseudo_random(cout, 13);
            let (grouped, padded) = grouped(&weights, &bias, cin * 9, WIDE_GROUP);
            let plain = reference(&image, cin, h, w, window, &weights, &bias);
            let (ho, wo) = window.output(h, w).unwrap();
            for (relu, wider) in [(false, false), (true, false), (false, true), (true, true)] {
                if wider && !tile::available_512() {
                    continue;
                }
                let layer = Layer { image: &image, channels: cin, h, w, window, output_channels: cout, grouped: &grouped, bias: &padded, relu, wider };
                let mut got = vec![f32::NAN; cout * ho * wo];
                layer.run(&mut got);
                for (i, (g, r)) in got.iter().zip(&plain).enumerate() {
                    let r = if relu { r.max(0.0) } else { *r };
                    assert!((g - r).abs() <= 1e-5, "{window:?} {cin}→{cout} {h}×{w}, relu {relu}, 512-bit {wider}: value {i}: {g} vs {r}");
                }
            }
        }
    }

    #[test]
    fn windows_give_the_output_size() {
        let cases = [
            (STEM, 240, 320, Some((120, 160))),
            (STEM, 9, 7, Some((5, 4))),
            (same(5), 30, 40, Some((30, 40))),
            (Window { stride: 1, dilation: 1, padding: [0; 4] }, 24, 24, Some((22, 22))),
            (Window { stride: 1, dilation: 3, padding: [0; 4] }, 6, 30, None),
        ];
        for (window, h, w, expected) in cases {
            assert_eq!(window.output(h, w), expected, "{window:?} on {h}×{w}");
        }
    }

    /// A model of one 3×3 convolution (and a ReLU) on `[1, cin, h, w]`, or on `[cin, h, w]`
    /// when not `batched`.
    fn conv_model(cin: usize, cout: usize, (h, w): (usize, usize), spec: (PaddingSpec, usize, usize), batched: bool, relu: bool) -> TypedModel {
        let (padding, stride, dilation) = spec;
        let mut model = TypedModel::default();
        let shape: TVec<usize> = if batched { tvec!(1, cin, h, w) } else { tvec!(cin, h, w) };
        let x = model.add_source("x", f32::fact(shape)).unwrap();
        let weights = tract_ndarray::Array4::from_shape_vec([cout, cin, 3, 3], pseudo_random(cout * cin * 9, 5)).unwrap().into_tensor();
        let k = model.add_const("k", weights).unwrap();
        let b = model.add_const("b", tract_ndarray::Array1::from_vec(pseudo_random(cout, 9)).into_tensor()).unwrap();
        let spec = tract_onnx::tract_core::ops::cnn::PoolSpec {
            data_format: if batched { DataFormat::NCHW } else { DataFormat::CHW },
            kernel_shape: tvec!(3, 3),
            padding,
            dilations: Some(tvec!(dilation, dilation)),
            strides: Some(tvec!(stride, stride)),
            input_channels: cin,
            output_channels: cout,
        };
        let conv = Conv { pool_spec: spec, kernel_fmt: KernelFormat::OIHW, group: 1, q_params: None };
        let mut y = model.wire_node("conv", conv, &[x, k, b]).unwrap();
        if relu {
            let zero = if batched { tensor4(&[[[[0.0f32]]]]) } else { tensor3(&[[[0.0f32]]]) };
            let zero = model.add_const("zero", zero).unwrap();
            y = model.wire_node("relu", tract_onnx::tract_core::ops::math::max(), &[y[0], zero]).unwrap();
        }
        model.select_output_outlets(&y).unwrap();
        model
    }

    #[test]
    fn replaces_a_narrow_convolution_with_the_same_outputs_and_nothing_else() {
        assert!(available(), "this CPU has no AVX2 and FMA: NarrowConv cannot run here");
        let explicit = |p: usize| PaddingSpec::Explicit(tvec!(p, p), tvec!(p, p));
        // (input channels, output channels, size, (padding, stride, dilation), batched): a stem,
        // and a dilated convolution of the detector's kind without the batch axis.
        let cases = [(3, 8, (20, 26), 1, 2, 1, true), (8, 12, (10, 14), 3, 1, 3, false)];
        for (cin, cout, (h, w), pad, stride, dilation, batched) in cases {
            let len = cin * h * w;
            let input = if batched {
                tract_ndarray::Array4::from_shape_vec([1, cin, h, w], pseudo_random(len, 3)).unwrap().into_tensor()
            } else {
                tract_ndarray::Array3::from_shape_vec([cin, h, w], pseudo_random(len, 3)).unwrap().into_tensor()
            };
            let window = Window { stride, dilation, padding: [pad; 4] };
            let (ho, wo) = window.output(h, w).unwrap();
            for relu in [false, true] {
                let model = || conv_model(cin, cout, (h, w), (explicit(pad), stride, dilation), batched, relu);
                let mut ours = model();
                let counted = multiply_adds(&ours);
                assert_eq!(substitute(&mut ours).unwrap(), 1);
                // The convolution and its ReLU became one operator: the source and it remain.
                let ops: Vec<String> = ours.eval_order().unwrap().iter().map(|&id| ours.node(id).op().name().to_string()).collect();
                assert_eq!(ops, ["Source", "NarrowConv"], "relu {relu}");
                // The same arithmetic declared: the stage counts of the bench and the board estimate.
                assert_eq!(counted, (cout * ho * wo * cin * 9) as u64);
                assert_eq!(multiply_adds(&ours), counted);
                let (a, b) = (run(ours, &input), run(model(), &input));
                assert_eq!(a.len(), cout * ho * wo);
                assert_eq!(relu, b.contains(&0.0), "the ReLU clips some outputs");
                for (x, y) in a.iter().zip(&b) {
                    assert!((x - y).abs() <= 1e-5, "relu {relu}: {x} vs {y}");
                }
            }
        }
        // Not narrow: a stem's stride without its padding, a stride of 3, a dilation at stride 2,
        // too many channels at either stride.
        let not = |cin: usize, spec: (PaddingSpec, usize, usize)| substitute(&mut conv_model(cin, 4, (20, 26), spec, true, false)).unwrap();
        assert_eq!(not(3, (PaddingSpec::Valid, 2, 1)), 0);
        assert_eq!(not(3, (explicit(1), 3, 1)), 0);
        assert_eq!(not(3, (explicit(2), 2, 2)), 0);
        assert_eq!(not(MAX_STRIDE_2_CHANNELS + 1, (explicit(1), 2, 1)), 0);
        assert_eq!(not(MAX_STRIDE_1_CHANNELS + 1, (explicit(1), 1, 1)), 0);
        assert_eq!(not(MAX_STRIDE_1_CHANNELS, (explicit(1), 1, 1)), 1);
    }
}
