//! Liveness on real photographs: every live face passes, and the evidence for which class of
//! the model means "live" (see `hadir_models::liveness`).
//!
//! The assertion covers the portraits of people/ (a face filling a good part of the frame, as
//! at the kiosk). The group photos are printed too: on `obama_and_biden.jpg`, a stage shot
//! taken from afar with a flag backdrop and stage lights, the model calls Obama's face a
//! spoof (about 0.19); that is the model's limit outside its domain, reported in the README,
//! not something to tune away.

use crate::support::{describe, engine, people, photo};
use hadir_models::liveness::{self, LIVE_CLASS};
use hadir_models::network::{ModelFile, Network};

#[test]
fn real_photos_pass_liveness() {
    let mut engine = engine();
    let threshold = engine.config().live_threshold;
    let mut scores = Vec::new();
    let mut failures = Vec::new();
    for file in [
        "groups/two_people.jpg",
        "groups/obama_and_biden.jpg",
        "groups/kit_with_rose.jpg",
    ] {
        let a = engine
            .analyze(&photo(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let s = a.subject.unwrap_or_else(|| panic!("{file}: no face"));
        eprintln!("live {:.3} {file} (group photo, not asserted)", s.liveness);
    }
    let files: Vec<String> = people().into_iter().map(|(_, p)| p).collect();
    for file in &files {
        let a = engine
            .analyze(&photo(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let s = a.subject.unwrap_or_else(|| panic!("{file}: no face"));
        eprintln!("live {:.3} {file}", s.liveness);
        scores.push(s.liveness);
        if !s.live {
            failures.push(format!("{file}: {:.3}", s.liveness));
        }
    }
    eprintln!("liveness of real photos: {}", describe(&scores));
    assert!(
        failures.is_empty(),
        "real faces judged spoofs (threshold {threshold}):\n{}",
        failures.join("\n")
    );
}

/// The class evidence: on real faces, the probability mass sits on class `LIVE_CLASS` for the
/// project's channel order (BGR) and also for RGB, and the class the Silent-Face repository
/// calls "real" (1) gets almost none. If a different model were installed this would fail
/// loudly instead of silently inverting the liveness decision.
#[test]
fn the_live_class_holds_the_probability_on_real_faces() {
    let mut engine = engine();
    let mut net =
        Network::load(&crate::support::models_dir(), ModelFile::Liveness).expect("liveness model");
    let mut live_class = Vec::new();
    let mut class_one = Vec::new();
    for (_, file) in people() {
        let frame = photo(&file);
        let faces = engine.detect(&frame).expect("detect");
        let subject = hadir_models::detect::choose_subject(&faces, frame.width(), frame.height())
            .expect("a face");
        let out = net
            .run(liveness::input(&frame, &faces[subject].rect))
            .expect("run");
        let logits = &out[0];
        let max = logits.iter().copied().fold(f32::MIN, f32::max);
        let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let p: Vec<f32> = exp.iter().map(|e| e / sum).collect();
        eprintln!("classes {:.3} {:.3} {:.3}  {file}", p[0], p[1], p[2]);
        live_class.push(p[LIVE_CLASS]);
        class_one.push(p[1]);
    }
    eprintln!("p(class {LIVE_CLASS}): {}", describe(&live_class));
    eprintln!("p(class 1): {}", describe(&class_one));
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    assert!(
        mean(&live_class) > 0.9,
        "real faces do not sit on class {LIVE_CLASS}"
    );
    if LIVE_CLASS != 1 {
        assert!(
            mean(&class_one) < 0.1,
            "class 1 is not the spoof class it appears to be"
        );
    }
}
