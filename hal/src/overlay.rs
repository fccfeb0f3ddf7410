//! Overlays on camera frames for the UI's preview, drawn with `embedded-graphics`.
//!
//! [`RgbCanvas`] is a `DrawTarget` over an `image::RgbImage` (pixels outside are clipped), so
//! any embedded-graphics primitive or text can be drawn on a frame. [`draw_face_box`] and
//! [`draw_guide_oval`] are the two the kiosk needs.

use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Polyline, PrimitiveStyle, PrimitiveStyleBuilder, Rectangle, StrokeAlignment};
use image::{Rgb, RgbImage};
use std::convert::Infallible;

/// A drawing surface over an RGB frame.
pub struct RgbCanvas<'a>(pub &'a mut RgbImage);

impl OriginDimensions for RgbCanvas<'_> {
    fn size(&self) -> Size {
        Size::new(self.0.width(), self.0.height())
    }
}

impl DrawTarget for RgbCanvas<'_> {
    type Color = Rgb888;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let (w, h) = self.0.dimensions();
        for Pixel(p, c) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y))
                && x < w
                && y < h
            {
                self.0.put_pixel(x, y, Rgb([c.r(), c.g(), c.b()]));
            }
        }
        Ok(())
    }
}

/// A face's box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// Colour of an overlay (RGB).
pub type Colour = [u8; 3];

/// Draws a face box outline, `thickness` pixels wide, inside the box.
pub fn draw_face_box(frame: &mut RgbImage, face: FaceBox, colour: Colour, thickness: u32) {
    let rect = Rectangle::new(
        Point::new(face.x.round() as i32, face.y.round() as i32),
        Size::new(face.width.max(0.0).round() as u32, face.height.max(0.0).round() as u32),
    );
    let style = PrimitiveStyleBuilder::new()
        .stroke_color(Rgb888::new(colour[0], colour[1], colour[2]))
        .stroke_width(thickness)
        .stroke_alignment(StrokeAlignment::Inside)
        .build();
    let Ok(()) = rect.into_styled(style).draw(&mut RgbCanvas(frame));
}

/// Draws the guide oval where a face should be: centred, 45 % of the width, 75 % of the
/// height (a portrait oval that fits the frame).
///
/// Drawn as a 96-segment polyline: embedded-graphics' own `Ellipse` overflows its integer
/// arithmetic at preview sizes (a 288×360 ellipse at 640×480).
pub fn draw_guide_oval(frame: &mut RgbImage, colour: Colour, thickness: u32) {
    let (w, h) = frame.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (rx, ry) = (w as f32 * 0.45 / 2.0, h as f32 * 0.75 / 2.0);
    let points: Vec<Point> = (0..=96)
        .map(|i| {
            let a = i as f32 / 96.0 * std::f32::consts::TAU;
            Point::new((cx + rx * a.cos()).round() as i32, (cy + ry * a.sin()).round() as i32)
        })
        .collect();
    let style = PrimitiveStyle::with_stroke(Rgb888::new(colour[0], colour[1], colour[2]), thickness);
    let Ok(()) = Polyline::new(&points).into_styled(style).draw(&mut RgbCanvas(frame));
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREEN: Colour = [0, 255, 0];

    #[test]
    fn face_box_outline_is_drawn_and_clipped() {
        let mut img = RgbImage::new(100, 80);
        draw_face_box(&mut img, FaceBox { x: 10.0, y: 20.0, width: 30.0, height: 40.0 }, GREEN, 2);
        let px = |x, y| img.get_pixel(x, y).0;
        assert_eq!(px(10, 20), GREEN); // corner
        assert_eq!(px(25, 21), GREEN); // top edge, second line
        assert_eq!(px(25, 40), [0, 0, 0]); // inside stays untouched
        assert_eq!(px(39, 59), GREEN); // bottom-right corner
        // Boxes reaching outside the frame do not panic.
        draw_face_box(&mut img, FaceBox { x: -20.0, y: 70.0, width: 200.0, height: 50.0 }, GREEN, 3);
        assert_eq!(img.get_pixel(50, 70).0, GREEN);
    }

    #[test]
    fn guide_oval_is_centred_and_open_inside() {
        let mut img = RgbImage::new(640, 480);
        draw_guide_oval(&mut img, [255, 255, 255], 3);
        let lit = |x: u32, y: u32| img.get_pixel(x, y).0 == [255, 255, 255];
        // Top and bottom of the oval on the vertical centre line, sides on the horizontal.
        assert!((58..64).any(|y| lit(320, y)));
        assert!((417..423).any(|y| lit(320, y)));
        assert!((175..181).any(|x| lit(x, 240)));
        assert!((460..466).any(|x| lit(x, 240)));
        assert!(!lit(320, 240));
        assert!(!lit(10, 10));
    }
}
