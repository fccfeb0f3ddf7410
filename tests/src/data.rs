//! Where the shared test photos and the face models are.
//!
//! Both are outside the repository: photos in `../shared/faces` (or `$HADIR_SHARED_DIR/faces`),
//! models in `models/onnx` (or `$HADIR_MODELS_DIR`, fetched by `cargo xtask setup`). A test that
//! needs them panics with the fix instead of passing silently.

use std::path::PathBuf;

/// The shared test data folder (`$HADIR_SHARED_DIR`, default `<workspace>/../shared`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// A photo under `faces/`; panics with the fix when it is missing.
pub fn face_photo(rel: &str) -> PathBuf {
    let p = shared_dir().join("faces").join(rel);
    assert!(
        p.is_file(),
        "test photo {} is missing: put the shared test data (faces/people, faces/hard …) in ../shared \
         next to the workspace, or set HADIR_SHARED_DIR to that folder",
        p.display()
    );
    p
}

/// The ONNX models folder; panics with the fix when the models are not there.
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("HADIR_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/onnx")));
    assert!(
        dir.join("fr_feature.onnx").is_file() && dir.join("fr_detect.onnx").is_file(),
        "face models missing in {}: run `cargo xtask setup` (or set HADIR_MODELS_DIR)",
        dir.display()
    );
    dir
}
