//! Shared helpers: where the models and photos are, one engine for all tests, small stats.

use hadir_models::photo::load_rgb;
use hadir_models::{Embedding, FaceEngine};
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The models folder; fails the test with the fix if a model is missing.
pub fn models_dir() -> PathBuf {
    let dir = hadir_models::default_models_dir();
    for file in hadir_models::network::ModelFile::ALL {
        let path = dir.join(file.file_name());
        assert!(
            path.is_file(),
            "face model {} is missing: run `cargo xtask setup` (or set HADIR_MODELS_DIR)",
            path.display()
        );
    }
    dir
}

/// `HADIR_SHARED_DIR/faces`, default `<workspace>/../shared/faces`; fails if absent.
pub fn faces_dir() -> PathBuf {
    let shared = match std::env::var_os("HADIR_SHARED_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    let faces = shared.join("faces");
    assert!(
        faces.join("people").is_dir(),
        "test photos not found in {}: put the shared test data beside the workspace \
         (../shared/faces) or set HADIR_SHARED_DIR",
        faces.display()
    );
    faces
}

/// One engine shared by every test of this binary (loading takes a moment).
pub fn engine() -> MutexGuard<'static, FaceEngine> {
    static ENGINE: OnceLock<Mutex<FaceEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let dir = models_dir();
            Mutex::new(FaceEngine::load(&dir).unwrap_or_else(|e| panic!("{e}")))
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads a photo below the faces folder.
pub fn photo(relative: &str) -> RgbImage {
    let path = faces_dir().join(relative);
    load_rgb(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// `(identity, relative path)` of every photo in `people/`, sorted.
pub fn people() -> Vec<(String, String)> {
    let root = faces_dir().join("people");
    let mut out = Vec::new();
    for person in std::fs::read_dir(&root).expect("people/ is readable") {
        let person = person.expect("entry").path();
        if !person.is_dir() {
            continue;
        }
        let who = person
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        for file in std::fs::read_dir(&person).expect("person folder is readable") {
            let file = file.expect("entry").path();
            let name = file
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            out.push((who.clone(), format!("people/{who}/{name}")));
        }
    }
    out.sort();
    assert!(out.len() >= 4, "people/ holds too few photos: {out:?}");
    out
}

/// The subject's embedding of a photo; fails if no face.
pub fn embedding_of(engine: &mut FaceEngine, relative: &str) -> Embedding {
    let a = engine
        .analyze(&photo(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    a.subject
        .unwrap_or_else(|| panic!("{relative}: no face found"))
        .embedding
}

/// "n, min, median, mean, max" of a list of numbers.
pub fn describe(values: &[f32]) -> String {
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    if v.is_empty() {
        return "n=0".into();
    }
    let mean = v.iter().sum::<f32>() / v.len() as f32;
    format!(
        "n={} min={:.1} median={:.1} mean={:.1} max={:.1}",
        v.len(),
        v[0],
        v[v.len() / 2],
        mean,
        v[v.len() - 1]
    )
}
