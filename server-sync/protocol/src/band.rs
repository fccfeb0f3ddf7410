//! The score band of a face match: the users' thresholds (DESIGN.md, field requirement 3).
//!
//! One definition for every crate: `hadir-models` computes the percentage, the kiosk decides
//! with [`Band::of`], records carry the resulting [`Decision`], the UI colours it.
//!
//! # Edges
//! - **≥ 80 %**: [`Band::Valid`] (80.0 itself is valid).
//! - **50 % to under 80 %**: [`Band::NeedsConfirmation`] (50.0 is in, 79.99 is in).
//! - **under 50 %**: [`Band::Rejected`] (49.99 is out); NaN is rejected too.
//!
//! It performs no scoring: the percentage comes from the caller.

use crate::record::Decision;
use serde::{Deserialize, Serialize};

/// What a match percentage means for the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 80 % or more: a valid record.
    Valid,
    /// 50 % to under 80 %: a record that waits for a supervisor's confirmation.
    NeedsConfirmation,
    /// Under 50 %: no attendance record, only an audit entry.
    Rejected,
}

impl Band {
    /// Lowest percentage of [`Band::Valid`].
    pub const VALID_FROM: f32 = 80.0;
    /// Lowest percentage of [`Band::NeedsConfirmation`].
    pub const CONFIRM_FROM: f32 = 50.0;

    /// The band of a match percentage (0–100). NaN is rejected.
    pub fn of(percent: f32) -> Band {
        if percent >= Self::VALID_FROM {
            Band::Valid
        } else if percent >= Self::CONFIRM_FROM {
            Band::NeedsConfirmation
        } else {
            Band::Rejected
        }
    }

    /// The record's decision for this band; `None` for [`Band::Rejected`] (no record).
    pub fn decision(self) -> Option<Decision> {
        match self {
            Band::Valid => Some(Decision::Valid),
            Band::NeedsConfirmation => Some(Decision::NeedsConfirmation),
            Band::Rejected => None,
        }
    }

    /// A stable machine name (`valid`, `needs_confirmation`, `rejected`) for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Valid => "valid",
            Band::NeedsConfirmation => "needs_confirmation",
            Band::Rejected => "rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_at_their_edges() {
        let cases: &[(f32, Band)] = &[
            (0.0, Band::Rejected),
            (-1.0, Band::Rejected),
            (49.99, Band::Rejected),
            (50.0, Band::NeedsConfirmation),
            (50.01, Band::NeedsConfirmation),
            (79.99, Band::NeedsConfirmation),
            (80.0, Band::Valid),
            (80.01, Band::Valid),
            (100.0, Band::Valid),
            (f32::NAN, Band::Rejected),
        ];
        for &(percent, want) in cases {
            assert_eq!(Band::of(percent), want, "{percent}%");
        }
    }

    #[test]
    fn decisions_and_names() {
        let cases = [
            (Band::Valid, Some(Decision::Valid), "valid"),
            (Band::NeedsConfirmation, Some(Decision::NeedsConfirmation), "needs_confirmation"),
            (Band::Rejected, None, "rejected"),
        ];
        for (band, decision, name) in cases {
            assert_eq!(band.decision(), decision);
            assert_eq!(band.as_str(), name);
            assert_eq!(serde_json::to_string(&band).unwrap(), format!("\"{name}\""));
        }
    }
}
