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
    assert!(
        text.contains("fr_eye.onnx") && text.contains("cargo xtask setup"),
        "{text}"
    );
}

#[test]
fn a_truncated_real_model_is_refused() {
    let models = crate::support::models_dir();
    let bytes = std::fs::read(models.join("fr_eye.onnx")).expect("read model");
    let err = Network::from_bytes(
        ModelFile::Eye,
        &bytes[..bytes.len() / 2],
        &models.join("fr_eye.onnx"),
    )
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
        assert!(
            !out.is_empty() && out.iter().all(|o| o.iter().all(|v| v.is_finite())),
            "{file:?}"
        );
        // The wrong input length is an error, not a panic.
        assert!(net.run(vec![0.0; len - 1]).is_err());
    }
}

#[test]
fn an_invalid_configuration_is_refused_before_loading() {
    let config = hadir_models::EngineConfig {
        live_threshold: 1.5,
        ..Default::default()
    };
    let err = FaceEngine::load_with(std::path::Path::new("/nonexistent"), config)
        .expect_err("bad config");
    assert!(
        matches!(
            err,
            ModelError::Config {
                field: "live_threshold",
                ..
            }
        ),
        "{err}"
    );
    let config = hadir_models::EngineConfig {
        threads: 0,
        ..Default::default()
    };
    assert!(config.validate().is_err());
    assert!(hadir_models::EngineConfig::default().validate().is_ok());
}

/// Our operators in place of tract's (`hadir_models::prelu`, `softmax`, `pool`, `narrow`,
/// `separable`), with the negligible weights zeroed, give every model the stock outputs, to
/// float rounding.
#[test]
fn our_operators_match_the_stock_ones() {
    use tract_onnx::prelude::*;
    let models = crate::support::models_dir();
    for file in ModelFile::ALL {
        let shape = file.input_shape();
        let len: usize = shape.iter().product();
        // A deterministic input spanning negative and positive values.
        let input: Vec<f32> = (0..len)
            .map(|i| ((i * 7919) % 511) as f32 - 255.0)
            .collect();
        // Each model's input range (see the README's preprocessing table).
        let input = match file {
            ModelFile::Feature | ModelFile::Detect => input.iter().map(|v| v / 128.0).collect(),
            ModelFile::Landmark | ModelFile::Eye => input.iter().map(|v| v.abs() / 256.0).collect(),
            ModelFile::Liveness | ModelFile::Pose => input.iter().map(|v| v.abs()).collect::<Vec<f32>>(),
        };
        let path = models.join(file.file_name());
        let stock = tract_onnx::onnx()
            .model_for_path(&path)
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .expect("stock model");
        let tensor = tract_ndarray::Array4::from_shape_vec(shape, input.clone())
            .expect("shape")
            .into_tensor();
        let want = stock.run(tvec!(tensor.into_tvalue())).expect("stock run");
        let got = Network::load(&models, file).expect("load").run(input).expect("run");
        assert_eq!(want.len(), got.len(), "{file:?}: outputs");
        for (want, got) in want.iter().zip(&got) {
            let want = want.to_plain_array_view::<f32>().expect("f32");
            assert_eq!(want.len(), got.len());
            let worst = want
                .iter()
                .zip(got)
                .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
                .fold(0.0, f32::max);
            eprintln!("{file:?}: largest relative difference {worst:e}");
            assert!(worst < 1e-4, "{file:?}: {worst}");
        }
    }
}
