//! Pixel conversions from what cameras send to RGB8: packed YUYV (YUV 4:2:2) and MJPEG.
//!
//! Pure functions, no device. YUYV uses the BT.601 limited-range ("studio swing") matrix in
//! 8.8 fixed point, which is what UVC webcams and the `vivid` driver produce. The loop works on
//! whole 2-pixel groups so the compiler can vectorise it; see `hadir-hal bench` for figures.

use image::RgbImage;

/// Why a buffer could not be converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    /// The buffer is shorter than width × height × 2 bytes (truncated frame).
    #[error("YUYV frame {width}x{height} needs {needed} bytes, got {got} (truncated frame)")]
    ShortYuyv {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
        /// Bytes expected.
        needed: usize,
        /// Bytes received.
        got: usize,
    },
    /// YUYV needs an even width (pixels come in pairs).
    #[error("YUYV frame width {0} is odd")]
    OddWidth(u32),
    /// The JPEG data did not decode.
    #[error("MJPEG frame does not decode: {0}")]
    Jpeg(String),
}

#[inline(always)]
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Converts one YUYV pixel pair into two RGB pixels.
#[inline(always)]
fn pair(y0: u8, u: u8, y1: u8, v: u8, out: &mut [u8]) {
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let r = 409 * e + 128;
    let g = -100 * d - 208 * e + 128;
    let b = 516 * d + 128;
    let c0 = 298 * (i32::from(y0) - 16);
    let c1 = 298 * (i32::from(y1) - 16);
    out[0] = clamp((c0 + r) >> 8);
    out[1] = clamp((c0 + g) >> 8);
    out[2] = clamp((c0 + b) >> 8);
    out[3] = clamp((c1 + r) >> 8);
    out[4] = clamp((c1 + g) >> 8);
    out[5] = clamp((c1 + b) >> 8);
}

/// Converts a packed YUYV buffer into `out` (RGB8, `width * height * 3` bytes). Extra input
/// bytes (drivers pad buffers) are ignored.
pub fn yuyv_to_rgb_into(data: &[u8], width: u32, height: u32, out: &mut [u8]) -> Result<(), ConvertError> {
    if !width.is_multiple_of(2) {
        return Err(ConvertError::OddWidth(width));
    }
    let pixels = width as usize * height as usize;
    let needed = pixels * 2;
    if data.len() < needed {
        return Err(ConvertError::ShortYuyv { width, height, needed, got: data.len() });
    }
    let out = &mut out[..pixels * 3];
    for (src, dst) in data[..needed].chunks_exact(4).zip(out.chunks_exact_mut(6)) {
        pair(src[0], src[1], src[2], src[3], dst);
    }
    Ok(())
}

/// Converts a packed YUYV buffer to a new RGB image.
pub fn yuyv_to_rgb(data: &[u8], width: u32, height: u32) -> Result<RgbImage, ConvertError> {
    let mut out = vec![0u8; width as usize * height as usize * 3];
    yuyv_to_rgb_into(data, width, height, &mut out)?;
    RgbImage::from_raw(width, height, out).ok_or(ConvertError::ShortYuyv {
        width,
        height,
        needed: width as usize * height as usize * 2,
        got: data.len(),
    })
}

/// Whether a JPEG carries its own Huffman tables (a DHT segment before the scan). Many USB
/// cameras leave them out of MJPEG frames and rely on the standard tables (JPEG Annex K).
pub fn has_huffman_tables(data: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return false;
        }
        match data[i + 1] {
            0xC4 => return true,
            0xDA | 0xD9 => return false,
            // Fill bytes before a marker.
            0xFF => i += 1,
            _ => i += 2 + usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]])),
        }
    }
    false
}

/// The APP0 "AVI1" segment that marks a frame as MJPEG: the decoder then supplies the
/// standard Huffman tables the frame omits.
const AVI1_APP0: [u8; 9] = [0xFF, 0xE0, 0x00, 0x07, b'A', b'V', b'I', b'1', 0x00];

/// Decodes one MJPEG frame (a JPEG image) to RGB, also when it omits its Huffman tables.
pub fn mjpeg_to_rgb(data: &[u8]) -> Result<RgbImage, ConvertError> {
    let patched;
    let data = if data.starts_with(&[0xFF, 0xD8]) && !has_huffman_tables(data) {
        patched = [&data[..2], &AVI1_APP0[..], &data[2..]].concat();
        patched.as_slice()
    } else {
        data
    };
    let image = image::load_from_memory_with_format(data, image::ImageFormat::Jpeg)
        .map_err(|e| ConvertError::Jpeg(e.to_string()))?;
    Ok(image.into_rgb8())
}

/// Converts RGB to YUYV (BT.601 limited range); the inverse of [`yuyv_to_rgb`], used by the
/// simulated camera's tests and the benchmark to make realistic input.
pub fn rgb_to_yuyv(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::with_capacity(image.as_raw().len() / 3 * 2);
    for px in image.as_raw().chunks_exact(6) {
        let yuv = |r: u8, g: u8, b: u8| {
            let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
            let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
            let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
            let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
            (clamp(y), clamp(u), clamp(v))
        };
        let (y0, u0, v0) = yuv(px[0], px[1], px[2]);
        let (y1, u1, v1) = yuv(px[3], px[4], px[5]);
        let u = ((u16::from(u0) + u16::from(u1)) / 2) as u8;
        let v = ((u16::from(v0) + u16::from(v1)) / 2) as u8;
        out.extend_from_slice(&[y0, u, y1, v]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_reference_colours() {
        // (Y, U, V) -> RGB, BT.601 limited range (the standard 75 %/100 % colour-bar values;
        // integer rounding leaves a 1 in some channels).
        let cases: &[([u8; 3], [u8; 3])] = &[
            ([16, 128, 128], [0, 0, 0]),
            ([235, 128, 128], [255, 255, 255]),
            ([126, 128, 128], [128, 128, 128]),
            ([82, 90, 240], [255, 1, 0]),
            ([145, 54, 34], [0, 255, 1]),
            ([41, 240, 110], [0, 0, 255]),
            ([0, 0, 0], [0, 135, 0]),
            ([255, 255, 255], [255, 125, 255]),
        ];
        for ([y, u, v], rgb) in cases {
            let img = yuyv_to_rgb(&[*y, *u, *y, *v], 2, 1).unwrap();
            assert_eq!(img.get_pixel(0, 0).0, *rgb, "yuv {y},{u},{v}");
            assert_eq!(img.get_pixel(1, 0).0, *rgb, "yuv {y},{u},{v}");
        }
    }

    #[test]
    fn yuyv_errors_and_padding() {
        assert_eq!(yuyv_to_rgb(&[0; 4], 3, 1), Err(ConvertError::OddWidth(3)));
        assert!(matches!(yuyv_to_rgb(&[0; 7], 2, 2), Err(ConvertError::ShortYuyv { needed: 8, got: 7, .. })));
        // Padded buffers are fine.
        assert_eq!(yuyv_to_rgb(&[16, 128, 16, 128, 0, 0], 2, 1).unwrap().dimensions(), (2, 1));
    }

    #[test]
    fn rgb_round_trips_through_yuyv() {
        let img = RgbImage::from_fn(64, 8, |x, y| image::Rgb([(x * 4) as u8, (y * 30) as u8, 200]));
        let back = yuyv_to_rgb(&rgb_to_yuyv(&img), 64, 8).unwrap();
        for (a, b) in img.pixels().zip(back.pixels()) {
            for c in 0..3 {
                assert!(a.0[c].abs_diff(b.0[c]) <= 6, "{a:?} vs {b:?}");
            }
        }
    }

    /// Removes the DHT segments of a JPEG, as many webcams send MJPEG frames.
    fn strip_huffman_tables(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        let mut i = 2;
        while jpeg[i + 1] != 0xDA {
            let len = 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
            if jpeg[i + 1] != 0xC4 {
                out.extend_from_slice(&jpeg[i..i + len]);
            }
            i += len;
        }
        out.extend_from_slice(&jpeg[i..]);
        out
    }

    #[test]
    fn mjpeg_without_huffman_tables_decodes_with_the_standard_ones() {
        let img = RgbImage::from_fn(64, 32, |x, y| image::Rgb([(x * 4) as u8, (y * 8) as u8, 90]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).unwrap();
        assert!(has_huffman_tables(&jpeg));
        let bare = strip_huffman_tables(&jpeg);
        assert!(!has_huffman_tables(&bare));
        assert!(bare.len() < jpeg.len());
        // A plain JPEG decoder cannot read it without the tables.
        assert!(image::load_from_memory_with_format(&bare, image::ImageFormat::Jpeg).is_err());
        let full = mjpeg_to_rgb(&jpeg).unwrap();
        let back = mjpeg_to_rgb(&bare).unwrap();
        assert_eq!(back, full, "the encoder uses the standard tables, so the pictures are identical");
    }

    #[test]
    fn mjpeg_decodes_and_rejects_garbage() {
        let img = RgbImage::from_fn(32, 16, |x, _| image::Rgb([(x * 8) as u8, 100, 50]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&img).unwrap();
        let back = mjpeg_to_rgb(&jpeg).unwrap();
        assert_eq!(back.dimensions(), (32, 16));
        assert!(back.get_pixel(16, 8).0[0].abs_diff(128) <= 8);
        assert!(matches!(mjpeg_to_rgb(&jpeg[..jpeg.len() / 3]), Err(ConvertError::Jpeg(_))));
        assert!(matches!(mjpeg_to_rgb(b"not a jpeg"), Err(ConvertError::Jpeg(_))));
    }
}
