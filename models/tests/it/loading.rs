//! Loading errors name the file and the fix.

use hadir_models::network::{ModelFile, Network};
use hadir_models::{FaceEngine, ModelError};

#[test]
fn a_missing_model_names_the_file_and_cargo_xtask_setup() {
    let empty = tempfile::tempdir().expect("temp dir");
    let err = FaceEngine::load(empty.path()).expect_err("no models in an empty folder");
    assert!(matches!(err, ModelError::Missing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("fr_detect.onnx"), "{text}");
    assert!(text.contains("cargo xtask setup"), "{text}");
}

#[test]
fn a_corrupt_model_is_refused_by_its_checksum() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("fr_eye.onnx"), b"not an onnx model").expect("write");
    let err = Network::load(dir.path(), ModelFile::Eye).expect_err("corrupt model");
    assert!(matches!(err, ModelError::Checksum { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("fr_eye.onnx") && text.contains("cargo xtask setup"), "{text}");
}

#[test]
fn a_truncated_real_model_is_refused() {
    let models = crate::support::models_dir();
    let bytes = std::fs::read(models.join("fr_eye.onnx")).expect("read model");
    let err = Network::from_bytes(ModelFile::Eye, &bytes[..bytes.len() / 2], &models.join("fr_eye.onnx"))
        .expect_err("half a model");
    assert!(err.to_string().contains("cargo xtask setup"), "{err}");
}

#[test]
fn every_model_loads_with_its_fixed_shape() {
    let models = crate::support::models_dir();
    for file in ModelFile::ALL {
        let mut net = Network::load(&models, file).unwrap_or_else(|e| panic!("{e}"));
        let len: usize = file.input_shape().iter().product();
        let out = net.run(vec![0.0; len]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.is_empty() && out.iter().all(|o| o.iter().all(|v| v.is_finite())), "{file:?}");
        // The wrong input length is an error, not a panic.
        assert!(net.run(vec![0.0; len - 1]).is_err());
    }
}

#[test]
fn an_invalid_configuration_is_refused_before_loading() {
    let config = hadir_models::EngineConfig { live_threshold: 1.5, ..Default::default() };
    let err = FaceEngine::load_with(std::path::Path::new("/nonexistent"), config).expect_err("bad config");
    assert!(matches!(err, ModelError::Config { field: "live_threshold", .. }), "{err}");
    let config = hadir_models::EngineConfig { threads: 0, ..Default::default() };
    assert!(config.validate().is_err());
    assert!(hadir_models::EngineConfig::default().validate().is_ok());
}
