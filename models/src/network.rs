//! Loading and running one ONNX model with tract.
//!
//! Each model file is checked against its pinned SHA-256 (the preprocessing in this crate is
//! written for exactly these models), parsed once, given its fixed input shape, optimised (with
//! its negligible weights zeroed first, [`crate::negligible`], and tract's operators replaced
//! by faster ones of ours where they apply: [`crate::prelu`], [`crate::softmax`],
//! [`crate::pool`], [`crate::narrow`] and [`crate::separable`]), and kept with one reusable
//! run state. A missing, unreadable, different or corrupt file is an error that names the file
//! and the command that fetches it.
//!
//! On x86-64 a model runs with denormal floats taken as zero (`FlushDenormals`): two of the
//! models carry weights near 10⁻³³, and the CPU's slow path for the denormal products cost
//! the embedding a tenth of its time.
//!
//! # Troubleshooting
//!
//! - "face model … is missing": run `cargo xtask setup` from the workspace root (it fetches
//!   the models with npm and checks their sums), or point `HADIR_MODELS_DIR` at a folder that
//!   has them.
//! - "… SHA-256 …": the file was changed or truncated; delete it and run `cargo xtask setup`.

use crate::error::ModelError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tract_onnx::prelude::*;

/// The six model files of `faceplugin-face-recognition-js@0.0.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelFile {
    /// Face detector (Ultra-Light RFB-320).
    Detect,
    /// 68-point landmarks from a 64×64 grey crop.
    Landmark,
    /// 512-d face embedding from a 112×112 aligned crop.
    Feature,
    /// MiniFASNet anti-spoofing, 128×128.
    Liveness,
    /// Eye open/closed from a 24×24 grey crop.
    Eye,
    /// Head pose (yaw, pitch, roll bins) from a 224×224 crop.
    Pose,
}

impl ModelFile {
    /// Every model file.
    pub const ALL: [ModelFile; 6] = [
        ModelFile::Detect,
        ModelFile::Landmark,
        ModelFile::Feature,
        ModelFile::Liveness,
        ModelFile::Eye,
        ModelFile::Pose,
    ];

    /// File name inside the models folder.
    pub fn file_name(self) -> &'static str {
        match self {
            ModelFile::Detect => "fr_detect.onnx",
            ModelFile::Landmark => "fr_landmark.onnx",
            ModelFile::Feature => "fr_feature.onnx",
            ModelFile::Liveness => "fr_liveness.onnx",
            ModelFile::Eye => "fr_eye.onnx",
            ModelFile::Pose => "fr_pose.onnx",
        }
    }

    /// The pinned SHA-256 (the same sums `cargo xtask setup` verifies).
    pub fn sha256(self) -> &'static str {
        match self {
            ModelFile::Detect => "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",
            ModelFile::Landmark => {
                "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"
            }
            ModelFile::Feature => {
                "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
            }
            ModelFile::Liveness => {
                "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d"
            }
            ModelFile::Eye => "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de",
            ModelFile::Pose => "72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d",
        }
    }

    /// The model by its short name (`detect`, `landmark`, `feature`, `liveness`, `eye`,
    /// `pose`: the file name without `fr_` and `.onnx`).
    pub fn from_name(name: &str) -> Option<ModelFile> {
        ModelFile::ALL.into_iter().find(|f| f.file_name().strip_prefix("fr_").and_then(|n| n.strip_suffix(".onnx")) == Some(name))
    }

    /// The input shape fixed at load, NCHW.
    pub fn input_shape(self) -> [usize; 4] {
        match self {
            ModelFile::Detect => [1, 3, 240, 320],
            ModelFile::Landmark => [1, 1, 64, 64],
            ModelFile::Feature => [1, 3, 112, 112],
            ModelFile::Liveness => [1, 3, 128, 128],
            ModelFile::Eye => [1, 1, 24, 24],
            ModelFile::Pose => [1, 3, 224, 224],
        }
    }
}

/// The models folder: `HADIR_MODELS_DIR` if set, else `models/onnx` of this workspace (where
/// `cargo xtask setup` installs them).
pub fn default_models_dir() -> PathBuf {
    match std::env::var_os("HADIR_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("onnx"),
    }
}

/// The multiply-adds every operator of `model` declares.
pub(crate) fn multiply_adds(model: &TypedModel) -> u64 {
    use tract_onnx::tract_core::ops::Cost;
    model
        .nodes()
        .iter()
        .filter_map(|node| node.op.cost(&model.node_input_facts(node.id).ok()?).ok())
        .flatten()
        .filter(|(cost, _)| matches!(cost, Cost::FMA(_)))
        .filter_map(|(_, count)| u64::try_from(count.to_i64().ok()?).ok())
        .sum()
}

/// A failed run of `file`, with tract's whole chain of causes.
fn inference_error(file: ModelFile, e: TractError) -> ModelError {
    ModelError::Inference {
        file: file.file_name(),
        message: format!("{e:#}"),
    }
}

/// While it lives, this thread's SSE/AVX arithmetic treats denormal inputs as zero and
/// flushes denormal results to zero (MXCSR's DAZ and FTZ bits); dropping it restores the
/// register as it was.
///
/// Why: the embedding and liveness models have channels that training left dead, with
/// weights and biases around 10⁻³³, whose products fall below f32's normal range. Each such
/// product or input costs the CPU a slow path (a microcode assist) of about a hundred cycles.
/// tract's AVX-512 matrix kernels load their own MXCSR, with denormal inputs as zero (DAZ) but
/// not flush-to-zero, so their underflowing products still take it; [`crate::negligible`]
/// zeroes the weights that make them. tract's depthwise convolution, our PReLU and our blocks
/// keep this guard's bits: [`crate::separable`] on the embedding's blocks took three times
/// tract's time without it. The values flushed are below 1.2·10⁻³⁸, far under what any output
/// shows (match scores over `../shared/faces` moved by at most 5·10⁻⁵ points).
#[cfg(target_arch = "x86_64")]
struct FlushDenormals {
    saved: u32,
}

#[cfg(target_arch = "x86_64")]
impl FlushDenormals {
    /// MXCSR's flush-to-zero and denormals-are-zero bits.
    const BITS: u32 = 0x8040;

    /// Sets the two bits for this thread until the guard is dropped.
    fn new() -> Self {
        let mut saved = 0u32;
        // SAFETY: stmxcsr stores the 32-bit control register into `saved`, a valid u32;
        // ldmxcsr loads a value that differs from the saved one only in the DAZ and FTZ bits,
        // which change no exception mask or rounding mode.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved, options(nostack, preserves_flags));
            let flushing = saved | Self::BITS;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &flushing, options(nostack, preserves_flags, readonly));
        }
        Self { saved }
    }
}

#[cfg(target_arch = "x86_64")]
impl Drop for FlushDenormals {
    fn drop(&mut self) {
        // SAFETY: restores the value that `new` read from the register on this thread.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &self.saved, options(nostack, preserves_flags, readonly));
        }
    }
}

/// One operator's time in [`Network::profile`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTime {
    /// The node's name in the optimised graph (the ONNX node's, plus tract's suffixes).
    pub name: String,
    /// tract's operator (`OptMatMul`, `DepthWiseConv`, …).
    pub op: String,
    /// Median wall-clock time of one run, ms.
    pub median_ms: f64,
    /// The shapes of the node's inputs and output, as `[1,16,120,160] → [1,32,120,160]`: with
    /// the time, how far the node is from what its arithmetic needs.
    pub shapes: String,
}

/// One loaded, optimised model with a reusable run state.
pub struct Network {
    file: ModelFile,
    state: TypedSimpleState,
    output_names: Vec<String>,
    multiply_adds: u64,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("file", &self.file)
            .field("outputs", &self.output_names)
            .finish()
    }
}

impl Network {
    /// Loads `file` from the folder `dir`.
    pub fn load(dir: &Path, file: ModelFile) -> Result<Self, ModelError> {
        let path = dir.join(file.file_name());
        let bytes = std::fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ModelError::Missing { path: path.clone() }
            } else {
                ModelError::Read {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        Self::from_bytes(file, &bytes, &path)
    }

    /// Loads `file` from its bytes; `origin` only names it in errors.
    pub fn from_bytes(file: ModelFile, bytes: &[u8], origin: &Path) -> Result<Self, ModelError> {
        let actual = hex::encode(Sha256::digest(bytes));
        if actual != file.sha256() {
            return Err(ModelError::Checksum {
                path: origin.to_path_buf(),
                expected: file.sha256(),
                actual,
            });
        }
        let load = || -> TractResult<(TypedSimpleState, Vec<String>, u64)> {
            let mut onnx = tract_onnx::onnx();
            crate::prelu::register(&mut onnx);
            let mut model = onnx
                .model_for_read(&mut std::io::Cursor::new(bytes))?
                .with_input_fact(0, f32::fact(file.input_shape()).into())?
                .into_typed()?
                .into_decluttered()?;
            crate::negligible::zero(&mut model)?;
            crate::softmax::substitute(&mut model)?;
            crate::pool::substitute(&mut model)?;
            crate::narrow::substitute(&mut model)?;
            crate::separable::substitute(&mut model)?;
            let model = model.into_optimized()?;
            let names = model
                .output_outlets()?
                .iter()
                .map(|o| {
                    model
                        .outlet_label(*o)
                        .unwrap_or(&model.node(o.node).name)
                        .to_string()
                })
                .collect();
            let multiply_adds = multiply_adds(&model);
            let plan = model.into_runnable()?;
            let state = plan.spawn()?;
            Ok((state, names, multiply_adds))
        };
        let (state, output_names, multiply_adds) = load().map_err(|e| ModelError::Load {
            path: origin.to_path_buf(),
            message: format!("{e:#}"),
        })?;
        Ok(Self {
            file,
            state,
            output_names,
            multiply_adds,
        })
    }

    /// Which model this is.
    pub fn file(&self) -> ModelFile {
        self.file
    }

    /// Multiply-adds of one run, from tract's cost model of the optimised graph: the
    /// arithmetic a run needs whatever the CPU, for estimating the time on another one.
    pub fn multiply_adds(&self) -> u64 {
        self.multiply_adds
    }

    /// Names of the outputs, in the order [`Network::run`] returns them.
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// Times every operator of the optimised graph over `runs` runs on a constant input (the
    /// arithmetic of these models does not depend on the values); returns each node's median,
    /// slowest first. Where a model's time goes, to decide what to make faster.
    pub fn profile(&mut self, runs: usize) -> Result<Vec<NodeTime>, ModelError> {
        let file = self.file;
        let fail = |e: TractError| inference_error(file, e);
        let input = tract_ndarray::Array4::from_elem(file.input_shape(), 0.1f32).into_tensor().into_tvalue();
        let mut times: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
        #[cfg(target_arch = "x86_64")]
        let _flushing = FlushDenormals::new();
        for _ in 0..runs.max(1) {
            self.state
                .run_plan_with_eval(tvec!(input.clone()), |ctx, state, node, inputs| {
                    let start = std::time::Instant::now();
                    let out = tract_onnx::tract_core::plan::eval(ctx, state, node, inputs);
                    times.entry(node.id).or_default().push(start.elapsed().as_secs_f64() * 1e3);
                    out
                })
                .map_err(fail)?;
        }
        let model = self.state.model();
        let mut nodes: Vec<NodeTime> = times
            .into_iter()
            .map(|(id, mut ms)| {
                ms.sort_by(f64::total_cmp);
                let node = model.node(id);
                let shape = |outlet: &OutletId| {
                    let dims: Vec<String> = model.outlet_fact(*outlet).map(|f| f.shape.iter().map(|d| d.to_string()).collect()).unwrap_or_default();
                    format!("[{}]", dims.join(","))
                };
                let inputs: Vec<String> = node.inputs.iter().map(shape).collect();
                let shapes = format!("{} → {}", inputs.join(" "), shape(&OutletId::new(id, 0)));
                NodeTime { name: node.name.clone(), op: node.op.name().to_string(), median_ms: ms[ms.len() / 2], shapes }
            })
            .collect();
        nodes.sort_by(|a, b| b.median_ms.total_cmp(&a.median_ms));
        Ok(nodes)
    }

    /// Runs the model on one input laid out as its fixed NCHW shape; returns every output
    /// flattened, in model order.
    pub fn run(&mut self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, ModelError> {
        let file = self.file;
        let fail = |e: TractError| inference_error(file, e);
        let shape = file.input_shape();
        let tensor = tract_ndarray::Array4::from_shape_vec(shape, input)
            .map_err(|e| fail(e.into()))?
            .into_tensor();
        #[cfg(target_arch = "x86_64")]
        let _flushing = FlushDenormals::new();
        let outputs = self.state.run(tvec!(tensor.into_tvalue())).map_err(fail)?;
        outputs
            .iter()
            .map(|o| {
                let view = o.try_as_plain_ram()?;
                Ok(view.as_slice::<f32>()?.to_vec())
            })
            .collect::<TractResult<Vec<_>>>()
            .map_err(fail)
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::FlushDenormals;
    use std::hint::black_box;

    #[test]
    fn denormals_are_zero_while_the_guard_lives_and_only_then() {
        // 10⁻³⁰ · 10⁻¹⁰ = 10⁻⁴⁰, below f32's smallest normal (1.2·10⁻³⁸).
        let product = || black_box(1e-30f32) * black_box(1e-10f32);
        let denormal = black_box(1e-40f32);
        assert!(product() > 0.0 && denormal * black_box(1.0f32) > 0.0);
        {
            let _flushing = FlushDenormals::new();
            assert_eq!(product(), 0.0, "a denormal result is flushed to zero");
            assert_eq!(denormal * black_box(1.0f32), 0.0, "a denormal input counts as zero");
            assert_eq!(black_box(1e-20f32) * black_box(1e-10f32), 1e-30, "normal values are untouched");
        }
        assert!(product() > 0.0, "dropping the guard restores the control register");
    }
}
