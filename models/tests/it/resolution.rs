//! hard/: the same face at 240p, 480p, 720p and 1080p scores within a few points against the
//! person's enrolled photos; the other hard cases are handled without failing.

use crate::support::{embedding_of, engine, people, photo};
use hadir_models::{Band, TemplateSet};

const LADDER: [&str; 4] = [
    "hard/obama-240p.jpg",
    "hard/obama-480p.jpg",
    "hard/obama-720p.jpg",
    "hard/obama-1080p.jpg",
];

/// "A few points": the largest spread of match percentages allowed across the ladder.
const MAX_SPREAD: f32 = 5.0;

#[test]
fn resolution_ladder_scores_agree() {
    let mut engine = engine();
    let version = engine.model_version();
    let map = engine.config().score.clone();
    let enrolled: Vec<_> = people()
        .into_iter()
        .filter(|(who, _)| who == "obama")
        .map(|(_, p)| embedding_of(&mut engine, &p))
        .collect();
    let set = TemplateSet::enrol("obama", version, enrolled, &map).expect("consistent enrolment");
    let mut scores = Vec::new();
    let mut ladder = Vec::new();
    for file in LADDER {
        let e = embedding_of(&mut engine, file);
        let m = set.best_match(&e, version, &map).expect("same model");
        eprintln!(
            "{file}: {:.1}% (cos {:.3}, template {})",
            m.percent, m.cosine, m.template
        );
        assert_ne!(m.band, Band::Rejected, "{file}");
        scores.push(m.percent);
        ladder.push(e);
    }
    for i in 0..ladder.len() {
        for j in i + 1..ladder.len() {
            eprintln!(
                "  {} ~ {}: cos {:.3}",
                LADDER[i],
                LADDER[j],
                ladder[i].cosine(&ladder[j])
            );
        }
    }
    let spread = scores.iter().copied().fold(f32::MIN, f32::max)
        - scores.iter().copied().fold(f32::MAX, f32::min);
    eprintln!("spread {spread:.2} points");
    assert!(
        spread <= MAX_SPREAD,
        "scores across resolutions differ by {spread:.1} points: {scores:?}"
    );
}

#[test]
fn other_hard_photos_are_analysed() {
    let mut engine = engine();
    for file in [
        "hard/32bit.png",
        "hard/obama_small.jpg",
        "hard/obama_partial_face.jpg",
        "hard/obama_partial_face2.jpg",
    ] {
        let a = engine
            .analyze(&photo(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        eprintln!(
            "{file}: {} face(s), issues {:?}, live {:?}",
            a.faces.len(),
            a.issues,
            a.subject.as_ref().map(|s| s.liveness)
        );
        // A 32-bit PNG with alpha still has its face found.
        if file.ends_with("32bit.png") {
            assert!(a.subject.is_some(), "{file}");
        }
    }
}
