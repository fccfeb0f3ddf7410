//! Face templates: what enrolment keeps of an employee's face, and 1:1 verification against it.
//!
//! A [`TemplateSet`] holds one embedding per enrolment photo (512 `f32`, unit length) and the
//! version of the model that made them. Embeddings of different models are not comparable,
//! so every comparison checks the version first.
//!
//! **Verification rule:** the probe's score is its **highest cosine with any template** in the
//! set ([`TemplateSet::best_match`]). Several photos cover several conditions (light, glasses,
//! a slight turn); the person in front of the camera has to resemble one of them, not their
//! average. The mean would be pulled down by the least similar photo, and a mean vector would
//! blur the identity. The cosine then goes through the [`ScoreMap`] to a percentage and a
//! [`Band`].
//!
//! **Enrolment rule:** every photo must give a face; the photos must agree with each other
//! (every pair at least [`ENROL_MIN_PERCENT`] %), or the set would mix two people or contain a
//! bad photo.
//!
//! **Duplicate check:** [`find_duplicates`] compares a new set with the others (every template
//! against every template) and reports those whose best cosine reaches a valid match: the same
//! face enrolled under two names.
//!
//! This module stores nothing: the kiosk encrypts and keeps the serialised sets.

use crate::embedding::Embedding;
use crate::score::{Band, ScoreMap};
use serde::{Deserialize, Serialize};

/// Lowest pairwise match percentage between a set's own photos at enrolment (the "needs
/// confirmation" edge: below it the photos do not look like one person).
pub const ENROL_MIN_PERCENT: f32 = Band::CONFIRM_FROM;

/// Why templates cannot be made or compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// Nothing to enrol.
    #[error("enrolment of {name:?} needs at least one face photo")]
    Empty {
        /// The employee.
        name: String,
    },
    /// The set was made with another model.
    #[error(
        "the templates of {name:?} were made with model {found:?}, this device runs {expected:?}: \
         enrol the employee again"
    )]
    ModelMismatch {
        /// The employee.
        name: String,
        /// The set's model.
        found: String,
        /// This engine's model.
        expected: String,
    },
    /// Two enrolment photos do not look like the same person.
    #[error(
        "enrolment photos {first} and {second} of {name:?} match only {percent:.1}%: they do not \
         look like the same person; retake them"
    )]
    Inconsistent {
        /// The employee.
        name: String,
        /// Index of one photo.
        first: usize,
        /// Index of the other.
        second: usize,
        /// Their match percentage.
        percent: f32,
    },
}

/// An employee's enrolled face: one embedding per enrolment photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateSet {
    /// Who (employee id or name, as the caller keys it).
    pub name: String,
    /// The embedding model that made the templates.
    pub model_version: String,
    /// The embeddings.
    pub templates: Vec<Embedding>,
}

/// The result of comparing a probe with a template set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Match {
    /// The best cosine.
    pub cosine: f32,
    /// Its match percentage.
    pub percent: f32,
    /// Its band.
    pub band: Band,
    /// Which template gave it.
    pub template: usize,
}

impl TemplateSet {
    /// Builds a set from the embeddings of several enrolment photos, checking that they agree
    /// (see the module documentation).
    pub fn enrol(
        name: &str,
        model_version: &str,
        embeddings: Vec<Embedding>,
        map: &ScoreMap,
    ) -> Result<Self, TemplateError> {
        if embeddings.is_empty() {
            return Err(TemplateError::Empty { name: name.into() });
        }
        for (i, a) in embeddings.iter().enumerate() {
            for (j, b) in embeddings.iter().enumerate().skip(i + 1) {
                let percent = map.percent(a.cosine(b));
                if percent < ENROL_MIN_PERCENT {
                    return Err(TemplateError::Inconsistent {
                        name: name.into(),
                        first: i,
                        second: j,
                        percent,
                    });
                }
            }
        }
        Ok(Self {
            name: name.into(),
            model_version: model_version.into(),
            templates: embeddings,
        })
    }

    /// Checks the set was made by `model_version`.
    pub fn check_model(&self, model_version: &str) -> Result<(), TemplateError> {
        if self.model_version == model_version {
            Ok(())
        } else {
            Err(TemplateError::ModelMismatch {
                name: self.name.clone(),
                found: self.model_version.clone(),
                expected: model_version.into(),
            })
        }
    }

    /// Verifies a probe embedding against the set: the highest cosine over the templates.
    pub fn best_match(
        &self,
        probe: &Embedding,
        model_version: &str,
        map: &ScoreMap,
    ) -> Result<Match, TemplateError> {
        self.check_model(model_version)?;
        let (template, cosine) = self
            .templates
            .iter()
            .map(|t| t.cosine(probe))
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or_else(|| TemplateError::Empty {
                name: self.name.clone(),
            })?;
        let percent = map.percent(cosine);
        Ok(Match {
            cosine,
            percent,
            band: Band::of(percent),
            template,
        })
    }
}

/// A possible duplicate enrolment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    /// The other set's name.
    pub name: String,
    /// The best cosine between any template of the new set and any of the other.
    pub cosine: f32,
    /// Its match percentage.
    pub percent: f32,
}

/// Sets among `others` whose faces match `new` at least at `min_percent` (use
/// [`Band::VALID_FROM`] for "would verify as this person"), best first. Sets made with another
/// model are an error, not silently skipped.
pub fn find_duplicates(
    new: &TemplateSet,
    others: &[TemplateSet],
    map: &ScoreMap,
    min_percent: f32,
) -> Result<Vec<Duplicate>, TemplateError> {
    let mut found = Vec::new();
    for other in others {
        other.check_model(&new.model_version)?;
        let best = new
            .templates
            .iter()
            .flat_map(|a| other.templates.iter().map(move |b| a.cosine(b)))
            .fold(f32::MIN, f32::max);
        if other.templates.is_empty() || new.templates.is_empty() {
            continue;
        }
        let percent = map.percent(best);
        if percent >= min_percent {
            found.push(Duplicate {
                name: other.name.clone(),
                cosine: best,
                percent,
            });
        }
    }
    found.sort_by(|a, b| b.cosine.total_cmp(&a.cosine));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::DIM;

    /// A unit vector at `angle` radians in the plane of the first two axes.
    fn unit(angle: f32) -> Embedding {
        let mut v = vec![0.0f32; DIM];
        v[0] = angle.cos();
        v[1] = angle.sin();
        Embedding::from_raw(v).unwrap()
    }

    const V: &str = "model-a";

    #[test]
    fn enrol_accepts_consistent_photos_and_refuses_others() {
        let map = ScoreMap::default();
        let set =
            TemplateSet::enrol("ani", V, vec![unit(0.0), unit(0.3), unit(-0.2)], &map).unwrap();
        assert_eq!(set.templates.len(), 3);
        // cos(1.3) ≈ 0.27 → under 50 %.
        let err =
            TemplateSet::enrol("budi", V, vec![unit(0.0), unit(0.3), unit(1.3)], &map).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::Inconsistent {
                    first: 0,
                    second: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(matches!(
            TemplateSet::enrol("c", V, vec![], &map),
            Err(TemplateError::Empty { .. })
        ));
    }

    #[test]
    fn verification_takes_the_best_template() {
        let map = ScoreMap::default();
        let set = TemplateSet::enrol("ani", V, vec![unit(0.0), unit(0.5)], &map).unwrap();
        let m = set.best_match(&unit(0.55), V, &map).unwrap();
        assert_eq!(m.template, 1);
        assert!((m.cosine - 0.05f32.cos()).abs() < 1e-5);
        assert_eq!(m.band, Band::Valid);
        let far = set.best_match(&unit(2.0), V, &map).unwrap();
        assert_eq!(far.band, Band::Rejected);
        assert!(matches!(
            set.best_match(&unit(0.0), "model-b", &map),
            Err(TemplateError::ModelMismatch { .. })
        ));
    }

    #[test]
    fn duplicates_are_found_and_sorted() {
        let map = ScoreMap::default();
        let new = TemplateSet::enrol("new", V, vec![unit(0.0)], &map).unwrap();
        let others = vec![
            TemplateSet::enrol("far", V, vec![unit(1.5)], &map).unwrap(),
            TemplateSet::enrol("close", V, vec![unit(0.9), unit(0.3)], &map).unwrap(),
            TemplateSet::enrol("same", V, vec![unit(0.01)], &map).unwrap(),
        ];
        let d = find_duplicates(&new, &others, &map, Band::VALID_FROM).unwrap();
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["same", "close"]);
        let other_model = vec![TemplateSet {
            model_version: "model-b".into(),
            ..others[0].clone()
        }];
        assert!(find_duplicates(&new, &other_model, &map, 80.0).is_err());
    }

    #[test]
    fn sets_round_trip_through_json_and_wrong_lengths_are_refused() {
        let map = ScoreMap::default();
        let set = TemplateSet::enrol("ani", V, vec![unit(0.1)], &map).unwrap();
        let json = serde_json::to_string(&set).unwrap();
        let back: TemplateSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
        let broken = json.replacen("[[", "[[0.5,", 1);
        assert!(serde_json::from_str::<TemplateSet>(&broken).is_err());
    }
}
