//! Reading photos from files into RGB frames, the way a camera would deliver them: EXIF
//! orientation applied, alpha dropped, any bit depth brought to 8-bit RGB.
//!
//! The kiosk gets frames from `hadir-hal`; this is for the CLI, enrolment from photo files and
//! tests.

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::path::{Path, PathBuf};

/// A photo could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read image {path}: {message}")]
pub struct PhotoError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong (I/O or decoding).
    pub message: String,
}

/// Reads an image file as an upright 8-bit RGB frame.
pub fn load_rgb(path: &Path) -> Result<RgbImage, PhotoError> {
    let fail = |message: String| PhotoError {
        path: path.to_path_buf(),
        message,
    };
    let reader = ImageReader::open(path)
        .map_err(|e| fail(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| fail(e.to_string()))?;
    let mut decoder = reader.into_decoder().map_err(|e| fail(e.to_string()))?;
    let orientation = decoder.orientation().map_err(|e| fail(e.to_string()))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| fail(e.to_string()))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messaging apps save WebP under a `.jpg` name: the content decides.
    #[test]
    fn a_webp_named_jpg_is_read() {
        let mut img = RgbImage::new(5, 3);
        img.put_pixel(4, 2, image::Rgb([1, 200, 3]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wajah.jpg");
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp).encode(img.as_raw(), 5, 3, image::ExtendedColorType::Rgb8).unwrap();
        std::fs::write(&path, webp).unwrap();
        assert_eq!(load_rgb(&path).unwrap(), img);
    }
}
