//! The match score the users see: cosine similarity → percentage → band.
//!
//! The embedding model speaks in cosines of L2-normalised vectors; people speak in percentages
//! with three bands (DESIGN.md, field requirement 3): **≥ 80 %** makes a valid record,
//! **50 % to under 80 %** needs a supervisor's confirmation, **under 50 %** is rejected. The
//! mapping between the two is a monotone piecewise-linear curve through calibration knots, by
//! default `cos ≤ 0 → 0 %`, `0.35 → 50 %`, `0.50 → 80 %`, `1 → 100 %`: so the 50 % and 80 %
//! band edges sit exactly on cosines 0.35 and 0.50.
//!
//! Everything here is pure: plain data and functions, no model.

use serde::{Deserialize, Serialize};

/// Why a [`ScoreMap`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreMapError {
    /// Fewer than two knots cannot describe a line.
    #[error("a score map needs at least two knots, got {0}")]
    TooFewKnots(usize),
    /// A knot is outside `cosine ∈ [-1, 1]`, `percent ∈ [0, 100]`, or not a number.
    #[error("knot {index} ({cosine}, {percent}%) is outside cosine -1..=1 / percent 0..=100")]
    OutOfRange {
        /// Position of the knot in the list.
        index: usize,
        /// Its cosine.
        cosine: f32,
        /// Its percentage.
        percent: f32,
    },
    /// Knots must go strictly up in cosine and never down in percent, or the mapping would not
    /// be monotone (a better match must never get a lower score).
    #[error(
        "knot {index} ({cosine}, {percent}%) does not go up from the knot before it: \
         cosines must increase strictly and percentages must not decrease"
    )]
    NotMonotone {
        /// Position of the offending knot.
        index: usize,
        /// Its cosine.
        cosine: f32,
        /// Its percentage.
        percent: f32,
    },
}

/// One calibration point of the cosine → percentage curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Knot {
    /// Cosine similarity of two L2-normalised embeddings.
    pub cosine: f32,
    /// The percentage shown for that cosine.
    pub percent: f32,
}

/// A validated, monotone piecewise-linear mapping from cosine to a 0–100 % match score.
///
/// Below the first knot the score is the first knot's percentage, above the last knot the last
/// knot's percentage (the default starts at `(0, 0)` and ends at `(1, 100)`, so negative cosines
/// score 0 %).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "Vec<Knot>")]
pub struct ScoreMap {
    knots: Vec<Knot>,
}

impl From<ScoreMap> for Vec<Knot> {
    fn from(map: ScoreMap) -> Self {
        map.knots
    }
}

impl<'de> Deserialize<'de> for ScoreMap {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let knots = Vec::<Knot>::deserialize(deserializer)?;
        ScoreMap::new(knots).map_err(serde::de::Error::custom)
    }
}

impl Default for ScoreMap {
    fn default() -> Self {
        Self {
            knots: vec![
                Knot {
                    cosine: 0.0,
                    percent: 0.0,
                },
                Knot {
                    cosine: 0.35,
                    percent: 50.0,
                },
                Knot {
                    cosine: 0.50,
                    percent: 80.0,
                },
                Knot {
                    cosine: 1.0,
                    percent: 100.0,
                },
            ],
        }
    }
}

impl ScoreMap {
    /// Validates knots (at least two, in range, cosine strictly increasing, percent
    /// non-decreasing).
    pub fn new(knots: Vec<Knot>) -> Result<Self, ScoreMapError> {
        if knots.len() < 2 {
            return Err(ScoreMapError::TooFewKnots(knots.len()));
        }
        for (index, knot) in knots.iter().enumerate() {
            let Knot { cosine, percent } = *knot;
            if !(-1.0..=1.0).contains(&cosine) || !(0.0..=100.0).contains(&percent) {
                return Err(ScoreMapError::OutOfRange {
                    index,
                    cosine,
                    percent,
                });
            }
            if index > 0 {
                let before = knots[index - 1];
                if cosine <= before.cosine || percent < before.percent {
                    return Err(ScoreMapError::NotMonotone {
                        index,
                        cosine,
                        percent,
                    });
                }
            }
        }
        Ok(Self { knots })
    }

    /// The knots, in increasing cosine.
    pub fn knots(&self) -> &[Knot] {
        &self.knots
    }

    /// The match percentage (0–100) for a cosine. NaN (a broken embedding) scores 0 %.
    pub fn percent(&self, cosine: f32) -> f32 {
        let (first, last) = (self.knots[0], self.knots[self.knots.len() - 1]);
        if cosine.is_nan() {
            return 0.0;
        }
        if cosine <= first.cosine {
            return first.percent;
        }
        if cosine >= last.cosine {
            return last.percent;
        }
        for pair in self.knots.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if cosine <= b.cosine {
                let t = (cosine - a.cosine) / (b.cosine - a.cosine);
                return a.percent + t * (b.percent - a.percent);
            }
        }
        last.percent
    }

    /// The smallest cosine that reaches `percent` (the inverse of [`ScoreMap::percent`] where
    /// it is strictly increasing). Used to turn a percentage threshold into a cosine one.
    pub fn cosine_for(&self, percent: f32) -> f32 {
        let first = self.knots[0];
        if percent <= first.percent {
            return first.cosine;
        }
        for pair in self.knots.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if percent <= b.percent && b.percent > a.percent {
                let t = (percent - a.percent) / (b.percent - a.percent);
                return a.cosine + t * (b.cosine - a.cosine);
            }
        }
        self.knots[self.knots.len() - 1].cosine
    }
}

/// The match score with the default [`ScoreMap`].
pub fn score_percent(cosine: f32) -> f32 {
    ScoreMap::default().percent(cosine)
}

/// What a match percentage means for the record (DESIGN.md, field requirement 3): one
/// definition shared with the kiosk and the server, in `hadir-protocol`.
pub use hadir_protocol::Band;

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn default_map_hits_every_knot_and_interpolates_between() {
        let map = ScoreMap::default();
        let cases: &[(f32, f32)] = &[
            (-1.0, 0.0),
            (-0.2, 0.0),
            (0.0, 0.0),
            (0.07, 10.0),
            (0.175, 25.0),
            (0.35, 50.0),
            (0.425, 65.0),
            (0.50, 80.0),
            (0.75, 90.0),
            (1.0, 100.0),
            (1.5, 100.0),
            (f32::NAN, 0.0),
        ];
        for &(cosine, want) in cases {
            let got = map.percent(cosine);
            assert!(close(got, want), "cos {cosine}: got {got}%, want {want}%");
        }
    }

    #[test]
    fn default_map_is_monotone_on_a_fine_grid() {
        let map = ScoreMap::default();
        let mut before = map.percent(-1.0);
        for step in -1000..=1000 {
            let now = map.percent(step as f32 / 1000.0);
            assert!(
                now >= before,
                "score went down at cos {}",
                step as f32 / 1000.0
            );
            before = now;
        }
    }

    #[test]
    fn band_edges_fall_on_the_calibration_cosines() {
        let map = ScoreMap::default();
        assert_eq!(Band::of(map.percent(0.35)), Band::NeedsConfirmation);
        assert_eq!(Band::of(map.percent(0.3499)), Band::Rejected);
        assert_eq!(Band::of(map.percent(0.50)), Band::Valid);
        assert_eq!(Band::of(map.percent(0.4999)), Band::NeedsConfirmation);
        assert!(close(map.cosine_for(50.0), 0.35));
        assert!(close(map.cosine_for(80.0), 0.50));
        assert!(close(map.cosine_for(0.0), 0.0));
    }

    #[test]
    fn custom_maps_are_validated() {
        let k = |cosine, percent| Knot { cosine, percent };
        assert_eq!(
            ScoreMap::new(vec![k(0.0, 0.0)]),
            Err(ScoreMapError::TooFewKnots(1))
        );
        assert!(matches!(
            ScoreMap::new(vec![k(0.0, 0.0), k(0.0, 50.0)]),
            Err(ScoreMapError::NotMonotone { index: 1, .. })
        ));
        assert!(matches!(
            ScoreMap::new(vec![k(0.0, 60.0), k(0.5, 50.0)]),
            Err(ScoreMapError::NotMonotone { index: 1, .. })
        ));
        assert!(matches!(
            ScoreMap::new(vec![k(0.0, 0.0), k(1.2, 100.0)]),
            Err(ScoreMapError::OutOfRange { index: 1, .. })
        ));
        assert!(matches!(
            ScoreMap::new(vec![k(f32::NAN, 0.0), k(1.0, 100.0)]),
            Err(ScoreMapError::OutOfRange { index: 0, .. })
        ));
        let stricter = ScoreMap::new(vec![k(0.0, 0.0), k(0.4, 50.0), k(1.0, 100.0)]).unwrap();
        assert!(close(stricter.percent(0.4), 50.0));
        assert!(close(stricter.percent(0.7), 75.0));
    }

    #[test]
    fn score_map_round_trips_through_json_and_refuses_bad_knots() {
        let json = serde_json::to_string(&ScoreMap::default()).unwrap();
        let back: ScoreMap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ScoreMap::default());
        let bad = r#"[{"cosine":0.5,"percent":80},{"cosine":0.2,"percent":90}]"#;
        assert!(serde_json::from_str::<ScoreMap>(bad).is_err());
    }
}
