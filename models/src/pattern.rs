//! What our operators' substitutions ([`narrow`](crate::narrow), [`separable`](crate::separable))
//! look for in a decluttered tract graph: constants, ReLUs, and chains of nodes where each is
//! the only consumer of the one before (so that replacing the chain changes nothing else),
//! and [`replace_chain`], which puts one of our operators in such a chain's place.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;

/// The constant value of `outlet`, if it is one.
pub fn constant(model: &TypedModel, outlet: OutletId) -> TractResult<Option<Arc<Tensor>>> {
    Ok(model.outlet_fact(outlet)?.konst.clone())
}

/// Whether `node` is `max(x, 0)` of f32 with `x` its first input.
pub fn is_relu(model: &TypedModel, node: &TypedNode) -> TractResult<bool> {
    let max = node.op_as::<TypedBinOp>().is_some_and(|op| op.0.name() == "Max");
    if !max || node.inputs.len() != 2 {
        return Ok(false);
    }
    let Some(zero) = constant(model, node.inputs[1])? else { return Ok(false) };
    Ok(zero.datum_type() == f32::datum_type() && zero.len() == 1 && zero.is_all_zero()?)
}

/// The node consuming `id`'s only output, when it is its only consumer and reads it first.
pub fn only_successor(model: &TypedModel, id: usize) -> TractResult<Option<&TypedNode>> {
    let Some(next) = model.single_succ(id)? else { return Ok(None) };
    Ok((next.inputs.first() == Some(&OutletId::new(id, 0))).then_some(next))
}

/// Replaces the chain from node `first` to node `last` (each the only consumer of the one
/// before) with `op`, which reads `first`'s first input; the new node is named after `last`,
/// with `.{kind}` appended.
pub fn replace_chain(model: &mut TypedModel, first: usize, last: usize, op: impl TypedOp, kind: &str) -> TractResult<()> {
    let node = model.node(first);
    let mut patch = TypedModelPatch::new(format!("{kind} {}", node.name));
    let input = patch.tap_model(model, node.inputs[0])?;
    let output = patch.wire_node(format!("{}.{kind}", model.node(last).name), op, &[input])?;
    patch.shunt_outside(model, last.into(), output[0])?;
    patch.apply(model)
}
