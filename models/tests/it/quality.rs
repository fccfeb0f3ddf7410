//! The quality gate on real photos and on degraded copies of one: each degradation gives its
//! reason.

use crate::support::{engine, photo};
use hadir_models::QualityIssue;
use image::{Rgb, RgbImage, imageops};

const PORTRAIT: &str = "people/obama/obama.jpg";

fn issues(img: &RgbImage) -> Vec<QualityIssue> {
    let mut engine = engine();
    let a = engine.analyze(img).expect("analyze");
    eprintln!(
        "  measures {:?} -> {:?}",
        a.subject.as_ref().map(|s| s.measures),
        a.issues
    );
    a.issues
}

#[test]
fn a_frontal_portrait_passes_the_gate() {
    let got = issues(&photo(PORTRAIT));
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn an_empty_frame_has_no_face() {
    let blank = RgbImage::from_pixel(640, 480, Rgb([128, 128, 128]));
    assert_eq!(issues(&blank), vec![QualityIssue::NoFace]);
}

#[test]
fn degraded_copies_give_their_reason() {
    let good = photo(PORTRAIT);
    let dark = RgbImage::from_fn(good.width(), good.height(), |x, y| {
        Rgb(good.get_pixel(x, y).0.map(|v| (f32::from(v) * 0.15) as u8))
    });
    assert!(issues(&dark).contains(&QualityIssue::TooDark));
    let bright = RgbImage::from_fn(good.width(), good.height(), |x, y| {
        Rgb(good
            .get_pixel(x, y)
            .0
            .map(|v| 255 - ((255.0 - f32::from(v)) * 0.12) as u8))
    });
    let got = issues(&bright);
    assert!(
        got.contains(&QualityIssue::TooBright) || got.contains(&QualityIssue::NoFace),
        "{got:?}"
    );
    // Defocus: a Gaussian blur about a twentieth of the face's height.
    let blurred = imageops::blur(&good, 8.0);
    assert!(issues(&blurred).contains(&QualityIssue::Blurred));
    // Far away: the whole frame at a tenth of its size.
    let far = imageops::resize(
        &good,
        good.width() / 8,
        good.height() / 8,
        imageops::FilterType::Triangle,
    );
    let got = issues(&far);
    assert!(
        got.contains(&QualityIssue::TooSmall) || got.contains(&QualityIssue::NoFace),
        "{got:?}"
    );
}

#[test]
fn two_people_side_by_side_are_several_faces() {
    // The same portrait twice (once mirrored): two faces of exactly the same size.
    let a = photo(PORTRAIT);
    let b = imageops::flip_horizontal(&a);
    let mut both = RgbImage::new(a.width() + b.width(), a.height());
    imageops::replace(&mut both, &a, 0, 0);
    imageops::replace(&mut both, &b, i64::from(a.width()), 0);
    assert!(issues(&both).contains(&QualityIssue::SeveralFaces));
}
