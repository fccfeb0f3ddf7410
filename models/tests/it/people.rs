//! Verification on people/: every genuine pair (same folder) scores at least 50 %, every
//! impostor pair (different folders) under 50 %; both distributions are printed.

use crate::support::{describe, embedding_of, engine, people};
use hadir_models::{Band, ScoreMap};

#[test]
fn genuine_pairs_reach_50_and_impostor_pairs_stay_under() {
    let mut engine = engine();
    let photos = people();
    let embeddings: Vec<_> = photos
        .iter()
        .map(|(_, p)| embedding_of(&mut engine, p))
        .collect();
    let map = ScoreMap::default();
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for i in 0..photos.len() {
        for j in i + 1..photos.len() {
            let cosine = embeddings[i].cosine(&embeddings[j]);
            let percent = map.percent(cosine);
            let same = photos[i].0 == photos[j].0;
            let line = format!(
                "{:>6.1}% cos {:+.3} {:<18} {} ~ {}",
                percent,
                cosine,
                if same { "genuine" } else { "impostor" },
                photos[i].1,
                photos[j].1
            );
            eprintln!("{line}");
            if same {
                genuine.push(percent);
                if Band::of(percent) == Band::Rejected {
                    failures.push(line);
                }
            } else {
                impostor.push(percent);
                if Band::of(percent) != Band::Rejected {
                    failures.push(line);
                }
            }
        }
    }
    eprintln!("genuine  pairs: {}", describe(&genuine));
    eprintln!("impostor pairs: {}", describe(&impostor));
    assert!(!genuine.is_empty() && !impostor.is_empty());
    assert!(
        failures.is_empty(),
        "pairs on the wrong side of 50 %:\n{}",
        failures.join("\n")
    );
}
