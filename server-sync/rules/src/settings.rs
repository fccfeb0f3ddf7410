//! Settings of the rules: tolerances, the overtime threshold, band limits and deductions.
//!
//! Regencies differ in how much of the allowance (TPP) a late arrival or an early departure
//! costs, so the percentages and the daily cap are settings; the defaults are a common regency
//! regulation. Percentages are basis points (`50` = 0.50 %).

use hadir_protocol::Mode;

/// A deduction band: TL1–TL4 for late arrival, PSW1–PSW4 for leaving early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    /// 1–30 minutes.
    B1,
    /// 31–60 minutes.
    B2,
    /// 61–90 minutes.
    B3,
    /// Over 90 minutes, or no record at all (no IN for TL, no OUT for PSW).
    B4,
}

impl Band {
    /// The band of a number of minutes; `None` for 0.
    pub fn of_minutes(minutes: u32) -> Option<Band> {
        match minutes {
            0 => None,
            1..=30 => Some(Band::B1),
            31..=60 => Some(Band::B2),
            61..=90 => Some(Band::B3),
            _ => Some(Band::B4),
        }
    }

    /// 0 for B1 … 3 for B4, to index per-band arrays.
    pub fn index(self) -> usize {
        match self {
            Band::B1 => 0,
            Band::B2 => 1,
            Band::B3 => 2,
            Band::B4 => 3,
        }
    }

    /// All bands in order.
    pub const ALL: [Band; 4] = [Band::B1, Band::B2, Band::B3, Band::B4];

    /// "TL1".."TL4".
    pub fn tl_label(self) -> &'static str {
        ["TL1", "TL2", "TL3", "TL4"][self.index()]
    }

    /// "PSW1".."PSW4".
    pub fn psw_label(self) -> &'static str {
        ["PSW1", "PSW2", "PSW3", "PSW4"][self.index()]
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A percentage over 100 %.
    #[error("{name} is {value} basis points (over 100 %); use hundredths of a percent, e.g. 125 for 1.25 %")]
    PercentTooLarge {
        /// Which setting.
        name: &'static str,
        /// Its value in basis points.
        value: u32,
    },
    /// A tolerance longer than a day.
    #[error("{name} is {value} minutes; a tolerance must be under 1440 minutes")]
    MinutesTooLarge {
        /// Which setting.
        name: &'static str,
        /// Its value.
        value: u32,
    },
}

/// The rules' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSettings {
    /// Office records are marked late only when later than this after the start (minutes).
    pub tolerance_office_min: u32,
    /// The same for field records (0: any lateness is marked).
    pub tolerance_field_min: u32,
    /// Overtime counts from this many minutes after the scheduled end.
    pub overtime_after_min: u32,
    /// Deduction per TL band, basis points.
    pub late_bp: [u32; 4],
    /// Deduction per PSW band, basis points.
    pub early_bp: [u32; 4],
    /// Deduction for a day absent without reason (TK), basis points.
    pub absent_bp: u32,
    /// Most that one day can cost, basis points.
    pub daily_cap_bp: u32,
}

impl Default for RuleSettings {
    fn default() -> Self {
        Self {
            tolerance_office_min: 60,
            tolerance_field_min: 0,
            overtime_after_min: 180,
            late_bp: [50, 100, 125, 150],
            early_bp: [50, 100, 125, 150],
            absent_bp: 300,
            daily_cap_bp: 300,
        }
    }
}

impl RuleSettings {
    /// The late-mark tolerance of a record's mode, minutes.
    pub fn tolerance(&self, mode: Mode) -> u32 {
        match mode {
            Mode::Office => self.tolerance_office_min,
            Mode::Field => self.tolerance_field_min,
        }
    }

    /// Checks that every value can work.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let pct = [
            ("late_bp[TL1]", self.late_bp[0]),
            ("late_bp[TL2]", self.late_bp[1]),
            ("late_bp[TL3]", self.late_bp[2]),
            ("late_bp[TL4]", self.late_bp[3]),
            ("early_bp[PSW1]", self.early_bp[0]),
            ("early_bp[PSW2]", self.early_bp[1]),
            ("early_bp[PSW3]", self.early_bp[2]),
            ("early_bp[PSW4]", self.early_bp[3]),
            ("absent_bp", self.absent_bp),
            ("daily_cap_bp", self.daily_cap_bp),
        ];
        for (name, value) in pct {
            if value > 10_000 {
                return Err(SettingsError::PercentTooLarge { name, value });
            }
        }
        let mins = [
            ("tolerance_office_min", self.tolerance_office_min),
            ("tolerance_field_min", self.tolerance_field_min),
            ("overtime_after_min", self.overtime_after_min),
        ];
        for (name, value) in mins {
            if value >= 1440 {
                return Err(SettingsError::MinutesTooLarge { name, value });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_edges() {
        let cases = [
            (0, None),
            (1, Some(Band::B1)),
            (30, Some(Band::B1)),
            (31, Some(Band::B2)),
            (60, Some(Band::B2)),
            (61, Some(Band::B3)),
            (90, Some(Band::B3)),
            (91, Some(Band::B4)),
            (600, Some(Band::B4)),
        ];
        for (m, want) in cases {
            assert_eq!(Band::of_minutes(m), want, "{m} minutes");
        }
    }

    #[test]
    fn validate_refuses_impossible_values() {
        assert_eq!(RuleSettings::default().validate(), Ok(()));
        let s = RuleSettings { daily_cap_bp: 10_001, ..RuleSettings::default() };
        assert!(matches!(s.validate(), Err(SettingsError::PercentTooLarge { name: "daily_cap_bp", .. })));
        let s = RuleSettings { tolerance_office_min: 1440, ..RuleSettings::default() };
        assert!(matches!(s.validate(), Err(SettingsError::MinutesTooLarge { .. })));
    }
}
