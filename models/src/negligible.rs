//! Weights too small to count, set to zero when a model is loaded.
//!
//! The embedding model carries thousands of weights of 10⁻³⁶ to 10⁻¹⁰ (channels that training
//! switched off, folded with their batch norms). They change no output: beside their tensor's
//! largest weight they are below 2⁻³², eight bits under the last bit an f32 sum keeps of its
//! largest term. Yet they cost time: a dead channel's tiny values, multiplied by tiny weights,
//! make products below f32's normal range, and tract's AVX-512 matrix kernel loads its own
//! MXCSR with denormal inputs as zero but not flush-to-zero, so every such result takes the
//! CPU's slow path. Four of the embedding's 1×1 convolutions ran five to seven times slower
//! than others of the same shape. Zeroed, a dead channel stays exactly zero, and the embedding
//! takes about a quarter less time (10 → 7.5 ms in one interleaved run).
//!
//! [`zero`] works on the decluttered graph before any substitution, so our operators and
//! tract's see the same zeroed constants. It never touches a scalar (an epsilon, a slope) and
//! judges each tensor by its own largest value, so a model whose weights are all small keeps
//! them. Over `../shared/faces`, every match score and liveness score printed is the same to
//! the last digit with and without it.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::konst::Const;

/// Below this fraction of a tensor's largest magnitude a value is zeroed (2⁻³²).
pub const RELATIVE: f32 = 1.0 / 4_294_967_296.0;

/// Zeroes, in every f32 constant of more than one value, the values below [`RELATIVE`] of
/// the tensor's largest magnitude; returns how many values were zeroed.
pub fn zero(model: &mut TypedModel) -> TractResult<usize> {
    let mut zeroed = 0;
    for id in 0..model.nodes().len() {
        if model.node(id).op_as::<Const>().is_none() {
            continue;
        }
        let Some(tensor) = model.outlet_fact(OutletId::new(id, 0))?.konst.clone() else { continue };
        if tensor.datum_type() != f32::datum_type() || tensor.len() < 2 {
            continue;
        }
        let mut tensor = (*tensor).clone();
        let count = zero_negligible(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
        if count == 0 {
            continue;
        }
        zeroed += count;
        let tensor = tensor.into_arc_tensor();
        let node = model.node_mut(id);
        node.op = Box::new(Const::new(tensor.clone())?);
        node.outputs[0].fact = TypedFact::try_from(tensor)?;
    }
    Ok(zeroed)
}

/// Zeroes the values of `values` below [`RELATIVE`] of their largest magnitude; returns how
/// many.
fn zero_negligible(values: &mut [f32]) -> usize {
    let largest = values.iter().fold(0f32, |m, v| if v.abs() > m { v.abs() } else { m });
    let floor = largest * RELATIVE;
    let mut count = 0;
    for v in values.iter_mut().filter(|v| **v != 0.0 && v.abs() < floor) {
        *v = 0.0;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_far_below_the_largest_are_zeroed() {
        let cases: [(&[f32], &[f32]); 5] = [
            // A dead channel's weights beside live ones.
            (&[0.5, -1e-33, 2e-21, 1e-11, -0.25], &[0.5, 0.0, 0.0, 0.0, -0.25]),
            // Small but within 2⁻³² of the largest: kept.
            (&[1.0, 1e-9, -3e-10], &[1.0, 1e-9, -3e-10]),
            // A tensor of small values judged by its own largest: kept.
            (&[1e-30, 3e-31, -2e-30], &[1e-30, 3e-31, -2e-30]),
            // The largest may be negative.
            (&[-4.0, 1e-30], &[-4.0, 0.0]),
            // Zeros, and a tensor of zeros, stay.
            (&[0.0, 0.0], &[0.0, 0.0]),
        ];
        for (input, expected) in cases {
            let mut values = input.to_vec();
            let count = zero_negligible(&mut values);
            assert_eq!(values, expected, "{input:?}");
            let changed = input.iter().zip(expected).filter(|(a, b)| a != b).count();
            assert_eq!(count, changed, "{input:?}");
        }
    }

    #[test]
    fn scalars_and_other_types_are_left_alone() -> TractResult<()> {
        let mut model = TypedModel::default();
        let tiny = model.add_const("tiny", tensor0(1e-35f32))?;
        let ints = model.add_const("ints", tensor1(&[1i32, 0]))?;
        let weights = model.add_const("weights", tensor1(&[2.0f32, 1e-30, 1.0]))?;
        assert_eq!(zero(&mut model)?, 1);
        let value = |o: OutletId| model.outlet_fact(o).unwrap().konst.clone().unwrap();
        assert_eq!(*value(tiny), tensor0(1e-35f32));
        assert_eq!(*value(ints), tensor1(&[1i32, 0]));
        assert_eq!(*value(weights), tensor1(&[2.0f32, 0.0, 1.0]));
        Ok(())
    }
}
