//! Enrolment of an employee's face from photos uploaded on the employees page.
//!
//! An admin or operator uploads several photos of one employee. Each photo goes through the
//! same face pipeline as the kiosk's camera frames (`hadir-models`: detection, landmarks,
//! alignment, embedding, and the quality gate), then:
//!
//! 1. every photo must show exactly one usable face (no face, several faces, too small, too dark
//!    or bright, head turned, eyes closed, blurred: refused, naming the photo and the reason);
//! 2. the photos must be of one person (the models' enrolment rule, [`TemplateSet::enrol`]:
//!    every pair at least [`hadir_models::template::ENROL_MIN_PERCENT`] %);
//! 3. when the employee already has templates, every new photo must match each of them by the
//!    same rule (a re-enrolment adds photos of the same face; it cannot put a second person
//!    under one employee number);
//! 4. the face must not already be enrolled as somebody else: every template of every other
//!    present employee is compared, and a match in the valid band ([`Band::VALID_FROM`], the
//!    threshold that would let the face record as that person) refuses the enrolment, naming
//!    the other employee.
//!
//! Only then are the embeddings stored, through the store
//! ([`crate::storage::Store::add_template`], which seals them at rest and moves the roster
//! revision so kiosks fetch them). Nothing is stored on any refusal.
//!
//! This module owns the decision and the face engine's lifetime on the server (loaded on first
//! use, one analysis at a time); it never writes SQL and never keeps the photos.
//!
//! # Units and limits
//! At least [`MIN_PHOTOS`], at most [`MAX_PHOTOS`] photos of at most [`MAX_PHOTO_BYTES`] each;
//! JPEG, PNG or WebP, read by content (not by name), EXIF orientation applied. One analysis takes about 0.3 s on the server's CPU;
//! loading the models the first time about 2 s.
//!
//! # Troubleshooting
//! - "face model … is missing": the server looks for the models in `dashboard.models_dir`
//!   (default `HADIR_MODELS_DIR`, else the workspace's `models/onnx`); run `cargo xtask setup`.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Mutex;

use hadir_models::template::{ENROL_MIN_PERCENT, TemplateError};
use hadir_models::{Band, Embedding, FaceEngine, ModelError, QualityIssue, ScoreMap, TemplateSet, find_duplicates};
use image::{DynamicImage, ImageDecoder as _, ImageReader, RgbImage};

use super::i18n::{Lang, tr};
use crate::storage::{Store as DeviceStore, StorageError};

/// Fewest photos an enrolment takes (as at the kiosk).
pub const MIN_PHOTOS: usize = 3;
/// Most photos an enrolment takes.
pub const MAX_PHOTOS: usize = 10;
/// Largest photo file, bytes.
pub const MAX_PHOTO_BYTES: usize = 8 << 20;
/// Largest decoded photo side, pixels (bounds memory on a hostile upload).
pub const MAX_PHOTO_SIDE: u32 = 8000;

/// An uploaded photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The file name the browser sent (for messages only).
    pub file_name: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// Why one photo cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoProblem {
    /// Not a JPEG, PNG or WebP the server can read.
    NotAnImage,
    /// Larger than [`MAX_PHOTO_BYTES`] or [`MAX_PHOTO_SIDE`].
    TooLarge,
    /// The quality gate's first reason (no face, several faces, too small, …).
    Face(QualityIssue),
}

impl PhotoProblem {
    /// A stable machine name (`not_an_image`, `too_large`, or the quality gate's, e.g.
    /// `several_faces`) for logs and the audit.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoProblem::NotAnImage => "not_an_image",
            PhotoProblem::TooLarge => "too_large",
            PhotoProblem::Face(q) => q.as_str(),
        }
    }

    /// What to tell the person uploading.
    pub fn message(&self, lang: Lang) -> &'static str {
        match self {
            PhotoProblem::NotAnImage => lang.tr("not a readable JPEG/PNG/WebP photo"),
            PhotoProblem::TooLarge => lang.tr("file too large (max 8 MB, 8000 pixels)"),
            PhotoProblem::Face(q) => match q {
                QualityIssue::NoFace => lang.tr("no face found"),
                QualityIssue::SeveralFaces => {
                    lang.tr("more than one face; one person per photo")
                }
                QualityIssue::TooSmall => lang.tr("the face is too small; take the photo closer"),
                QualityIssue::TooDark => lang.tr("the face is too dark"),
                QualityIssue::TooBright => lang.tr("the face is overexposed"),
                QualityIssue::HeadTurned => {
                    lang.tr("the head is turned; the face must look straight at the camera")
                }
                QualityIssue::EyesClosed => lang.tr("the eyes are closed"),
                QualityIssue::Blurred => lang.tr("the photo is blurred"),
            },
        }
    }
}

/// Why an enrolment was refused (the user's mistake, not the server's); nothing was stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Too few photos.
    TooFew {
        /// Photos given.
        given: usize,
    },
    /// Too many photos.
    TooMany {
        /// Photos given.
        given: usize,
    },
    /// Some photos cannot be used: (file name, problem), in upload order.
    Photos(Vec<(String, PhotoProblem)>),
    /// Two photos do not look like one person.
    NotOnePerson {
        /// One file.
        first: String,
        /// The other.
        second: String,
        /// Their match, percent.
        percent: f32,
    },
    /// A photo does not look like the face already enrolled for this employee.
    NotTheEnrolledFace {
        /// The file.
        file: String,
        /// Its lowest match with the enrolled templates, percent.
        percent: f32,
    },
    /// The face is already enrolled as another employee.
    Duplicate {
        /// The other employee's id.
        employee_id: String,
        /// Their name.
        name: String,
        /// The match, percent.
        percent: f32,
    },
}

impl Refusal {
    /// The message shown on the employees page.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Refusal::TooFew { given } => tr!(lang, "Upload at least {min_photos} face photos of the employee (got {given}).", min_photos = MIN_PHOTOS, given = given),
            Refusal::TooMany { given } => tr!(lang, "At most {max_photos} photos at once (got {given}).", max_photos = MAX_PHOTOS, given = given),
            Refusal::Photos(list) => {
                let items: Vec<String> = list.iter().map(|(f, p)| format!("{f}: {}", p.message(lang))).collect();
                format!("{} {}.", lang.tr("Photos that cannot be used —"), items.join("; "))
            }
            Refusal::NotOnePerson { first, second, percent } => tr!(
                lang,
                "Photos {first} and {second} do not look like the same person ({percent}% alike). Upload photos of one person only.",
                first = first,
                second = second,
                percent = format!("{percent:.0}"),
            ),
            Refusal::NotTheEnrolledFace { file, percent } => tr!(
                lang,
                "Photo {file} does not match the face already enrolled for this employee ({percent}% alike). Check the employee number.",
                file = file,
                percent = format!("{percent:.0}"),
            ),
            Refusal::Duplicate { employee_id, name, percent } => tr!(
                lang,
                "This face is already enrolled as {name} (NIP {employee_id}), {percent}% alike. Not enrolled: check the employee number.",
                name = name,
                employee_id = employee_id,
                percent = format!("{percent:.0}"),
            ),
        }
    }

    /// A short English line for the audit log and tracing.
    pub fn summary(&self) -> String {
        match self {
            Refusal::TooFew { given } => format!("too few photos ({given})"),
            Refusal::TooMany { given } => format!("too many photos ({given})"),
            Refusal::Photos(list) => {
                let items: Vec<String> = list.iter().map(|(f, p)| format!("{f}: {}", p.code())).collect();
                format!("unusable photos: {}", items.join(", "))
            }
            Refusal::NotOnePerson { first, second, percent } => format!("{first} and {second} not one person ({percent:.1}%)"),
            Refusal::NotTheEnrolledFace { file, percent } => format!("{file} differs from the enrolled face ({percent:.1}%)"),
            Refusal::Duplicate { employee_id, percent, .. } => format!("face already enrolled as {employee_id} ({percent:.1}%)"),
        }
    }
}

/// Why an enrolment could not be done.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// Refused; see [`Refusal::message`].
    #[error("enrolment refused: {}", .0.summary())]
    Refused(Refusal),
    /// The face models could not be loaded or run.
    #[error(transparent)]
    Models(#[from] ModelError),
    /// The store failed.
    #[error("store: {0}")]
    Storage(#[from] StorageError),
    /// A stored template is not a valid embedding (the database was edited?).
    #[error("stored template of employee {employee_id} is not an embedding: {detail}")]
    BadTemplate {
        /// Whose.
        employee_id: String,
        /// What is wrong.
        detail: String,
    },
    /// The analysis task died.
    #[error("face analysis task failed: {0}")]
    Task(String),
    /// The models' template rules failed on something other than the photos (a bug: sets of
    /// one model are compared only with sets of the same model).
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// Reads an uploaded photo as an upright RGB image (EXIF orientation applied, as
/// `hadir_models::photo::load_rgb` does for files).
pub fn decode_photo(bytes: &[u8]) -> Result<RgbImage, PhotoProblem> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoProblem::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| PhotoProblem::NotAnImage)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoProblem::TooLarge,
        _ => PhotoProblem::NotAnImage,
    })?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoProblem::TooLarge,
        _ => PhotoProblem::NotAnImage,
    })?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// What the face pipeline made of the uploaded photos.
#[derive(Debug, Clone)]
pub struct Examined {
    /// The embedding model's version (stored with the templates).
    pub model_version: String,
    /// The engine's cosine → percent map.
    pub score: ScoreMap,
    /// Per photo, in upload order: its file name and embedding, or why it is unusable.
    pub photos: Vec<(String, Result<Embedding, PhotoProblem>)>,
}

/// The server's face engine, loaded on first use and shared by every enrolment (one analysis
/// at a time: the engine keeps per-model run state).
#[derive(Debug)]
pub struct FaceService {
    dir: PathBuf,
    engine: Mutex<Option<FaceEngine>>,
}

impl FaceService {
    /// A service over the models in `dir` (nothing is loaded yet).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, engine: Mutex::new(None) }
    }

    /// The models folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Analyses every photo (blocking: seconds; run it on the blocking pool).
    pub fn examine(&self, photos: &[Photo]) -> Result<Examined, ModelError> {
        // A panic mid-analysis leaves no half-written state worth refusing over.
        let mut guard = self.engine.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            let started = std::time::Instant::now();
            *guard = Some(FaceEngine::load(&self.dir)?);
            tracing::info!(dir = %self.dir.display(), ms = started.elapsed().as_millis() as u64, "face models loaded for enrolment");
        }
        let Some(engine) = guard.as_mut() else { unreachable!("loaded above") };
        let mut out = Vec::with_capacity(photos.len());
        for p in photos {
            let verdict = match decode_photo(&p.bytes) {
                Ok(img) => verdict(engine.analyze(&img)?),
                Err(problem) => Err(problem),
            };
            out.push((p.file_name.clone(), verdict));
        }
        Ok(Examined { model_version: engine.model_version().to_owned(), score: engine.config().score.clone(), photos: out })
    }
}

/// One photo's verdict from the pipeline's analysis: the embedding of its single face, or the
/// quality gate's first reason (they are ordered by what to fix first).
pub fn verdict(a: hadir_models::Analysis) -> Result<Embedding, PhotoProblem> {
    if let Some(first) = a.issues.first() {
        return Err(PhotoProblem::Face(*first));
    }
    a.subject.map(|s| s.embedding).ok_or(PhotoProblem::Face(QualityIssue::NoFace))
}

/// Another employee's enrolled face, for the duplicate check.
#[derive(Debug, Clone)]
pub struct OtherFace {
    /// Their name.
    pub name: String,
    /// Their templates of the engine's model.
    pub set: TemplateSet,
}

/// The enrolment decision (pure): the employee's new template set, or why not
/// ([`EnrolError::Refused`]). `own` are the employee's templates of the same model already
/// stored; `others` every other employee's.
pub fn decide(employee_id: &str, examined: Examined, own: &[Embedding], others: &[OtherFace]) -> Result<TemplateSet, EnrolError> {
    let refuse = |r| Err(EnrolError::Refused(r));
    let given = examined.photos.len();
    if given < MIN_PHOTOS {
        return refuse(Refusal::TooFew { given });
    }
    if given > MAX_PHOTOS {
        return refuse(Refusal::TooMany { given });
    }
    let mut names = Vec::with_capacity(given);
    let mut embeddings = Vec::with_capacity(given);
    let mut bad = Vec::new();
    for (name, v) in examined.photos {
        match v {
            Ok(e) => {
                names.push(name);
                embeddings.push(e);
            }
            Err(p) => bad.push((name, p)),
        }
    }
    if !bad.is_empty() {
        return refuse(Refusal::Photos(bad));
    }
    let set = TemplateSet::enrol(employee_id, &examined.model_version, embeddings, &examined.score).map_err(|e| match e {
        TemplateError::Inconsistent { first, second, percent, .. } => {
            EnrolError::Refused(Refusal::NotOnePerson { first: names[first].clone(), second: names[second].clone(), percent })
        }
        other => EnrolError::Template(other),
    })?;
    for (new, file) in set.templates.iter().zip(&names) {
        let worst = own.iter().map(|o| examined.score.percent(o.cosine(new))).fold(f32::MAX, f32::min);
        if worst < ENROL_MIN_PERCENT {
            return refuse(Refusal::NotTheEnrolledFace { file: file.clone(), percent: worst });
        }
    }
    let sets: Vec<TemplateSet> = others.iter().map(|o| o.set.clone()).collect();
    let dups = find_duplicates(&set, &sets, &examined.score, Band::VALID_FROM)?;
    if let Some(d) = dups.first() {
        let name = others.iter().find(|o| o.set.name == d.name).map(|o| o.name.clone()).unwrap_or_default();
        return refuse(Refusal::Duplicate { employee_id: d.name.clone(), name, percent: d.percent });
    }
    Ok(set)
}

/// What an enrolment stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    /// Templates stored.
    pub templates: usize,
    /// The closest other employee's match, percent (for the audit), if any is enrolled.
    pub nearest_other: Option<(String, f32)>,
}

/// Every present employee's templates of `model_version` except `employee_id`'s, opened by
/// the store, over all `sites`.
pub async fn other_faces(
    storage: &DeviceStore,
    sites: &[String],
    employee_id: &str,
    model_version: &str,
) -> Result<Vec<OtherFace>, EnrolError> {
    let mut out = Vec::new();
    for site in sites {
        let roster = storage.roster_since(site, 0).await?;
        for e in roster.changed {
            if e.id == employee_id {
                continue;
            }
            let mut templates = Vec::new();
            for t in e.templates.iter().filter(|t| t.model_version == model_version) {
                let raw = t.embedding().ok_or_else(|| EnrolError::BadTemplate { employee_id: e.id.clone(), detail: "not base64 f32".into() })?;
                templates.push(
                    Embedding::from_raw(raw).map_err(|x| EnrolError::BadTemplate { employee_id: e.id.clone(), detail: x.to_string() })?,
                );
            }
            if !templates.is_empty() {
                out.push(OtherFace { name: e.name, set: TemplateSet { name: e.id, model_version: model_version.to_owned(), templates } });
            }
        }
    }
    Ok(out)
}

/// Examines the photos, decides, and stores the templates through the store.
pub async fn enrol(
    faces: std::sync::Arc<FaceService>,
    storage: &DeviceStore,
    sites: &[String],
    employee_id: &str,
    photos: Vec<Photo>,
    now_ms: i64,
) -> Result<Enrolled, EnrolError> {
    // Count before the (slow) analysis.
    if photos.len() < MIN_PHOTOS {
        return Err(EnrolError::Refused(Refusal::TooFew { given: photos.len() }));
    }
    if photos.len() > MAX_PHOTOS {
        return Err(EnrolError::Refused(Refusal::TooMany { given: photos.len() }));
    }
    let examined = tokio::task::spawn_blocking(move || faces.examine(&photos)).await.map_err(|e| EnrolError::Task(e.to_string()))??;
    let others = other_faces(storage, sites, employee_id, &examined.model_version).await?;
    let mut own = Vec::new();
    for t in storage.templates(employee_id).await?.into_iter().filter(|t| t.model_version == examined.model_version) {
        own.push(
            Embedding::from_raw(t.embedding).map_err(|x| EnrolError::BadTemplate { employee_id: employee_id.to_owned(), detail: x.to_string() })?,
        );
    }
    let score = examined.score.clone();
    let set = decide(employee_id, examined, &own, &others)?;
    let nearest_other = nearest(&set, &others, &score);
    for t in &set.templates {
        storage.add_template(employee_id, &set.model_version, t.as_slice(), now_ms).await?;
    }
    Ok(Enrolled { templates: set.templates.len(), nearest_other })
}

fn nearest(set: &TemplateSet, others: &[OtherFace], map: &ScoreMap) -> Option<(String, f32)> {
    let sets: Vec<TemplateSet> = others.iter().map(|o| o.set.clone()).collect();
    // Every other face, best first: the nearest is the first.
    let all = find_duplicates(set, &sets, map, f32::NEG_INFINITY).ok()?;
    all.into_iter().next().map(|d| (d.name, d.percent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_models::embedding::DIM;

    fn unit(angle: f32) -> Embedding {
        let mut v = vec![0.0f32; DIM];
        v[0] = angle.cos();
        v[1] = angle.sin();
        Embedding::from_raw(v).unwrap()
    }

    fn examined(photos: Vec<Result<Embedding, PhotoProblem>>) -> Examined {
        Examined {
            model_version: "m".into(),
            score: ScoreMap::default(),
            photos: photos.into_iter().enumerate().map(|(i, p)| (format!("f{}.jpg", i + 1), p)).collect(),
        }
    }

    fn other(id: &str, name: &str, angle: f32) -> OtherFace {
        OtherFace { name: name.into(), set: TemplateSet { name: id.into(), model_version: "m".into(), templates: vec![unit(angle)] } }
    }

    #[test]
    fn decisions() {
        let good = || vec![Ok(unit(0.0)), Ok(unit(0.1)), Ok(unit(-0.1))];
        // (photos, others, expected: Ok(templates) or a refusal check)
        type Check = fn(&Result<TemplateSet, Refusal>) -> bool;
        let cases: Vec<(&str, Vec<Result<Embedding, PhotoProblem>>, Vec<OtherFace>, Check)> = vec![
            ("three good photos", good(), vec![], |r| matches!(r, Ok(s) if s.templates.len() == 3)),
            // The employee's own enrolled face is at angle 0.05 (see below): far photos are refused.
            ("another person under an enrolled NIP", vec![Ok(unit(2.0)), Ok(unit(2.1)), Ok(unit(1.9))], vec![], |r| {
                matches!(r, Err(Refusal::NotTheEnrolledFace { file, .. }) if file == "f1.jpg")
            }),
            ("two photos", vec![Ok(unit(0.0)), Ok(unit(0.1))], vec![], |r| matches!(r, Err(Refusal::TooFew { given: 2 }))),
            ("eleven photos", (0..11).map(|_| Ok(unit(0.0))).collect(), vec![], |r| matches!(r, Err(Refusal::TooMany { given: 11 }))),
            (
                "several faces and not an image",
                vec![Ok(unit(0.0)), Err(PhotoProblem::Face(QualityIssue::SeveralFaces)), Err(PhotoProblem::NotAnImage)],
                vec![],
                |r| matches!(r, Err(Refusal::Photos(v)) if v.len() == 2 && v[0].0 == "f2.jpg" && v[1].1 == PhotoProblem::NotAnImage),
            ),
            // cos(1.4) ≈ 0.17: well under the enrolment minimum.
            ("two people", vec![Ok(unit(0.0)), Ok(unit(0.1)), Ok(unit(1.4))], vec![], |r| {
                matches!(r, Err(Refusal::NotOnePerson { first, second, .. }) if first == "f1.jpg" && second == "f3.jpg")
            }),
            ("someone else's face", good(), vec![other("E9", "Siti", 2.0), other("E7", "Budi", 0.05)], |r| {
                matches!(r, Err(Refusal::Duplicate { employee_id, name, percent }) if employee_id == "E7" && name == "Budi" && *percent >= 80.0)
            }),
            // Nearest photo at 1.1 rad: cos ≈ 0.45, about 71 % — alike, but under the valid band.
            ("a look-alike under the valid band", good(), vec![other("E7", "Budi", 1.2)], |r| r.is_ok()),
        ];
        for (name, photos, others, check) in cases {
            let own = [unit(0.05)];
            let r = decide("E1", examined(photos), &own, &others).map_err(|e| match e {
                EnrolError::Refused(r) => r,
                other => panic!("{name}: {other}"),
            });
            assert!(check(&r), "{name}: {r:?}");
        }
    }

    #[test]
    fn messages_name_the_photo_and_the_reason() {
        let r = Refusal::Photos(vec![("grup.jpg".into(), PhotoProblem::Face(QualityIssue::SeveralFaces))]);
        assert_eq!(
            r.message(Lang::Id),
            "Foto tidak dapat dipakai — grup.jpg: ada lebih dari satu wajah; satu foto hanya boleh berisi satu orang."
        );
        assert!(r.message(Lang::En).contains("more than one face"));
        let d = Refusal::Duplicate { employee_id: "E7".into(), name: "Budi".into(), percent: 93.4 };
        assert!(d.message(Lang::Id).contains("sudah terdaftar sebagai Budi (NIP E7), kemiripan 93%"));
    }

    #[test]
    fn not_an_image_and_oversized_uploads() {
        assert_eq!(decode_photo(b"not a photo").unwrap_err(), PhotoProblem::NotAnImage);
        assert_eq!(decode_photo(&vec![0u8; MAX_PHOTO_BYTES + 1]).unwrap_err(), PhotoProblem::TooLarge);
        let mut png = Vec::new();
        RgbImage::new(4, 3).write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert_eq!(decode_photo(&png).unwrap().dimensions(), (4, 3));
    }

    /// A phone's photo: WebP saved under a `.jpg` name, or a JPEG whose EXIF says "rotate 90°".
    #[test]
    fn webp_and_exif_orientation_are_read_by_content() {
        let mut img = RgbImage::new(6, 4);
        img.put_pixel(0, 0, image::Rgb([250, 10, 10]));
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp).encode(img.as_raw(), 6, 4, image::ExtendedColorType::Rgb8).unwrap();
        assert_eq!(decode_photo(&webp).unwrap(), img, "lossless WebP reads back exactly");
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
        assert_eq!(decode_photo(&with_exif_orientation(&jpeg, 6)).unwrap().dimensions(), (4, 6), "EXIF 6: turned upright");
        assert_eq!(decode_photo(&with_exif_orientation(&jpeg, 1)).unwrap().dimensions(), (6, 4), "EXIF 1: as stored");
    }

    /// `jpeg` with an APP1 EXIF segment holding one tag, Orientation (0x0112) = `value`.
    pub(crate) fn with_exif_orientation(jpeg: &[u8], value: u16) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0]);
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&u32::from(value).to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}
