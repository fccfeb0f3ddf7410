//! The kiosks' face pipeline in the end-to-end tests.
//!
//! Running the six ONNX models for each of a whole department's 700-odd records would take
//! most of an hour on this machine, so [`E2eFace`] has two modes, switched by the test per
//! attempt:
//! - [`FaceMode::Real`]: the real pipeline (`hadir_kiosk::face::ModelsFace`, shared by every
//!   kiosk) on the camera frame; used for the doubtful face and the impostor.
//! - [`FaceMode::Replay`]: answers with a result the real pipeline produced earlier on a
//!   genuine shared photo (computed once per identity, then reused for every ordinary record).

use hadir_kiosk::face::{FaceCheck, FaceError, FaceResult, ModelsFace};
use image::RgbImage;
use std::sync::{Arc, Mutex};

/// What the next frames are checked with.
#[derive(Debug, Clone)]
pub enum FaceMode {
    /// The real engine.
    Real,
    /// A result the real engine produced earlier.
    Replay(FaceResult),
}

/// A face pipeline for simulated kiosks; see the module docs.
#[derive(Debug, Clone)]
pub struct E2eFace {
    engine: Option<Arc<Mutex<ModelsFace>>>,
    version: String,
    /// The mode; the test sets it before each attempt.
    pub mode: Arc<Mutex<FaceMode>>,
}

impl E2eFace {
    /// A pipeline over a shared engine, starting in real mode.
    pub fn new(engine: Arc<Mutex<ModelsFace>>) -> E2eFace {
        let version = engine.lock().expect("engine lock").model_version();
        E2eFace { engine: Some(engine), version, mode: Arc::new(Mutex::new(FaceMode::Real)) }
    }

    /// A replay-only pipeline for tests about records, not faces (no models loaded); its
    /// model version is `version`. [`FaceMode::Real`] fails on it.
    pub fn replay_only(version: &str, first: FaceResult) -> E2eFace {
        E2eFace { engine: None, version: version.into(), mode: Arc::new(Mutex::new(FaceMode::Replay(first))) }
    }

    /// Sets the mode of the next checks.
    pub fn set(&self, mode: FaceMode) {
        *self.mode.lock().expect("mode lock") = mode;
    }
}

impl FaceCheck for E2eFace {
    fn model_version(&self) -> String {
        self.version.clone()
    }

    fn check(&mut self, frame: &RgbImage, templates: &[Vec<f32>]) -> Result<FaceResult, FaceError> {
        let mode = self.mode.lock().map_err(|_| FaceError("mode lock poisoned".into()))?.clone();
        match mode {
            FaceMode::Real => match &self.engine {
                Some(e) => e.lock().map_err(|_| FaceError("engine lock poisoned".into()))?.check(frame, templates),
                None => Err(FaceError("replay-only pipeline asked for a real check".into())),
            },
            FaceMode::Replay(r) => Ok(r),
        }
    }

    fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
        match &self.engine {
            Some(e) => e.lock().map(|e| e.similarity(a, b)).unwrap_or(0.0),
            None => hadir_kiosk::face::cosine(a, b).max(0.0) * 100.0,
        }
    }
}

/// Runs the real engine on a photo: the face result against `templates`.
pub fn analyse(engine: &Arc<Mutex<ModelsFace>>, photo: &RgbImage, templates: &[Vec<f32>]) -> FaceResult {
    engine.lock().expect("engine lock").check(photo, templates).expect("face pipeline")
}

/// The embedding of the one face in a photo (a template), or why not.
pub fn embedding(engine: &Arc<Mutex<ModelsFace>>, photo: &RgbImage) -> Result<Vec<f32>, String> {
    match analyse(engine, photo, &[]) {
        FaceResult::Face { embedding, .. } => Ok(embedding),
        FaceResult::Guide(g) => Err(format!("no usable face: {g:?}")),
    }
}

/// The score of a face result, if it is a face.
pub fn score(r: &FaceResult) -> Option<f32> {
    match r {
        FaceResult::Face { score, .. } => Some(*score),
        FaceResult::Guide(_) => None,
    }
}
