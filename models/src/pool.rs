//! Max pooling for tract.
//!
//! The head-pose model (ShuffleNet's) opens with a 3×3, stride-2 max pooling of its stem's 24
//! planes of 112×112, and the eye model pools too. tract's pooling walks every output's
//! window through a general geometry, and profiled at 1.2 ms for the head-pose model's 0.7 M
//! comparisons, more than any of its convolutions; the kiosk runs that model beside liveness
//! while the employee waits.
//!
//! [`substitute`] replaces a max pooling of an f32 `[1, C, H, W]` tensor (any window, stride
//! and explicit padding, no dilation) with [`MaxPoolOp`]: per output row, the largest value
//! of each column over the window's rows (a plain loop that the compiler vectorises), then of
//! each window of that row. Padding takes no part, as in tract's and ONNX's pooling. The same
//! maxima: outputs are equal, not merely close.
//!
//! Plain Rust, so it is used on every CPU, the board's aarch64 included. It must not take a
//! pooling with index outputs, dilation, or the ONNX "ceil" rounding of the output size.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::cnn::{MaxPool, PaddingSpec};
use tract_onnx::tract_core::ops::nn::DataFormat;
use tract_onnx::tract_hir::internal::*;

/// Replaces every eligible max pooling of a decluttered model; returns how many.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(pool) = node.op_as::<MaxPool>() else { continue };
        let Some(op) = pool_of(model, node, pool)? else { continue };
        let inputs = node.inputs.clone();
        let patch = TypedModelPatch::replace_single_op(model, node, &inputs, op)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// The operator for `pool`, if it is eligible (see the module docs).
fn pool_of(model: &TypedModel, node: &TypedNode, pool: &MaxPool) -> TractResult<Option<MaxPoolOp>> {
    let spec = &pool.pool_spec;
    let (before, after) = match &spec.padding {
        PaddingSpec::Explicit(b, a) | PaddingSpec::ExplicitOnnxPool(b, a, false) => (b.to_vec(), a.to_vec()),
        PaddingSpec::Valid => (vec![0, 0], vec![0, 0]),
        _ => return Ok(None),
    };
    let x = model.outlet_fact(node.inputs[0])?;
    let shape = x.shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
    let (kernel, strides) = (spec.kernel_shape.to_vec(), spec.strides().to_vec());
    let eligible = pool.with_index_outputs.is_none()
        && spec.data_format == DataFormat::NCHW
        && x.datum_type == f32::datum_type()
        && shape.len() == 4
        && shape[0] == 1
        && kernel.len() == 2
        && strides.len() == 2
        && before.len() == 2
        && after.len() == 2
        && spec.dilations().iter().all(|&d| d == 1)
        && kernel.iter().zip(&before).all(|(&k, &p)| k >= 1 && p < k)
        && strides.iter().all(|&s| s >= 1);
    if !eligible {
        return Ok(None);
    }
    let op = MaxPoolOp { kernel: [kernel[0], kernel[1]], stride: [strides[0], strides[1]], before: [before[0], before[1]], after: [after[0], after[1]] };
    // Every window must hold an input value: what the padding allows, checked once here.
    Ok(op.out_size(shape[2], shape[3]).is_ok().then_some(op))
}

/// Max pooling of a `[1, C, H, W]` f32 tensor: `kernel` (height, width), `stride`, and the
/// padding `before` and `after` along each axis (which takes no part in a maximum).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct MaxPoolOp {
    kernel: [usize; 2],
    stride: [usize; 2],
    before: [usize; 2],
    after: [usize; 2],
}

impl MaxPoolOp {
    /// Output length along `axis` (0: rows, 1: columns) of an input of `n`; `None` when the
    /// window does not fit or a window would hold padding only.
    fn out_len(&self, n: usize, axis: usize) -> Option<usize> {
        let padded = n + self.before[axis] + self.after[axis];
        let len = padded.checked_sub(self.kernel[axis])? / self.stride[axis] + 1;
        // The last window must start inside the input (or the image's last value is in it).
        ((len - 1) * self.stride[axis] < n + self.before[axis]).then_some(len)
    }

    /// The output size of an `h × w` input, or why there is none.
    fn out_size(&self, h: usize, w: usize) -> TractResult<(usize, usize)> {
        match (self.out_len(h, 0), self.out_len(w, 1)) {
            (Some(ho), Some(wo)) => Ok((ho, wo)),
            _ => bail!("MaxPool: a {h}×{w} input is too small for {self:?}"),
        }
    }

    /// The input rows under output row `oy`'s window, padding left out.
    fn window_rows(&self, oy: usize, h: usize) -> std::ops::Range<usize> {
        let start = (oy * self.stride[0]).saturating_sub(self.before[0]);
        let end = (oy * self.stride[0] + self.kernel[0]).saturating_sub(self.before[0]).min(h);
        start..end
    }

    /// The `ho × wo` pooled planes of `channels` planes of `h × w` in `x`.
    ///
    /// Per output row: the window's rows' maximum, column by column, into a row padded with
    /// −∞ (`padded`); that row split by the column's remainder modulo the stride (`phases`),
    /// so that tap `j` of every output window is one contiguous run: `phases[j mod s]`, from
    /// `j div s`. Both passes are loops over contiguous values, which the compiler vectorises.
    fn compute(&self, x: &[f32], channels: usize, (h, w): (usize, usize), (ho, wo): (usize, usize)) -> Vec<f32> {
        let (kx, s, left) = (self.kernel[1], self.stride[1], self.before[1]);
        let span = ((wo - 1) * s + kx).max(left + w);
        let phase_len = span.div_ceil(s);
        let mut padded = vec![f32::NEG_INFINITY; phase_len * s];
        let mut phases = vec![f32::NEG_INFINITY; phase_len * s];
        let mut out = vec![0.0f32; channels * ho * wo];
        for (plane, out_plane) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(ho * wo)) {
            for (oy, out_row) in out_plane.chunks_exact_mut(wo).enumerate() {
                let rows = self.window_rows(oy, h);
                let row_max = &mut padded[left..left + w];
                row_max.copy_from_slice(&plane[rows.start * w..][..w]);
                for y in rows.start + 1..rows.end {
                    for (m, &v) in row_max.iter_mut().zip(&plane[y * w..][..w]) {
                        *m = larger(*m, v);
                    }
                }
                let taps: &[f32] = match s {
                    1 => &padded,
                    2 => {
                        // The usual stride, in a loop that vectorises.
                        let (even, odd) = phases.split_at_mut(phase_len);
                        for ((pair, e), o) in padded.chunks_exact(2).zip(even).zip(odd) {
                            *e = pair[0];
                            *o = pair[1];
                        }
                        &phases
                    }
                    _ => {
                        for (i, chunk) in padded.chunks_exact(s).enumerate() {
                            for (p, &v) in chunk.iter().enumerate() {
                                phases[p * phase_len + i] = v;
                            }
                        }
                        &phases
                    }
                };
                out_row.copy_from_slice(&taps[..wo]);
                for j in 1..kx {
                    let tap = &taps[(j % s) * phase_len + j / s..][..wo];
                    for (o, &v) in out_row.iter_mut().zip(tap) {
                        *o = larger(*o, v);
                    }
                }
            }
        }
        out
    }
}

/// The larger of two values as one vector instruction takes it (`f32::max`'s care for NaN
/// costs four more per value, and no model makes NaN).
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if b > a { b } else { a }
}

impl Op for MaxPoolOp {
    fn name(&self) -> StaticName {
        "MaxPoolRows".into()
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPoolOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let shape = x.shape().to_vec();
        ensure!(shape.len() == 4 && shape[0] == 1, "MaxPool input of shape {shape:?}");
        let (c, h, w) = (shape[1], shape[2], shape[3]);
        let (ho, wo) = self.out_size(h, w)?;
        let values = x.try_as_plain_ram()?;
        let out = self.compute(values.as_slice::<f32>()?, c, (h, w), (ho, wo));
        let tensor = tract_ndarray::Array4::from_shape_vec([1, c, ho, wo], out)?.into_tensor();
        Ok(tvec!(tensor.into_tvalue()))
    }
}

impl TypedOp for MaxPoolOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = inputs[0].shape.as_concrete().map(<[usize]>::to_vec).unwrap_or_default();
        ensure!(shape.len() == 4, "MaxPool needs a concrete NCHW input, got {:?}", inputs[0].shape);
        let (ho, wo) = self.out_size(shape[2], shape[3])?;
        Ok(tvec!(f32::fact([shape[0], shape[1], ho, wo])))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::tract_core::ops::cnn::PoolSpec;

    fn pool_model(c: usize, h: usize, w: usize, kernel: usize, stride: usize, padding: PaddingSpec) -> TypedModel {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([1, c, h, w])).unwrap();
        let spec = PoolSpec {
            data_format: DataFormat::NCHW,
            kernel_shape: tvec!(kernel, kernel),
            padding,
            dilations: None,
            strides: Some(tvec!(stride, stride)),
            input_channels: c,
            output_channels: c,
        };
        let y = model.wire_node("pool", MaxPool { pool_spec: spec, with_index_outputs: None }, &[x]).unwrap();
        model.select_output_outlets(&y).unwrap();
        model
    }

    /// The output's shape and values.
    fn run(model: TypedModel, input: &Tensor) -> (Vec<usize>, Vec<f32>) {
        let out = model.into_optimized().unwrap().into_runnable().unwrap().run(tvec!(input.clone().into_tvalue())).unwrap();
        let values = out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
        (out[0].shape().to_vec(), values)
    }

    #[test]
    fn equals_tracts_pooling_on_every_shape_it_takes() {
        let explicit = |b: usize, a: usize| PaddingSpec::Explicit(tvec!(b, b), tvec!(a, a));
        // (channels, h, w, kernel, stride, padding): the head-pose model's (3×3, stride 2,
        // padding 1) on odd and even sides, the eye model's kind (2×2, stride 2, none), a window
        // larger than the stride, padding on one side only, and the ONNX form of padding.
        let cases = [
            (3, 12, 12, 3, 2, explicit(1, 1)),
            (2, 11, 9, 3, 2, explicit(1, 1)),
            (4, 8, 10, 2, 2, PaddingSpec::Valid),
            (1, 7, 7, 2, 2, PaddingSpec::Valid),
            (2, 9, 13, 3, 1, explicit(1, 1)),
            (3, 10, 6, 3, 3, explicit(0, 2)),
            (2, 6, 6, 3, 2, PaddingSpec::ExplicitOnnxPool(tvec!(1, 1), tvec!(1, 1), false)),
        ];
        for (i, (c, h, w, k, s, padding)) in cases.into_iter().enumerate() {
            // Values of both signs, so that a padding counted as 0 would show.
            let values: Vec<f32> = (0..c * h * w).map(|v| ((v * 7919 + i * 31) % 199) as f32 - 150.0).collect();
            let input = tract_ndarray::Array4::from_shape_vec([1, c, h, w], values).unwrap().into_tensor();
            let mut ours = pool_model(c, h, w, k, s, padding.clone());
            assert_eq!(substitute(&mut ours).unwrap(), 1, "case {i}");
            assert!(ours.nodes().iter().any(|n| n.op_is::<MaxPoolOp>()), "case {i}");
            let theirs = pool_model(c, h, w, k, s, padding);
            let (got, want) = (run(ours, &input), run(theirs, &input));
            assert_eq!(got, want, "case {i}: {k}×{k} stride {s} on {h}×{w}");
        }
    }

    #[test]
    fn leaves_what_it_does_not_take() {
        // The ONNX "ceil" rounding, and the same-size padding that tract computes itself.
        for padding in [PaddingSpec::ExplicitOnnxPool(tvec!(1, 1), tvec!(1, 1), true), PaddingSpec::SameUpper] {
            let mut model = pool_model(2, 9, 9, 3, 2, padding.clone());
            assert_eq!(substitute(&mut model).unwrap(), 0, "{padding:?}");
        }
    }
}
