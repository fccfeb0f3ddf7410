//! The crate's error type: what failed, on which file or input, and how to fix it.

use std::path::PathBuf;

/// Everything that can go wrong loading or running the face models.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model file is not there.
    #[error(
        "face model {path} is missing: run `cargo xtask setup` to fetch the face models \
         (or set HADIR_MODELS_DIR to a folder that has them)"
    )]
    Missing {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The model file exists but could not be read.
    #[error("cannot read face model {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not the pinned model (changed, truncated or another version).
    #[error(
        "face model {path} is corrupt or a different version (SHA-256 {actual}, expected \
         {expected}): delete it and run `cargo xtask setup` to fetch it again"
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The pinned sum.
        expected: &'static str,
        /// The sum of what was read.
        actual: String,
    },
    /// tract could not parse or optimise the model.
    #[error(
        "face model {path} could not be loaded ({message}): run `cargo xtask setup` to fetch it again"
    )]
    Load {
        /// The file.
        path: PathBuf,
        /// tract's error chain.
        message: String,
    },
    /// A configuration value is out of range.
    #[error("face engine setting `{field}`: {message}")]
    Config {
        /// The setting, as written in the configuration file.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A model failed while running (a bug or a resource problem, not bad user input).
    #[error("running face model {file} failed: {message}")]
    Inference {
        /// The model file name.
        file: &'static str,
        /// tract's error chain.
        message: String,
    },
}
