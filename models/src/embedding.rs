//! The 512-d face embedding from `fr_feature`, its alignment, and the comparison of two.
//!
//! Alignment: the five landmark points are mapped onto [`ARCFACE_REFERENCE_112`] by the
//! least-squares similarity transform (the JavaScript fits an affine map through only three
//! points, which shears the face and ignores the mouth), and the frame is warped to 112×112
//! with anti-aliasing (so a 1080p and a 480p photo of one face give the same crop).
//!
//! Input: `(v − 127.5) / 128` in **BGR** plane order. The JavaScript feeds RGB (a browser
//! canvas), but on the shared test photos BGR gives every genuine pair a higher cosine and every
//! impostor pair a lower one than RGB (genuine mean 0.74 vs 0.69, impostor max 0.15 vs 0.19),
//! which is what the order the network was trained with does; insightface-style models read
//! their training images with OpenCV.
//! The output is L2-normalised here; two embeddings compare by their cosine, which for unit
//! vectors is the dot product. (The JavaScript's `matchFeature` subtracts the pair's mean from
//! both vectors before the cosine, which makes every comparison −1.)

use crate::geometry::{ARCFACE_REFERENCE_112, Affine, Point, similarity_lstsq};
use crate::sampling::{self, ChannelOrder};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Side of the aligned face crop.
pub const SIZE: u32 = 112;
/// Length of an embedding.
pub const DIM: usize = 512;

/// The transform from frame coordinates to the aligned 112×112 crop, `None` if the points are
/// degenerate.
pub fn alignment(five: &[Point; 5]) -> Option<Affine> {
    similarity_lstsq(five, &ARCFACE_REFERENCE_112)
}

/// The aligned 112×112 face.
pub fn align(frame: &RgbImage, to_crop: &Affine) -> RgbImage {
    sampling::warp(frame, to_crop, SIZE, SIZE, true)
}

/// The model input for an aligned face.
pub fn input(aligned: &RgbImage) -> Vec<f32> {
    sampling::planar(aligned, ChannelOrder::Bgr, 127.5, 1.0 / 128.0)
}

/// A unit-length face embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f32>", into = "Vec<f32>")]
pub struct Embedding(Vec<f32>);

/// Why a vector is not an embedding.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbeddingError {
    /// Wrong length.
    #[error("an embedding has {DIM} values, got {0}")]
    Length(usize),
    /// Zero, infinite or NaN values: nothing to normalise.
    #[error("an embedding must be finite and non-zero")]
    Degenerate,
}

impl Embedding {
    /// L2-normalises a raw model output.
    pub fn from_raw(raw: Vec<f32>) -> Result<Self, EmbeddingError> {
        if raw.len() != DIM {
            return Err(EmbeddingError::Length(raw.len()));
        }
        let norm = raw
            .iter()
            .map(|v| f64::from(*v) * f64::from(*v))
            .sum::<f64>()
            .sqrt();
        if !norm.is_finite() || norm < 1e-12 {
            return Err(EmbeddingError::Degenerate);
        }
        Ok(Self(
            raw.into_iter()
                .map(|v| (f64::from(v) / norm) as f32)
                .collect(),
        ))
    }

    /// The unit vector.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity with another embedding, in `[-1, 1]`.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        cosine(&self.0, &other.0)
    }
}

impl TryFrom<Vec<f32>> for Embedding {
    type Error = EmbeddingError;
    fn try_from(raw: Vec<f32>) -> Result<Self, Self::Error> {
        Embedding::from_raw(raw)
    }
}

impl From<Embedding> for Vec<f32> {
    fn from(e: Embedding) -> Self {
        e.0
    }
}

/// Cosine similarity of two vectors (0 if either is zero), clamped to `[-1, 1]`.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na <= 0.0 || nb <= 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_known_vectors() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
        assert!((cosine(&[1.0, 1.0], &[-2.0, -2.0]) + 1.0).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[1.0, 1.0]) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
    }

    #[test]
    fn embeddings_are_unit_length_and_validated() {
        let mut raw = vec![0.0f32; DIM];
        raw[3] = 4.0;
        raw[7] = 3.0;
        let e = Embedding::from_raw(raw).unwrap();
        assert!((e.as_slice()[3] - 0.8).abs() < 1e-6);
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        assert_eq!(
            Embedding::from_raw(vec![1.0; 10]),
            Err(EmbeddingError::Length(10))
        );
        assert_eq!(
            Embedding::from_raw(vec![0.0; DIM]),
            Err(EmbeddingError::Degenerate)
        );
        let mut nan = vec![1.0; DIM];
        nan[0] = f32::NAN;
        assert_eq!(Embedding::from_raw(nan), Err(EmbeddingError::Degenerate));
        // Serde refuses what from_raw refuses.
        assert!(serde_json::from_str::<Embedding>("[1.0, 2.0]").is_err());
    }

    #[test]
    fn alignment_maps_the_five_points_onto_the_reference() {
        let five = ARCFACE_REFERENCE_112.map(|p| Point::new(p.x * 3.0 + 40.0, p.y * 3.0 + 10.0));
        let t = alignment(&five).unwrap();
        for (p, r) in five.iter().zip(ARCFACE_REFERENCE_112) {
            assert!(t.apply(*p).distance(r) < 1e-3);
        }
    }
}
