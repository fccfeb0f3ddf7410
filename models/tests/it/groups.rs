//! groups/: every face in a group photo is found, and each is recognised as the right person.

use crate::support::{embedding_of, engine, people, photo};
use hadir_models::{Band, ScoreMap, TemplateSet};

/// Group photos, how many faces each shows (counted by eye), and who of them has portraits in
/// people/ (the others must not be recognised as anyone).
const GROUPS: &[(&str, usize, &[&str])] = &[
    ("groups/two_people.jpg", 2, &["obama", "biden"]),
    // Obama and Biden on stage, and a girl in the lower right corner looking down.
    ("groups/obama_and_biden.jpg", 3, &["obama", "biden"]),
    (
        "groups/kit_with_rose.jpg",
        2,
        &["kit_harington", "rose_leslie"],
    ),
];

#[test]
fn every_face_is_found_and_recognised() {
    let mut engine = engine();
    let map = ScoreMap::default();
    let version = engine.model_version();
    let mut sets: Vec<TemplateSet> = Vec::new();
    for (who, path) in people() {
        let e = embedding_of(&mut engine, &path);
        match sets.iter_mut().find(|s| s.name == who) {
            Some(set) => set.templates.push(e),
            None => sets.push(TemplateSet {
                name: who,
                model_version: version.into(),
                templates: vec![e],
            }),
        }
    }
    for &(file, count, names) in GROUPS {
        let frame = photo(file);
        let faces = engine
            .detect(&frame)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        eprintln!(
            "{file}: {} faces {:?}",
            faces.len(),
            faces.iter().map(|f| f.score).collect::<Vec<_>>()
        );
        assert_eq!(faces.len(), count, "{file}: {faces:?}");
        let mut recognised = Vec::new();
        for face in &faces {
            let e = engine
                .embed_face(&frame, &face.rect)
                .unwrap_or_else(|err| panic!("{file}: {err}"))
                .unwrap_or_else(|| panic!("{file}: degenerate landmarks"));
            let mut best: Option<(String, f32)> = None;
            for set in &sets {
                let m = set.best_match(&e, version, &map).expect("same model");
                if best.as_ref().is_none_or(|(_, p)| m.percent > *p) {
                    best = Some((set.name.clone(), m.percent));
                }
            }
            let (name, percent) = best.expect("sets exist");
            eprintln!("  face at {:?}: best {name} {percent:.1}%", face.rect);
            if Band::of(percent) != Band::Rejected {
                recognised.push(name);
            }
        }
        let mut want: Vec<&str> = names.to_vec();
        want.sort();
        let mut got: Vec<&str> = recognised.iter().map(String::as_str).collect();
        got.sort();
        assert_eq!(got, want, "{file}: recognised faces");
    }
}
