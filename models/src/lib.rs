//! # hadir-models: on-device face verification
//!
//! Face detection, 68-point landmarks, alignment to 112×112, the 512-d embedding and liveness,
//! run with `tract-onnx`, and the calibrated match score in the users' bands.
//!
//! This crate owns inference and scoring; it never stores templates or makes records.
