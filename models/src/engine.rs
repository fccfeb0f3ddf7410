//! The pipeline: one RGB frame in, the faces, the chosen subject's embedding, liveness, and the
//! quality verdict out.
//!
//! [`FaceEngine::load`] loads every model once; [`FaceEngine::analyze`] runs, in order:
//! detection (threshold + NMS, every face) → choice of the subject (score × centrality × size)
//! → 68 landmarks → five points → similarity alignment to 112×112 → embedding → liveness →
//! eye state and head pose → quality gate. Each stage's time is recorded in the result, which
//! is what `hadir-face bench` reports.
//!
//! The engine holds one run state per model, so it takes `&mut self`; a kiosk owns one engine
//! on its camera thread. By default every stage runs on the calling thread; with
//! [`EngineConfig::threads`] ≥ 2, once the face is found, the landmarks and embedding run on
//! one thread while liveness, pose and then the eyes (given the landmarks) run on a second
//! (same results, less latency on a multi-core board).
//!
//! For enrolment the kiosk should keep only frames whose [`Analysis::issues`] is empty and
//! whose subject is live, then build a [`crate::TemplateSet`] from their embeddings.

use crate::detect::{self, DetectConfig, Detection};
use crate::embedding::{self, Embedding};
use crate::error::ModelError;
use crate::eyes;
use crate::geometry::{Affine, Point, Rect};
use crate::landmarks::{self, Landmarks};
use crate::liveness;
use crate::network::{ModelFile, Network};
use crate::pose::{self, Pose};
use crate::quality::{self, QualityConfig, QualityIssue, QualityMeasures};
use crate::sampling::{self, ChannelOrder};
use crate::score::ScoreMap;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, Instant};

/// Everything tunable about the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    /// Detector threshold, NMS, face limit.
    pub detect: DetectConfig,
    /// Quality gate limits.
    pub quality: QualityConfig,
    /// Cosine → percentage mapping.
    pub score: ScoreMap,
    /// A face is live when the liveness model's live probability is at least this.
    pub live_threshold: f32,
    /// Run the head-pose model (the largest model; needed for the "head turned" reason).
    pub pose: bool,
    /// Run the eye model (needed for the "eyes closed" reason).
    pub eyes: bool,
    /// 1: every stage in turn on the calling thread. 2 or more: after detection, the landmarks
    /// and embedding run on one thread while liveness, pose and the eyes run on another. (Splitting
    /// detection itself over a tract thread pool, its `multithread-mm`, made it slower: 10.3 →
    /// 15.1 ms on two cores, the detector's operations being too small to share.)
    pub threads: usize,
    /// Also measure each stage's on-CPU time ([`Timings::cpu`]); costs two small file reads
    /// per stage, so it is for benchmarks.
    pub cpu_time: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            detect: DetectConfig::default(),
            quality: QualityConfig::default(),
            score: ScoreMap::default(),
            live_threshold: 0.5,
            pose: true,
            eyes: true,
            threads: 1,
            cpu_time: false,
        }
    }
}

impl EngineConfig {
    /// Checks every value is in its range; the error names the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let unit = |field: &'static str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(ModelError::Config {
                    field,
                    message: format!("{v} is not within 0..=1"),
                })
            }
        };
        unit("detect.score_threshold", self.detect.score_threshold)?;
        unit("detect.nms_iou", self.detect.nms_iou)?;
        unit("live_threshold", self.live_threshold)?;
        unit("quality.other_face_ratio", self.quality.other_face_ratio)?;
        unit("quality.min_eyes_open", self.quality.min_eyes_open)?;
        let q = &self.quality;
        if q.min_brightness.partial_cmp(&q.max_brightness) != Some(std::cmp::Ordering::Less) {
            return Err(ModelError::Config {
                field: "quality.min_brightness",
                message: format!(
                    "{} must be below quality.max_brightness {}",
                    q.min_brightness, q.max_brightness
                ),
            });
        }
        if self.detect.max_faces == 0 {
            return Err(ModelError::Config {
                field: "detect.max_faces",
                message: "must be at least 1".into(),
            });
        }
        if self.threads == 0 {
            return Err(ModelError::Config {
                field: "threads",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// A pipeline stage, for timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Resize, detector, NMS.
    Detect,
    /// Landmark crop and model.
    Landmarks,
    /// Similarity fit and warp to 112×112.
    Align,
    /// Embedding model.
    Embed,
    /// Liveness crop and model.
    Liveness,
    /// Eye crops and model.
    Eyes,
    /// Pose crop and model.
    Pose,
    /// Brightness and sharpness measures, the gate.
    Quality,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 8] = [
        Stage::Detect,
        Stage::Landmarks,
        Stage::Align,
        Stage::Embed,
        Stage::Liveness,
        Stage::Eyes,
        Stage::Pose,
        Stage::Quality,
    ];

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Detect => "detect",
            Stage::Landmarks => "landmarks",
            Stage::Align => "align",
            Stage::Embed => "embed",
            Stage::Liveness => "liveness",
            Stage::Eyes => "eyes",
            Stage::Pose => "pose",
            Stage::Quality => "quality",
        }
    }
}

/// Time spent per stage on one frame: wall-clock always, and on-CPU time of the thread that
/// ran the stage when [`EngineConfig::cpu_time`] is on (Linux; the bench uses it because on a
/// loaded machine wall-clock time measures the other processes too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// Wall-clock time per stage, in the order the stages ran.
    pub wall: Vec<(Stage, Duration)>,
    /// On-CPU time per stage, when measured.
    pub cpu: Vec<(Stage, Duration)>,
    measure_cpu: bool,
}

impl Timings {
    fn new(measure_cpu: bool) -> Self {
        Self {
            measure_cpu,
            ..Self::default()
        }
    }

    fn record<T>(&mut self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let cpu_start = if self.measure_cpu {
            thread_cpu_time()
        } else {
            None
        };
        let start = Instant::now();
        let out = f();
        self.wall.push((stage, start.elapsed()));
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_time()) {
            self.cpu.push((stage, b.saturating_sub(a)));
        }
        out
    }

    fn extend(&mut self, other: Timings) {
        self.wall.extend(other.wall);
        self.cpu.extend(other.cpu);
    }

    /// Wall-clock time of one stage (zero if it did not run).
    pub fn of(&self, stage: Stage) -> Duration {
        self.wall
            .iter()
            .filter(|(s, _)| *s == stage)
            .map(|(_, d)| *d)
            .sum()
    }

    /// On-CPU time of one stage, if measured.
    pub fn cpu_of(&self, stage: Stage) -> Option<Duration> {
        if self.cpu.is_empty() {
            return None;
        }
        Some(
            self.cpu
                .iter()
                .filter(|(s, _)| *s == stage)
                .map(|(_, d)| *d)
                .sum(),
        )
    }

    /// Sum of the stages' wall-clock times.
    pub fn total(&self) -> Duration {
        self.wall.iter().map(|(_, d)| *d).sum()
    }
}

/// CPU time consumed so far by the calling thread, from Linux's `/proc/thread-self/schedstat`
/// (nanoseconds on the CPU); `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The face chosen for verification and everything measured on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// Index into [`Analysis::faces`].
    pub index: usize,
    /// Its detection.
    pub detection: Detection,
    /// The 68 landmarks in frame coordinates.
    pub landmarks: Vec<Point>,
    /// Left eye, right eye, nose tip, left and right mouth corner.
    pub five_points: [Point; 5],
    /// The face aligned to 112×112, as the embedding saw it (the kiosk's evidence photo).
    #[serde(skip)]
    pub aligned: RgbImage,
    /// The embedding of the aligned face.
    pub embedding: Embedding,
    /// Live-face probability (0–1) from the liveness model.
    pub liveness: f32,
    /// `liveness ≥ live_threshold`.
    pub live: bool,
    /// Head pose, if the pose model ran.
    pub pose: Option<Pose>,
    /// Open-eye probabilities (image-left eye first), if the eye model ran.
    pub eyes_open: Option<[f32; 2]>,
    /// The quality measures.
    pub measures: QualityMeasures,
}

/// The result of [`FaceEngine::analyze`] on one frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Frame width and height.
    pub frame: (u32, u32),
    /// Every face found, best detector score first.
    pub faces: Vec<Detection>,
    /// The face to verify, if there is one.
    pub subject: Option<Subject>,
    /// Why the frame is not good enough; empty when it is.
    pub issues: Vec<QualityIssue>,
    /// Time per stage.
    #[serde(skip)]
    pub timings: Timings,
    /// Wall-clock time of the whole analysis (less than the sum of the stages when stages
    /// run in parallel).
    #[serde(skip)]
    pub elapsed: Duration,
}

impl Analysis {
    /// True when there is a subject and no quality issue.
    pub fn is_good(&self) -> bool {
        self.subject.is_some() && self.issues.is_empty()
    }
}

/// All six models, loaded once, and the pipeline over them.
#[derive(Debug)]
pub struct FaceEngine {
    detector: Network,
    landmark: Network,
    feature: Network,
    liveness: Network,
    eye: Network,
    pose: Network,
    config: EngineConfig,
}

/// Version string of the embedding: templates made with another model cannot be compared.
pub const MODEL_VERSION: &str =
    "faceplugin-face-recognition-js@0.0.1/fr_feature.onnx#87aacdfe57510db2";

impl FaceEngine {
    /// Loads every model from `dir` with the default configuration.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        Self::load_with(dir, EngineConfig::default())
    }

    /// Loads every model from `dir` after validating `config`.
    pub fn load_with(dir: &Path, config: EngineConfig) -> Result<Self, ModelError> {
        config.validate()?;
        Ok(Self {
            detector: Network::load(dir, ModelFile::Detect)?,
            landmark: Network::load(dir, ModelFile::Landmark)?,
            feature: Network::load(dir, ModelFile::Feature)?,
            liveness: Network::load(dir, ModelFile::Liveness)?,
            eye: Network::load(dir, ModelFile::Eye)?,
            pose: Network::load(dir, ModelFile::Pose)?,
            config,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The embedding model's version, recorded in templates.
    pub fn model_version(&self) -> &'static str {
        MODEL_VERSION
    }

    /// Multiply-adds per stage of one frame (the eyes stage runs its model twice), for
    /// estimating the pipeline's time on another CPU from its throughput.
    pub fn multiply_adds(&self) -> [(Stage, u64); 6] {
        [
            (Stage::Detect, self.detector.multiply_adds()),
            (Stage::Landmarks, self.landmark.multiply_adds()),
            (Stage::Embed, self.feature.multiply_adds()),
            (Stage::Liveness, self.liveness.multiply_adds()),
            (Stage::Eyes, 2 * self.eye.multiply_adds()),
            (Stage::Pose, self.pose.multiply_adds()),
        ]
    }

    /// Every face in the frame, best score first.
    pub fn detect(&mut self, frame: &RgbImage) -> Result<Vec<Detection>, ModelError> {
        let (w, h) = frame.dimensions();
        let whole = Rect {
            x1: 0.0,
            y1: 0.0,
            x2: w as f32,
            y2: h as f32,
        };
        let small = sampling::warp(
            frame,
            &Affine::rect_to_grid(&whole, detect::INPUT_W, detect::INPUT_H),
            detect::INPUT_W,
            detect::INPUT_H,
            true,
        );
        let input = sampling::planar(&small, ChannelOrder::Rgb, 127.0, 1.0 / 128.0);
        let out = self.detector.run(input)?;
        let (scores, boxes) = self.detector_outputs(&out)?;
        let cfg = &self.config.detect;
        let found = detect::candidates(scores, boxes, cfg.score_threshold, w, h);
        Ok(detect::nms(found, cfg.nms_iou, cfg.max_faces))
    }

    fn detector_outputs<'a>(
        &self,
        out: &'a [Vec<f32>],
    ) -> Result<(&'a [f32], &'a [f32]), ModelError> {
        let names = self.detector.output_names();
        let find = |name: &str, len: usize| {
            names
                .iter()
                .position(|n| n == name)
                .and_then(|i| out.get(i))
                .filter(|o| o.len() == len)
                .map(Vec::as_slice)
        };
        match (
            find("scores", detect::PRIORS * 2),
            find("boxes", detect::PRIORS * 4),
        ) {
            (Some(s), Some(b)) => Ok((s, b)),
            _ => Err(ModelError::Inference {
                file: ModelFile::Detect.file_name(),
                message: format!("unexpected outputs {names:?}"),
            }),
        }
    }

    /// The 68 landmarks of a detected face.
    pub fn landmarks(&mut self, frame: &RgbImage, face: &Rect) -> Result<Landmarks, ModelError> {
        run_landmarks(&mut self.landmark, frame, face)
    }

    /// The embedding of an aligned 112×112 face.
    pub fn embed_aligned(&mut self, aligned: &RgbImage) -> Result<Embedding, ModelError> {
        run_embed(&mut self.feature, aligned)
    }

    /// Live-face probability for a detected face box.
    pub fn liveness(&mut self, frame: &RgbImage, face: &Rect) -> Result<f32, ModelError> {
        run_liveness(&mut self.liveness, frame, face)
    }

    /// Open-eye probability of both eyes.
    pub fn eyes_open(&mut self, frame: &RgbImage, l: &Landmarks) -> Result<[f32; 2], ModelError> {
        run_eyes(&mut self.eye, frame, l)
    }

    /// Head pose of a detected face box.
    pub fn pose(&mut self, frame: &RgbImage, face: &Rect) -> Result<Pose, ModelError> {
        run_pose(&mut self.pose, frame, face)
    }

    /// Landmarks, alignment and embedding of any detected face (not only the subject), e.g.
    /// every face of a group photo. `None` if the landmarks are degenerate.
    pub fn embed_face(
        &mut self,
        frame: &RgbImage,
        face: &Rect,
    ) -> Result<Option<Embedding>, ModelError> {
        let marks = self.landmarks(frame, face)?;
        match embedding::alignment(&landmarks::five_points(&marks)) {
            Some(t) => self.embed_aligned(&embedding::align(frame, &t)).map(Some),
            None => Ok(None),
        }
    }

    /// Runs the whole pipeline on a frame.
    pub fn analyze(&mut self, frame: &RgbImage) -> Result<Analysis, ModelError> {
        let start = Instant::now();
        let mut analysis = self.analyze_stages(frame)?;
        analysis.elapsed = start.elapsed();
        Ok(analysis)
    }

    fn analyze_stages(&mut self, frame: &RgbImage) -> Result<Analysis, ModelError> {
        let mut timings = Timings::new(self.config.cpu_time);
        let (w, h) = frame.dimensions();
        let faces = timings.record(Stage::Detect, || self.detect(frame))?;
        let Some(index) = detect::choose_subject(&faces, w, h) else {
            let measures = QualityMeasures::default();
            return Ok(Analysis {
                frame: (w, h),
                faces,
                subject: None,
                issues: quality::assess(&measures, &self.config.quality),
                timings,
                elapsed: Duration::ZERO,
            });
        };
        let detection = faces[index];
        let rect = detection.rect;
        // Liveness and pose need only the face's box; the embedding and the eyes need the
        // landmarks first. With two threads the box's half starts at once, beside the landmarks,
        // and takes the eyes too once the landmarks arrive: the embedding alone is about as
        // long as liveness and pose together.
        let config = &self.config;
        let (landmark_net, feature, live_net, eye_net, pose_net) =
            (&mut self.landmark, &mut self.feature, &mut self.liveness, &mut self.eye, &mut self.pose);
        // One message, so sending never waits; a landmark half that failed sends nothing.
        let (marks_out, marks_in) = std::sync::mpsc::sync_channel::<Landmarks>(1);
        let mut box_half = move |t: &mut Timings| {
            let live = t.record(Stage::Liveness, || run_liveness(live_net, frame, &rect));
            let pose = run_pose_if(config, pose_net, frame, &rect, t);
            let eyes = match marks_in.recv() {
                Ok(marks) => run_eyes_if(config, eye_net, frame, &marks, t),
                Err(_) => Ok(None),
            };
            (live, pose, eyes)
        };
        let mut landmark_half = move |t: &mut Timings| {
            let marks = t.record(Stage::Landmarks, || run_landmarks(landmark_net, frame, &rect))?;
            // The receiver lives until the box half ends, which is after this send.
            let _ = marks_out.send(marks);
            let five = landmarks::five_points(&marks);
            let aligned =
                t.record(Stage::Align, || embedding::alignment(&five).map(|a| embedding::align(frame, &a)));
            // Degenerate landmarks (all on one point): nothing usable was found.
            let Some(aligned) = aligned else { return Ok(None) };
            let embedding = t.record(Stage::Embed, || run_embed(feature, &aligned));
            Ok::<_, ModelError>(Some((marks, five, aligned, embedding)))
        };
        let (marked, (live, pose, eyes_open)) = if config.threads >= 2 {
            std::thread::scope(|scope| {
                let other = scope.spawn(move || {
                    let mut t = Timings::new(config.cpu_time);
                    (box_half(&mut t), t)
                });
                let marked = landmark_half(&mut timings);
                let (boxed, other_timings) = other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                timings.extend(other_timings);
                (marked, boxed)
            })
        } else {
            let marked = landmark_half(&mut timings);
            // Without usable landmarks the frame is refused below, unread: its liveness is not
            // worth the time.
            let boxed = if matches!(marked, Ok(Some(_))) { box_half(&mut timings) } else { (Ok(0.0), Ok(None), Ok(None)) };
            (marked, boxed)
        };
        let Some((marks, five, aligned, embedding)) = marked? else {
            return Ok(Analysis {
                frame: (w, h),
                faces,
                subject: None,
                issues: vec![QualityIssue::NoFace],
                timings,
                elapsed: Duration::ZERO,
            });
        };
        let (embedding, live, eyes_open, pose) = (embedding?, live?, eyes_open?, pose?);
        let (measures, issues) = timings.record(Stage::Quality, || {
            let similar = faces
                .iter()
                .enumerate()
                .filter(|(i, f)| {
                    *i != index
                        && f.rect.height() >= self.config.quality.other_face_ratio * rect.height()
                })
                .count();
            let measures = QualityMeasures {
                faces: faces.len(),
                similar_faces: similar,
                face_px: rect.height(),
                brightness: quality::brightness(&aligned),
                sharpness: quality::sharpness(&aligned),
                pose,
                eyes_open,
            };
            let issues = quality::assess(&measures, &self.config.quality);
            (measures, issues)
        });
        let subject = Subject {
            index,
            detection,
            landmarks: marks.to_vec(),
            five_points: five,
            aligned,
            embedding,
            liveness: live,
            live: live >= self.config.live_threshold,
            pose,
            eyes_open,
            measures,
        };
        Ok(Analysis {
            frame: (w, h),
            faces,
            subject: Some(subject),
            issues,
            timings,
            elapsed: Duration::ZERO,
        })
    }
}

fn run_landmarks(net: &mut Network, frame: &RgbImage, face: &Rect) -> Result<Landmarks, ModelError> {
    let crop = landmarks::crop_for(face, frame.width(), frame.height());
    let out = net.run(landmarks::input(frame, &crop))?;
    out.first()
        .and_then(|raw| landmarks::decode(raw, &crop))
        .ok_or_else(|| ModelError::Inference {
            file: ModelFile::Landmark.file_name(),
            message: "the landmark output is not 136 finite numbers".into(),
        })
}

fn run_embed(feature: &mut Network, aligned: &RgbImage) -> Result<Embedding, ModelError> {
    let out = feature.run(embedding::input(aligned))?;
    let raw = out.into_iter().next().unwrap_or_default();
    Embedding::from_raw(raw).map_err(|e| ModelError::Inference {
        file: ModelFile::Feature.file_name(),
        message: e.to_string(),
    })
}

fn run_liveness(net: &mut Network, frame: &RgbImage, face: &Rect) -> Result<f32, ModelError> {
    let out = net.run(liveness::input(frame, face))?;
    out.first()
        .and_then(|l| liveness::live_probability(l))
        .ok_or_else(|| ModelError::Inference {
            file: ModelFile::Liveness.file_name(),
            message: "the liveness output is not 3 finite logits".into(),
        })
}

fn run_eyes(net: &mut Network, frame: &RgbImage, l: &Landmarks) -> Result<[f32; 2], ModelError> {
    let mut probs = [0.0; 2];
    for (p, crop) in probs.iter_mut().zip(eyes::crops(l)) {
        let out = net.run(eyes::input(frame, &crop))?;
        *p = out
            .first()
            .and_then(|o| eyes::open_probability(o))
            .ok_or_else(|| ModelError::Inference {
                file: ModelFile::Eye.file_name(),
                message: "the eye output is not 2 finite logits".into(),
            })?;
    }
    Ok(probs)
}

fn run_pose(net: &mut Network, frame: &RgbImage, face: &Rect) -> Result<Pose, ModelError> {
    let square = landmarks::crop_for(face, frame.width(), frame.height());
    let out = net.run(pose::input(frame, &square))?;
    let angles: Vec<f32> = out.iter().filter_map(|o| pose::angle(o)).collect();
    match angles[..] {
        [yaw, pitch, roll] => Ok(Pose { yaw, pitch, roll }),
        _ => Err(ModelError::Inference {
            file: ModelFile::Pose.file_name(),
            message: "the pose output is not three 66-bin vectors".into(),
        }),
    }
}

/// The eye model, if the configuration asks for it.
fn run_eyes_if(
    config: &EngineConfig,
    net: &mut Network,
    frame: &RgbImage,
    marks: &Landmarks,
    timings: &mut Timings,
) -> Result<Option<[f32; 2]>, ModelError> {
    config
        .eyes
        .then(|| timings.record(Stage::Eyes, || run_eyes(net, frame, marks)))
        .transpose()
}

/// The pose model, if the configuration asks for it.
fn run_pose_if(
    config: &EngineConfig,
    net: &mut Network,
    frame: &RgbImage,
    rect: &Rect,
    timings: &mut Timings,
) -> Result<Option<Pose>, ModelError> {
    config
        .pose
        .then(|| timings.record(Stage::Pose, || run_pose(net, frame, rect)))
        .transpose()
}
