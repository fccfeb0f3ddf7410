//! A one-pass PReLU for tract.
//!
//! The embedding (MobileFaceNet-style) and liveness (MiniFASNet) models use PReLU after
//! almost every convolution: 33 of them in each. tract-onnx expands ONNX `PRelu` into three
//! generic operators (`x > 0`, `a · x`, select), each a separate broadcasting pass with its
//! own allocation; profiled per operator they took about three quarters of both models' time
//! (e.g. 146 of 192 ms for fr_feature on a loaded machine), far more than the convolutions.
//!
//! [`register`] replaces that expansion with [`PreluOp`], which computes
//! `y = x if x > 0 else a[c] · x` in place in one pass (per-channel slopes on axis 1, or one
//! scalar slope). The result is identical: a select between the same two values.

use tract_onnx::tract_hir::internal::*;

/// Replaces tract-onnx's `PRelu` expansion with the one-pass operator.
pub fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register
        .insert("PRelu", |_, _| Ok((expand(PreluExpansion), vec![])));
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct PreluExpansion;

impl Expansion for PreluExpansion {
    fn name(&self) -> StaticName {
        "PreluOnePass".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(name, PreluOp, inputs)
    }
}

/// `y = x > 0 ? x : slope · x`, slopes per channel (axis 1) or one scalar; f32 only.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct PreluOp;

impl Op for PreluOp {
    fn name(&self) -> StaticName {
        "PreluOnePass".into()
    }

    op_as_typed_op!();
}

impl EvalOp for PreluOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (x, slope) = args_2!(inputs);
        let mut x = x.into_tensor();
        let slope = slope.try_as_plain_ram()?;
        let slope = slope.as_slice::<f32>()?;
        let shape = x.shape().to_vec();
        let channels = shape.get(1).copied().unwrap_or(1);
        let inner: usize = shape.iter().skip(2).product();
        let mut view = x.try_as_plain_ram_mut()?;
        let data = view.as_slice_mut::<f32>()?;
        match slope.len() {
            1 => {
                let a = slope[0];
                data.iter_mut().for_each(|v| *v = prelu(*v, a));
            }
            n if n == channels && inner > 0 => {
                for (i, plane) in data.chunks_exact_mut(inner).enumerate() {
                    let a = slope[i % channels];
                    plane.iter_mut().for_each(|v| *v = prelu(*v, a));
                }
            }
            n => bail!("PRelu slope of {n} values for an input of shape {shape:?}"),
        }
        Ok(tvec!(x.into_tvalue()))
    }
}

/// Branch-free so the loop vectorises: `max(x, 0) + a · min(x, 0)` is exactly `x` for
/// `x > 0` and exactly `a · x` otherwise.
#[inline(always)]
fn prelu(x: f32, a: f32) -> f32 {
    x.max(0.0) + a * x.min(0.0)
}

impl TypedOp for PreluOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(
            inputs[0].datum_type == f32::datum_type(),
            "PreluOnePass handles f32 only"
        );
        Ok(tvec!(inputs[0].without_value()))
    }

    as_op!();
}
