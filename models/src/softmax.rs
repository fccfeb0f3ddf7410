//! A softmax over short rows for tract.
//!
//! The detector ends with a softmax over 4,420 rows of two classes (face, background). tract's
//! softmax is built for long rows: per row it sets up a vector kernel, and on 4,420 rows of two
//! it took 1.9 ms, a fifth of the detector. [`substitute`] replaces a float softmax over the
//! last axis with [`RowSoftmaxOp`]: per row the maximum, the exponentials and their sum, in
//! plain loops (the same formula; outputs agree with tract's to float rounding): 0.05 ms.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::nn::{Softmax, SoftmaxKind};
use tract_onnx::tract_hir::internal::*;

/// Longest row handled here; longer rows are what tract's kernel is for.
const MAX_ROW: usize = 16;

/// Replaces every short last-axis float softmax of a decluttered model; returns how many.
pub fn substitute(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(op) = node.op_as::<Softmax>() else { continue };
        let fact = model.outlet_fact(node.inputs[0])?;
        let last = fact.rank().checked_sub(1);
        let row = last.and_then(|l| fact.shape[l].to_usize().ok());
        let eligible = op.kind == SoftmaxKind::Softmax
            && op.quant_output_dt.is_none()
            && fact.datum_type == f32::datum_type()
            && last.is_some_and(|l| op.axes.as_slice() == [l])
            && row.is_some_and(|r| (1..=MAX_ROW).contains(&r));
        if !eligible {
            continue;
        }
        let inputs = node.inputs.clone();
        let patch = TypedModelPatch::replace_single_op(model, node, &inputs, RowSoftmaxOp)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// Softmax over the last axis of an f32 tensor, row by row.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct RowSoftmaxOp;

impl Op for RowSoftmaxOp {
    fn name(&self) -> StaticName {
        "RowSoftmax".into()
    }

    op_as_typed_op!();
}

impl EvalOp for RowSoftmaxOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let mut x = x.into_tensor();
        let row = x.shape().last().copied().unwrap_or(0);
        ensure!(row > 0, "softmax over an empty axis");
        clean_vector_state();
        let mut view = x.try_as_plain_ram_mut()?;
        for values in view.as_slice_mut::<f32>()?.chunks_exact_mut(row) {
            softmax(values);
        }
        Ok(tvec!(x.into_tvalue()))
    }
}

/// Below this, `e^x` is no longer a normal float and the C library's `expf` takes its slow
/// path (subnormal result, `errno`); clamping changes a probability by at most 2·10⁻³⁸.
const EXP_FLOOR: f32 = -87.0;

/// Tells an x86 CPU that the upper halves of the vector registers are free (`vzeroupper`).
///
/// tract's AVX-512 kernels, which run just before this operator, leave them in use; every
/// call from our baseline (SSE) code into the C library's AVX `expf` then paid a state
/// transition, which made the softmax cost 1.3 ms per frame instead of 0.05 ms (profiled).
fn clean_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, checked just above; `vzeroupper` touches no memory.
        #[allow(unsafe_code)]
        unsafe {
            zero_upper()
        };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn zero_upper() {
    std::arch::x86_64::_mm256_zeroupper();
}

/// In place: `e^(v − max) / Σ e^(v − max)`.
fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).max(EXP_FLOOR).exp();
        sum += *v;
    }
    values.iter_mut().for_each(|v| *v /= sum);
}

impl TypedOp for RowSoftmaxOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].without_value()))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_sum_to_one_and_keep_order() {
        let cases: [&[f32]; 5] = [&[0.0, 0.0], &[2.0, -1.0], &[100.0, 99.0], &[-3.0, 1.0, 0.5], &[-60.0, 60.0]];
        for case in cases {
            let mut v = case.to_vec();
            super::softmax(&mut v);
            let sum: f32 = v.iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "{case:?} → {v:?}");
            let expected: Vec<f32> = {
                let e: Vec<f64> = case.iter().map(|&x| (x as f64).exp()).collect();
                let s: f64 = e.iter().sum();
                e.iter().map(|x| (x / s) as f32).collect()
            };
            for (got, want) in v.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-6, "{case:?}: {v:?} vs {expected:?}");
            }
        }
    }
}

