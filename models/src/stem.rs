//! The networks' stem for tract: their first convolution, on the image itself.
//!
//! Five of the six models open with the same layer: a 3×3 convolution, stride 2, padding 1,
//! of the one or three colour planes into 16 to 64 channels. tract runs it as a general
//! convolution (an explicit padding pass, then a matrix product over patches gathered on the
//! fly from so few input channels), which profiled at 1 to 12 billion multiply-adds per second
//! against 17 for the whole embedding model: fr_liveness's stem (3.5 M multiply-adds) took
//! 1.27 ms, more than any other of its layers.
//!
//! [`substitute`] replaces such a layer, and the ReLU after it where there is one, with
//! [`StemConvOp`]. Per output row it gathers the 9 or 27 taps of every output column into a
//! small buffer (the even and odd columns of three input rows, zeros at the border); then
//! [`tile::pointwise`] sums that buffer as a 1×1 convolution of 9 or 27 channels, in AVX-512
//! registers where the CPU has them. The same sums in another order: outputs agree with
//! tract's to float rounding. (Until 2026-12-06 it summed 8 channels × 8 columns in AVX2
//! registers, and tract applied the ReLU in a pass of its own.)
//!
//! It is used on x86-64 CPUs with AVX2 and FMA (checked at run time), where it was measured.
//! Elsewhere, the board's aarch64 included, tract's convolution stays until the operator is
//! measured there. It must not take any other convolution: the shape, stride, padding and
//! grouping are checked one by one.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, PaddingSpec};
use tract_onnx::tract_core::ops::nn::DataFormat;
use tract_onnx::tract_hir::internal::*;

use crate::pattern::{constant, is_relu, only_successor, replace_chain};
use crate::tile::{available, grouped, WIDE_GROUP};
#[cfg(target_arch = "x86_64")]
use crate::tile::{self, Placement, LANES_512};

/// At most this many input planes (a stem reads the image: grey or colour).
const MAX_INPUT_CHANNELS: usize = 4;

/// Replaces every stem convolution (and its ReLU) of a decluttered model; returns how many.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    if !available() {
        return Ok(0);
    }
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(conv) = node.op_as::<Conv>() else { continue };
        let Some(mut op) = stem_of(model, node, conv)? else { continue };
        let closing = only_successor(model, id)?.filter(|n| is_relu(model, n).unwrap_or(false)).map(|n| n.id);
        op.relu = closing.is_some();
        replace_chain(model, id, closing.unwrap_or(id), op, "stem")?;
        replaced += 1;
    }
    Ok(replaced)
}

/// The stem operator for `conv` (without its ReLU), if it is one: f32, NCHW, batch 1, one
/// group, 3×3, stride 2, padding 1 on every side, no dilation, constant weights (OIHW) and bias.
fn stem_of(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<StemConvOp>> {
    let spec = &conv.pool_spec;
    let one_each = |v: &[usize], n: usize| v.len() == 2 && v.iter().all(|&x| x == n);
    let padded_by_one = match &spec.padding {
        PaddingSpec::Explicit(before, after) => one_each(before, 1) && one_each(after, 1),
        _ => false,
    };
    let x = model.outlet_fact(node.inputs[0])?;
    let shape = x.shape.as_concrete().map(<[usize]>::to_vec);
    let shaped = shape.as_ref().is_some_and(|s| {
        s.len() == 4 && s[0] == 1 && s[1] == spec.input_channels && s[2] >= 2 && s[3] >= 2
    });
    let eligible = conv.q_params.is_none()
        && conv.group == 1
        && conv.kernel_fmt == KernelFormat::OIHW
        && spec.data_format == DataFormat::NCHW
        && one_each(&spec.kernel_shape, 3)
        && one_each(&spec.strides(), 2)
        && one_each(&spec.dilations(), 1)
        && padded_by_one
        && (1..=MAX_INPUT_CHANNELS).contains(&spec.input_channels)
        && x.datum_type == f32::datum_type()
        && shaped
        && node.inputs.len() == 3;
    if !eligible {
        return Ok(None);
    }
    let (Some(weights), Some(bias)) = (constant(model, node.inputs[1])?, constant(model, node.inputs[2])?) else { return Ok(None) };
    let (cin, cout) = (spec.input_channels, spec.output_channels);
    if weights.datum_type() != f32::datum_type()
        || bias.datum_type() != f32::datum_type()
        || weights.len() != cout * cin * 9
        || bias.len() != cout
    {
        return Ok(None);
    }
    let (weights, bias) = (weights.try_as_plain_ram()?, bias.try_as_plain_ram()?);
    let (grouped, bias) = grouped(weights.as_slice::<f32>()?, bias.as_slice::<f32>()?, cin * 9, WIDE_GROUP);
    Ok(Some(StemConvOp {
        input_channels: cin,
        output_channels: cout,
        grouped: Arc::new(tract_ndarray::Array1::from_vec(grouped).into_tensor()),
        bias: Arc::new(tract_ndarray::Array1::from_vec(bias).into_tensor()),
        relu: false,
    }))
}

/// A 3×3 stride-2 convolution with padding 1 of a `[1, input_channels, h, w]` f32 image, and
/// its ReLU when `relu`.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct StemConvOp {
    input_channels: usize,
    output_channels: usize,
    /// The weights by groups of output channels ([`grouped`]).
    grouped: Arc<Tensor>,
    /// The bias, zeros past the last channel to a whole group.
    bias: Arc<Tensor>,
    /// Whether a ReLU follows (and was replaced too).
    relu: bool,
}

/// Output size along an axis of `n` pixels (kernel 3, stride 2, padding 1).
fn out_len(n: usize) -> usize {
    (n - 1) / 2 + 1
}

impl Op for StemConvOp {
    fn name(&self) -> StaticName {
        "StemConv".into()
    }

    op_as_typed_op!();
}

impl EvalOp for StemConvOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let shape = x.shape().to_vec();
        ensure!(
            shape.len() == 4 && shape[0] == 1 && shape[1] == self.input_channels && shape[2] >= 2 && shape[3] >= 2,
            "StemConv input of shape {shape:?}"
        );
        let (h, w) = (shape[2], shape[3]);
        let image = x.try_as_plain_ram()?;
        let out = self.compute(image.as_slice::<f32>()?, h, w)?;
        let tensor = tract_ndarray::Array4::from_shape_vec([1, self.output_channels, out_len(h), out_len(w)], out)?.into_tensor();
        Ok(tvec!(tensor.into_tvalue()))
    }
}

impl StemConvOp {
    /// The output planes of an `h × w` image.
    #[cfg(target_arch = "x86_64")]
    fn compute(&self, image: &[f32], h: usize, w: usize) -> TractResult<Vec<f32>> {
        ensure!(available(), "StemConv needs an x86-64 CPU with AVX2 and FMA");
        let grouped = self.grouped.try_as_plain_ram()?;
        let bias = self.bias.try_as_plain_ram()?;
        let layer = Layer {
            image,
            channels: self.input_channels,
            h,
            w,
            output_channels: self.output_channels,
            grouped: grouped.as_slice::<f32>()?,
            bias: bias.as_slice::<f32>()?,
            relu: self.relu,
            wider: tile::available_512(),
        };
        Ok(layer.run())
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn compute(&self, _image: &[f32], _h: usize, _w: usize) -> TractResult<Vec<f32>> {
        bail!("StemConv runs on x86-64 only; `substitute` never puts it in a model elsewhere")
    }
}

impl TypedOp for StemConvOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        ensure!(shape.len() == 4 && shape[2] >= 2 && shape[3] >= 2, "StemConv needs a concrete NCHW input, got {:?}", inputs[0].shape);
        Ok(tvec!(f32::fact([1, self.output_channels, out_len(shape[2]), out_len(shape[3])])))
    }

    /// The convolution's multiply-adds, as tract counts them for its own: the stage counts
    /// that `hadir-face bench` and the board estimate use stay the models' arithmetic.
    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        ensure!(shape.len() == 4, "StemConv needs a concrete NCHW input, got {:?}", inputs[0].shape);
        let products = self.output_channels * out_len(shape[2]) * out_len(shape[3]) * self.input_channels * 9;
        Ok(tvec!((Cost::FMA(f32::datum_type()), products.to_dim())))
    }

    as_op!();
}

/// One evaluation's data: the image planes, the weights and bias as [`grouped`] gives them.
#[cfg(target_arch = "x86_64")]
struct Layer<'a> {
    image: &'a [f32],
    channels: usize,
    h: usize,
    w: usize,
    output_channels: usize,
    grouped: &'a [f32],
    bias: &'a [f32],
    relu: bool,
    /// Whether [`tile::pointwise`] may use 512-bit vectors.
    wider: bool,
}

#[cfg(target_arch = "x86_64")]
impl Layer<'_> {
    /// The output planes, `[out][h'][w']`. The caller checked [`available`].
    fn run(&self) -> Vec<f32> {
        // SAFETY: the CPU has AVX2 and FMA (`available`, checked by the caller).
        #[allow(unsafe_code)]
        unsafe {
            self.rows()
        }
    }

    /// Every output row: its taps gathered, then summed by [`tile::pointwise`].
    #[target_feature(enable = "avx2,fma")]
    fn rows(&self) -> Vec<f32> {
        let (h, w, cin) = (self.h, self.w, self.channels);
        let (ho, wo) = (out_len(h), out_len(w));
        let taps_per_output = cin * 9;
        let cout = self.output_channels;
        let plane = ho * wo;
        let mut out = vec![0.0f32; cout * plane];
        // Row k of `taps` (k = (c·3 + ky)·3 + kx): the input value under tap k of every output
        // column, 0 in the padding and past the last column (to what `pointwise` reads).
        let stride = wo.next_multiple_of(LANES_512);
        let mut taps = vec![0.0f32; taps_per_output * stride];
        for oy in 0..ho {
            for c in 0..cin {
                for ky in 0..3 {
                    let k = (c * 3 + ky) * 3;
                    let rows = &mut taps[k * stride..(k + 3) * stride];
                    let (left, rest) = rows.split_at_mut(stride);
                    let (centre, right) = rest.split_at_mut(stride);
                    // Input row 2·oy + ky − 1.
                    match (2 * oy + ky).checked_sub(1).filter(|&y| y < h) {
                        None => {
                            left.fill(0.0);
                            centre.fill(0.0);
                            right.fill(0.0);
                        }
                        Some(y) => {
                            // Output column ox reads input columns 2·ox − 1, 2·ox, 2·ox + 1:
                            // the odd column before, the even column, the odd column after.
                            let row = &self.image[(c * h + y) * w..][..w];
                            for ((pair, even), odd) in row.chunks_exact(2).zip(centre.iter_mut()).zip(right.iter_mut()) {
                                *even = pair[0];
                                *odd = pair[1];
                            }
                            if w % 2 == 1 {
                                // The last output column's centre is the last input column, and
                                // its right tap is padding.
                                centre[wo - 1] = row[w - 1];
                                right[wo - 1] = 0.0;
                            }
                            left[0] = 0.0;
                            left[1..wo].copy_from_slice(&right[..wo - 1]);
                        }
                    }
                }
            }
            let placement = Placement::Planes { first: oy * wo, plane };
            tile::pointwise(self.grouped, self.bias, cout, &taps, stride, wo, self.relu, self.wider, &mut out, placement);
        }
        out
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::network::multiply_adds;
    use crate::tile::testing::{pseudo_random, run};

    /// The convolution by its definition, one output value at a time, in f64.
    fn reference(image: &[f32], cin: usize, h: usize, w: usize, weights: &[f32], bias: &[f32]) -> Vec<f32> {
        let (ho, wo) = (out_len(h), out_len(w));
        let mut out = Vec::new();
        for (o, &b) in bias.iter().enumerate() {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut sum = f64::from(b);
                    for c in 0..cin {
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (y, x) = ((2 * oy + ky) as i64 - 1, (2 * ox + kx) as i64 - 1);
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
        // (input channels, output channels, h, w): grey and colour, odd and even sides, the
        // smallest image, wide ones (the last block of one, two and three vectors), each with
        // and without its ReLU, in both vector widths where the CPU has AVX-512.
        assert!(available(), "this CPU has no AVX2 and FMA: StemConv cannot run here");
        let shapes = [(3, 16, 12, 16), (1, 8, 9, 7), (3, 5, 2, 2), (3, 4, 3, 33), (2, 3, 17, 6), (3, 24, 5, 120), (3, 9, 4, 160)];
        for (cin, cout, h, w) in shapes {
            let image = pseudo_random(cin * h * w, 7 + h as u32);
            let weights = pseudo_random(cout * cin * 9, 11 + w as u32);
            let bias = pseudo_random(cout, 13);
            let (grouped, padded) = grouped(&weights, &bias, cin * 9, WIDE_GROUP);
            let plain = reference(&image, cin, h, w, &weights, &bias);
            for (relu, wider) in [(false, false), (true, false), (false, true), (true, true)] {
                if wider && !tile::available_512() {
                    continue;
                }
                let layer = Layer { image: &image, channels: cin, h, w, output_channels: cout, grouped: &grouped, bias: &padded, relu, wider };
                let got = layer.run();
                assert_eq!(got.len(), cout * out_len(h) * out_len(w));
                for (i, (g, r)) in got.iter().zip(&plain).enumerate() {
                    let r = if relu { r.max(0.0) } else { *r };
                    assert!((g - r).abs() <= 1e-5, "{cin}→{cout} {h}×{w}, relu {relu}, 512-bit {wider}: value {i}: {g} vs {r}");
                }
            }
        }
    }

    fn stem_model(cin: usize, cout: usize, h: usize, w: usize, padding: PaddingSpec, stride: usize, relu: bool) -> TypedModel {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([1, cin, h, w])).unwrap();
        let weights = tract_ndarray::Array4::from_shape_vec([cout, cin, 3, 3], pseudo_random(cout * cin * 9, 5)).unwrap().into_tensor();
        let k = model.add_const("k", weights).unwrap();
        let b = model.add_const("b", tract_ndarray::Array1::from_vec(pseudo_random(cout, 9)).into_tensor()).unwrap();
        let spec = tract_onnx::tract_core::ops::cnn::PoolSpec {
            data_format: DataFormat::NCHW,
            kernel_shape: tvec!(3, 3),
            padding,
            dilations: None,
            strides: Some(tvec!(stride, stride)),
            input_channels: cin,
            output_channels: cout,
        };
        let conv = Conv { pool_spec: spec, kernel_fmt: KernelFormat::OIHW, group: 1, q_params: None };
        let mut y = model.wire_node("conv", conv, &[x, k, b]).unwrap();
        if relu {
            let zero = model.add_const("zero", tensor4(&[[[[0.0f32]]]])).unwrap();
            y = model.wire_node("relu", tract_onnx::tract_core::ops::math::max(), &[y[0], zero]).unwrap();
        }
        model.select_output_outlets(&y).unwrap();
        model
    }

    #[test]
    fn replaces_a_stem_with_the_same_outputs_and_nothing_else() {
        assert!(available(), "this CPU has no AVX2 and FMA: StemConv cannot run here");
        let (cin, cout, h, w) = (3, 8, 20, 26);
        let padding = || PaddingSpec::Explicit(tvec!(1, 1), tvec!(1, 1));
        let input = tract_ndarray::Array4::from_shape_vec([1, cin, h, w], pseudo_random(cin * h * w, 3)).unwrap().into_tensor();
        for relu in [false, true] {
            let mut ours = stem_model(cin, cout, h, w, padding(), 2, relu);
            let counted = multiply_adds(&ours);
            assert_eq!(substitute(&mut ours).unwrap(), 1);
            // The convolution and its ReLU became one operator: the source and it remain.
            let ops: Vec<String> = ours.eval_order().unwrap().iter().map(|&id| ours.node(id).op().name().to_string()).collect();
            assert_eq!(ops, ["Source", "StemConv"], "relu {relu}");
            // The same arithmetic declared: the stage counts of the bench and the board estimate.
            assert_eq!(counted, (cout * out_len(h) * out_len(w) * cin * 9) as u64);
            assert_eq!(multiply_adds(&ours), counted);
            let theirs = stem_model(cin, cout, h, w, padding(), 2, relu);
            let (a, b) = (run(ours, &input), run(theirs, &input));
            assert_eq!(a.len(), cout * out_len(h) * out_len(w));
            assert_eq!(relu, b.contains(&0.0), "the ReLU clips some outputs");
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-5, "relu {relu}: {x} vs {y}");
            }
        }
        // Not stems: stride 1, or no padding.
        assert_eq!(substitute(&mut stem_model(cin, cout, h, w, padding(), 1, false)).unwrap(), 0);
        assert_eq!(substitute(&mut stem_model(cin, cout, h, w, PaddingSpec::Valid, 2, false)).unwrap(), 0);
    }
}
