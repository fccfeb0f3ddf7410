//! # hadir-models: on-device face verification
//!
//! Face detection, 68-point landmarks, alignment to 112×112, the 512-d embedding, liveness
//! (anti-spoofing), eye state and head pose, run with `tract-onnx` on the six ONNX models of
//! `faceplugin-face-recognition-js@0.0.1`; the quality gate; and the calibrated match score in
//! the users' bands (DESIGN.md: ≥ 80 % valid, 50 – < 80 % needs confirmation, < 50 % rejected).
//!
//! This crate owns inference, templates as values, and scoring. It never stores templates,
//! makes records or talks to devices: the kiosk does, with what this crate returns.
//!
//! # Layout
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`engine`] | [`FaceEngine`]: loads the models once, [`FaceEngine::analyze`] runs the pipeline on an `RgbImage` and returns an [`Analysis`] (faces, [`Subject`] with embedding and liveness, [`QualityIssue`]s, stage timings) |
//! | [`network`] | one ONNX model: checksum, load, fixed input shape, optimise, run; [`default_models_dir`] |
//! | [`negligible`] | weights below 2⁻³² of their tensor's largest, zeroed at load (they change no output, but their underflowing products slowed the embedding's 1×1 convolutions five- to sevenfold) |
//! | [`prelu`] | a one-pass PReLU operator for tract (the stock expansion cost ¾ of two models' time) |
//! | [`pool`] | max pooling (the head-pose and eye models') row by row, in place of tract's general pooling geometry |
//! | [`softmax`] | a softmax over short rows (the detector's 4,420 pairs), in place of tract's long-row kernel |
//! | [`narrow`] | 3×3 convolutions over few channels (the models' stems on the image, the detector's dilated ones) and their ReLU, taps gathered and summed by `tile`, in place of tract's patch gathering (x86-64) |
//! | [`separable`] | depthwise 3×3 + ReLU, PReLU or nothing + 1×1 blocks (the detector's, embedding's, liveness's and head pose's) band by band in one operator, without the tensor between them (x86-64) |
//! | [`pattern`] | what `narrow` and `separable` look for in a tract graph: constants, ReLUs, chains of only consumers |
//! | [`tile`] | the 1×1 sum over a buffer of taps in AVX2 and AVX-512 register blocks (4 channels × 24 or 48 columns) that `narrow` and `separable` use |
//! | [`detect`] | detector outputs → boxes, NMS, choice of the face to verify |
//! | [`landmarks`] | the 68-point model's crop and decoding, 68 → 5 points |
//! | [`geometry`] | points, boxes, affine maps, least-squares similarity, ArcFace reference points |
//! | [`sampling`] | warps with anti-aliasing, packing into tensors |
//! | [`embedding`] | alignment, [`Embedding`] (unit 512-d), cosine |
//! | [`liveness`] | Silent-Face crop and conventions (BGR, raw 0–255, class 1 = live) |
//! | [`eyes`], [`pose`] | eye state and head pose for the quality gate |
//! | [`quality`] | [`QualityIssue`] and the pure gate over measures |
//! | [`score`] | [`ScoreMap`] (cosine → %), [`score_percent`], [`Band`] |
//! | [`template`] | [`TemplateSet`] (enrol, verify: max cosine), [`find_duplicates`] |
//! | [`photo`] | reading image files as upright RGB |
//! | [`error`] | [`ModelError`] |
//!
//! # Use from the kiosk
//!
//! ```no_run
//! use hadir_models::{Band, FaceEngine, TemplateSet, default_models_dir};
//! # fn frame() -> image::RgbImage { image::RgbImage::new(640, 480) }
//! # fn stored() -> TemplateSet { unimplemented!() }
//! let mut engine = FaceEngine::load(&default_models_dir())?;
//! let analysis = engine.analyze(&frame())?;
//! if !analysis.issues.is_empty() {
//!     // show analysis.issues[0] (translated by the UI) and try the next frame
//! } else if let Some(subject) = &analysis.subject {
//!     let set: TemplateSet = stored(); // the employee's templates, decrypted by the kiosk
//!     let m = set.best_match(&subject.embedding, engine.model_version(), &engine.config().score)?;
//!     let record = subject.live && m.band != Band::Rejected;
//!     # let _ = record;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod detect;
pub mod embedding;
pub mod engine;
pub mod error;
pub mod eyes;
pub mod geometry;
pub mod landmarks;
pub mod liveness;
pub mod narrow;
pub mod network;
pub mod negligible;
pub mod pattern;
pub mod photo;
pub mod pool;
pub mod pose;
pub mod prelu;
pub mod quality;
pub mod sampling;
pub mod score;
pub mod separable;
pub mod softmax;
pub mod template;
pub mod tile;

pub use detect::Detection;
pub use embedding::Embedding;
pub use engine::{Analysis, EngineConfig, FaceEngine, MODEL_VERSION, Stage, Subject};
pub use error::ModelError;
pub use network::default_models_dir;
pub use quality::QualityIssue;
pub use score::{Band, ScoreMap, score_percent};
pub use template::{Match, TemplateSet, find_duplicates};
