//! Simulated cameras: a folder of images, or a scripted sequence of scenes.
//!
//! Frames are fitted into the configured size (aspect ratio kept, grey borders), so that the
//! rest of the kiosk sees exactly what a real camera at that size would give. Timestamps
//! advance by the frame interval (no sleeping: callers pace themselves).

use super::{Camera, CameraError, Frame};
use image::{Rgb, RgbImage, imageops};
use std::path::{Path, PathBuf};
use std::time::Duration;

const BACKGROUND: Rgb<u8> = Rgb([118, 118, 112]);

/// Scales `src` to fit in `width`×`height`, centred on a neutral background.
fn fit(src: &RgbImage, width: u32, height: u32) -> RgbImage {
    let mut canvas = RgbImage::from_pixel(width, height, BACKGROUND);
    place(&mut canvas, src, 0, 0, width, height);
    canvas
}

/// Draws `src` scaled to fit the box (x, y, w, h) of `canvas`, centred in it.
fn place(canvas: &mut RgbImage, src: &RgbImage, x: u32, y: u32, w: u32, h: u32) {
    let (sw, sh) = src.dimensions();
    if sw == 0 || sh == 0 || w == 0 || h == 0 {
        return;
    }
    let scale = f64::min(f64::from(w) / f64::from(sw), f64::from(h) / f64::from(sh));
    let nw = ((f64::from(sw) * scale).round() as u32).clamp(1, w);
    let nh = ((f64::from(sh) * scale).round() as u32).clamp(1, h);
    let scaled = imageops::resize(src, nw, nh, imageops::FilterType::Triangle);
    imageops::overlay(canvas, &scaled, i64::from(x + (w - nw) / 2), i64::from(y + (h - nh) / 2));
}

/// Loads an image file as RGB8.
pub fn load_rgb(path: &Path) -> Result<RgbImage, CameraError> {
    image::open(path)
        .map(|i| i.into_rgb8())
        .map_err(|e| CameraError::Image { path: path.to_path_buf(), reason: e.to_string() })
}

/// A camera that shows the images of a folder (PNG and JPEG, in file-name order), looping.
pub struct FolderCamera {
    files: Vec<PathBuf>,
    next: usize,
    size: (u32, u32),
    sequence: u64,
    interval: Duration,
}

impl FolderCamera {
    /// Lists the folder's images; fails if there are none.
    pub fn open(dir: &Path, width: u32, height: u32) -> Result<Self, CameraError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| CameraError::Image { path: dir.to_path_buf(), reason: e.to_string() })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CameraError::Empty {
                what: dir.display().to_string(),
                fix: "put .png or .jpg images in the folder",
            });
        }
        Ok(Self { files, next: 0, size: (width, height), sequence: 0, interval: Duration::from_millis(100) })
    }
}

impl Camera for FolderCamera {
    fn frame(&mut self) -> Result<Frame, CameraError> {
        let path = &self.files[self.next % self.files.len()];
        self.next = (self.next + 1) % self.files.len();
        let image = fit(&load_rgb(path)?, self.size.0, self.size.1);
        let frame = Frame { image, timestamp: self.interval * self.sequence as u32, sequence: self.sequence };
        self.sequence += 1;
        Ok(frame)
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }
}

/// What a scripted camera shows.
#[derive(Debug, Clone)]
pub enum Scene {
    /// A photo (usually with one face).
    Photo(RgbImage),
    /// An empty scene: a plain wall, no face.
    NoFace,
    /// Two photos side by side: two faces in view.
    TwoFaces(RgbImage, RgbImage),
    /// A photo in a nearly dark room (brightness divided by 12), or black without a photo.
    Dark(Option<RgbImage>),
}

impl Scene {
    /// The scene rendered at a frame size.
    pub fn render(&self, width: u32, height: u32) -> RgbImage {
        match self {
            Scene::Photo(img) => fit(img, width, height),
            Scene::NoFace => RgbImage::from_fn(width, height, |_, y| {
                // A softly lit wall: a vertical gradient, no structure.
                let v = 150u32.saturating_sub(y * 40 / height.max(1)) as u8;
                Rgb([v, v, v.saturating_sub(6)])
            }),
            Scene::TwoFaces(a, b) => {
                let mut canvas = RgbImage::from_pixel(width, height, BACKGROUND);
                place(&mut canvas, a, 0, 0, width / 2, height);
                place(&mut canvas, b, width / 2, 0, width - width / 2, height);
                canvas
            }
            Scene::Dark(img) => {
                let mut out = match img {
                    Some(img) => fit(img, width, height),
                    None => RgbImage::new(width, height),
                };
                out.pixels_mut().for_each(|p| p.0 = p.0.map(|c| c / 12));
                out
            }
        }
    }
}

/// One step of a script: a scene held for a number of frames.
#[derive(Debug, Clone)]
pub struct ScriptStep {
    /// What is in front of the camera.
    pub scene: Scene,
    /// For how many frames.
    pub frames: u32,
}

/// A camera that plays a script of scenes, then starts again.
pub struct ScriptedCamera {
    steps: Vec<(RgbImage, u32)>,
    step: usize,
    shown: u32,
    sequence: u64,
    size: (u32, u32),
    interval: Duration,
}

impl ScriptedCamera {
    /// Renders the script at the frame size; fails on an empty script.
    pub fn new(script: Vec<ScriptStep>, width: u32, height: u32) -> Result<Self, CameraError> {
        let steps: Vec<(RgbImage, u32)> = script
            .into_iter()
            .filter(|s| s.frames > 0)
            .map(|s| (s.scene.render(width, height), s.frames))
            .collect();
        if steps.is_empty() {
            return Err(CameraError::Empty { what: "camera script".into(), fix: "give at least one step with frames > 0" });
        }
        Ok(Self { steps, step: 0, shown: 0, sequence: 0, size: (width, height), interval: Duration::from_millis(100) })
    }

    /// The time between frames' timestamps (default 100 ms).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }
}

impl Camera for ScriptedCamera {
    fn frame(&mut self) -> Result<Frame, CameraError> {
        let (image, frames) = &self.steps[self.step];
        let frame = Frame {
            image: image.clone(),
            timestamp: self.interval * self.sequence as u32,
            sequence: self.sequence,
        };
        self.sequence += 1;
        self.shown += 1;
        if self.shown >= *frames {
            self.shown = 0;
            self.step = (self.step + 1) % self.steps.len();
        }
        Ok(frame)
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(img: &RgbImage) -> f64 {
        img.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>() / img.as_raw().len() as f64
    }

    #[test]
    fn script_plays_in_order_and_loops() {
        let face = RgbImage::from_pixel(40, 80, Rgb([200, 160, 140]));
        let mut cam = ScriptedCamera::new(
            vec![
                ScriptStep { scene: Scene::Photo(face.clone()), frames: 2 },
                ScriptStep { scene: Scene::Dark(Some(face.clone())), frames: 1 },
                ScriptStep { scene: Scene::NoFace, frames: 1 },
                ScriptStep { scene: Scene::TwoFaces(face.clone(), face), frames: 1 },
            ],
            64,
            48,
        )
        .unwrap();
        let frames: Vec<Frame> = (0..6).map(|_| cam.frame().unwrap()).collect();
        assert!(frames.iter().all(|f| f.image.dimensions() == (64, 48)));
        assert_eq!(frames.iter().map(|f| f.sequence).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
        assert_eq!(frames[1].timestamp, Duration::from_millis(100));
        // Photo: skin-coloured centre; dark: much darker; two faces: skin in both halves.
        assert_eq!(frames[0].image.get_pixel(32, 24).0, [200, 160, 140]);
        assert!(mean(&frames[2].image) < mean(&frames[0].image) / 5.0);
        assert_eq!(frames[4].image.get_pixel(16, 24).0, [200, 160, 140]);
        assert_eq!(frames[4].image.get_pixel(48, 24).0, [200, 160, 140]);
        assert_eq!(frames[4].image.get_pixel(32, 24).0, BACKGROUND.0);
        // Looped back to the first step.
        assert_eq!(frames[5].image, frames[0].image);
    }

    #[test]
    fn empty_sources_are_errors() {
        assert!(matches!(ScriptedCamera::new(vec![], 8, 8), Err(CameraError::Empty { .. })));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(FolderCamera::open(dir.path(), 8, 8), Err(CameraError::Empty { .. })));
    }

    #[test]
    fn folder_camera_cycles_through_files() {
        let dir = tempfile::tempdir().unwrap();
        RgbImage::from_pixel(10, 10, Rgb([255, 0, 0])).save(dir.path().join("a.png")).unwrap();
        RgbImage::from_pixel(10, 10, Rgb([0, 0, 255])).save(dir.path().join("b.png")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
        let mut cam = FolderCamera::open(dir.path(), 20, 10).unwrap();
        let colours: Vec<[u8; 3]> = (0..3).map(|_| cam.frame().unwrap().image.get_pixel(10, 5).0).collect();
        assert_eq!(colours, [[255, 0, 0], [0, 0, 255], [255, 0, 0]]);
    }
}
