//! # Face checking as the kiosk needs it
//!
//! The flow needs, per camera frame, either guidance ("come closer") or a face with its 1:1
//! match score against one employee's templates, its liveness score and the aligned face for
//! the evidence photo; enrolment needs an embedding per photo and a duplicate check. The
//! [`FaceCheck`] trait says exactly that, so the runtime is tested without models and the
//! real pipeline ([`ModelsFace`], feature `models`, over `hadir-models`) plugs in unchanged.
//!
//! It must not store templates (the store does) or decide bands (the flow does).

use crate::flow::Guidance;
use image::RgbImage;

/// One frame's result.
#[derive(Debug, Clone, PartialEq)]
pub enum FaceResult {
    /// Not usable; tell the person this.
    Guide(Guidance),
    /// A usable face.
    Face {
        /// Best match against the templates given, percent (0 when there are none).
        score: f32,
        /// Liveness, percent.
        liveness: f32,
        /// The aligned face (evidence photo).
        aligned: RgbImage,
        /// The probe embedding (enrolment uses it).
        embedding: Vec<f32>,
    },
}

/// Why face checking failed (not a "no face": an engine failure).
#[derive(Debug, thiserror::Error)]
#[error("face pipeline: {0}")]
pub struct FaceError(pub String);

/// The face pipeline seen from the kiosk.
pub trait FaceCheck: Send {
    /// The embedding model's version (records carry it; templates of another are useless).
    fn model_version(&self) -> String;
    /// Analyses a frame and compares its face with `templates` (one employee's).
    fn check(&mut self, frame: &RgbImage, templates: &[Vec<f32>]) -> Result<FaceResult, FaceError>;
    /// Match percentage between two embeddings (the duplicate check at enrolment).
    fn similarity(&self, a: &[f32], b: &[f32]) -> f32;
}

/// Cosine of two vectors (0 when either is zero or lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na.sqrt() * nb.sqrt()) }
}

#[cfg(feature = "models")]
pub use real::ModelsFace;

#[cfg(feature = "models")]
mod real {
    use super::*;
    use hadir_models::quality::QualityIssue;
    use hadir_models::FaceEngine;

    /// The real pipeline: `hadir-models`' [`FaceEngine`] (tract, six ONNX models).
    #[derive(Debug)]
    pub struct ModelsFace {
        engine: FaceEngine,
    }

    impl ModelsFace {
        /// Loads the models from `dir` (see `hadir_models::default_models_dir`), one thread per
        /// frame analysis.
        pub fn load(dir: &std::path::Path) -> Result<ModelsFace, FaceError> {
            Self::load_with_threads(dir, 1)
        }

        /// Loads the models; `threads` ≥ 2 runs the landmarks and embedding beside liveness, pose
        /// and the eyes.
        pub fn load_with_threads(dir: &std::path::Path, threads: usize) -> Result<ModelsFace, FaceError> {
            let config = hadir_models::EngineConfig { threads: threads.max(1), ..hadir_models::EngineConfig::default() };
            FaceEngine::load_with(dir, config).map(|engine| ModelsFace { engine }).map_err(|e| FaceError(e.to_string()))
        }
    }

    fn guidance(issue: QualityIssue) -> Guidance {
        match issue {
            QualityIssue::NoFace => Guidance::NoFace,
            QualityIssue::SeveralFaces => Guidance::SeveralFaces,
            QualityIssue::TooSmall => Guidance::ComeCloser,
            QualityIssue::TooDark => Guidance::TooDark,
            QualityIssue::TooBright => Guidance::TooBright,
            QualityIssue::HeadTurned => Guidance::LookStraight,
            QualityIssue::EyesClosed => Guidance::OpenEyes,
            QualityIssue::Blurred => Guidance::HoldStill,
        }
    }

    impl FaceCheck for ModelsFace {
        fn model_version(&self) -> String {
            self.engine.model_version().to_owned()
        }

        fn check(&mut self, frame: &RgbImage, templates: &[Vec<f32>]) -> Result<FaceResult, FaceError> {
            let a = self.engine.analyze(frame).map_err(|e| FaceError(e.to_string()))?;
            if let Some(issue) = a.issues.first() {
                return Ok(FaceResult::Guide(guidance(*issue)));
            }
            let Some(subject) = a.subject else { return Ok(FaceResult::Guide(Guidance::NoFace)) };
            let probe = subject.embedding.as_slice();
            let best = templates.iter().map(|t| cosine(probe, t)).fold(f32::MIN, f32::max);
            let score = if templates.is_empty() { 0.0 } else { self.engine.config().score.percent(best) };
            Ok(FaceResult::Face {
                score,
                liveness: subject.liveness * 100.0,
                aligned: subject.aligned,
                embedding: probe.to_vec(),
            })
        }

        fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
            self.engine.config().score.percent(cosine(a, b))
        }
    }
}

/// A scripted pipeline for tests and benchmarks of the runtime without models: each call
/// returns the next result of the script (the last one repeats).
#[derive(Debug, Clone)]
pub struct ScriptedFace {
    script: Vec<FaceResult>,
    next: usize,
}

impl ScriptedFace {
    /// A pipeline that answers with `script` in order.
    pub fn new(script: Vec<FaceResult>) -> ScriptedFace {
        ScriptedFace { script, next: 0 }
    }

    /// A face with this score and liveness and a grey aligned image.
    pub fn face(score: f32, liveness: f32) -> FaceResult {
        FaceResult::Face {
            score,
            liveness,
            aligned: RgbImage::from_pixel(112, 112, image::Rgb([128, 128, 128])),
            embedding: vec![score / 100.0; 8],
        }
    }
}

impl FaceCheck for ScriptedFace {
    fn model_version(&self) -> String {
        "scripted".into()
    }

    fn check(&mut self, _frame: &RgbImage, _templates: &[Vec<f32>]) -> Result<FaceResult, FaceError> {
        let r = self
            .script
            .get(self.next)
            .or_else(|| self.script.last())
            .cloned()
            .unwrap_or(FaceResult::Guide(Guidance::NoFace));
        self.next += 1;
        Ok(r)
    }

    fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
        cosine(a, b).max(0.0) * 100.0
    }
}
