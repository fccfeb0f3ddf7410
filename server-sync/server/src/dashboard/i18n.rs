//! The dashboard's two languages: Bahasa Indonesia (default) and English.
//!
//! Texts live next to their use as pairs (`lang.pick("Terlambat", "Late")`), so a page's two
//! languages cannot drift apart and no key catalogue has to be kept in step.

use hadir_rules::{Band, DayStatus, Excused};

/// A language of the user interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia, the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// The Indonesian or the English text.
    pub fn pick(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// `id` or `en`, as in cookies, forms and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// Reads `id` or `en`; anything else is the default.
    pub fn parse(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") { Lang::En } else { Lang::Id }
    }

    /// Weekday name.
    pub fn weekday(self, w: time::Weekday) -> &'static str {
        use time::Weekday::*;
        match w {
            Monday => self.pick("Senin", "Monday"),
            Tuesday => self.pick("Selasa", "Tuesday"),
            Wednesday => self.pick("Rabu", "Wednesday"),
            Thursday => self.pick("Kamis", "Thursday"),
            Friday => self.pick("Jumat", "Friday"),
            Saturday => self.pick("Sabtu", "Saturday"),
            Sunday => self.pick("Minggu", "Sunday"),
        }
    }

    /// A day status as people say it.
    pub fn status(self, s: DayStatus) -> &'static str {
        match s {
            DayStatus::Present => self.pick("Hadir", "Present"),
            DayStatus::Absent => self.pick("Tanpa keterangan (TK)", "Absent without reason"),
            DayStatus::Leave(Excused::Cuti) => self.pick("Cuti", "Annual leave"),
            DayStatus::Leave(Excused::Sakit) => self.pick("Sakit", "Sick"),
            DayStatus::Leave(Excused::Izin) => self.pick("Izin", "Permitted absence"),
            DayStatus::Leave(Excused::DinasLuar) | DayStatus::Travel => {
                self.pick("Dinas luar", "Official travel")
            }
            DayStatus::Holiday => self.pick("Hari libur", "Holiday"),
            DayStatus::DayOff => self.pick("Libur", "Day off"),
            DayStatus::WorkedDayOff => self.pick("Masuk di hari libur", "Worked on a day off"),
            DayStatus::AwaitingConfirmation => self.pick("Menunggu konfirmasi", "Awaiting confirmation"),
            DayStatus::NotYetKnown => self.pick("Belum diketahui", "Not yet known"),
        }
    }

    /// Name of a leave or travel kind.
    pub fn excused(self, e: Excused) -> &'static str {
        match e {
            Excused::Cuti => self.pick("Cuti", "Annual leave"),
            Excused::Sakit => self.pick("Sakit", "Sick"),
            Excused::Izin => self.pick("Izin", "Permitted absence"),
            Excused::DinasLuar => self.pick("Dinas luar", "Official travel"),
        }
    }

    /// Month name.
    pub fn month(self, m: time::Month) -> &'static str {
        use time::Month::*;
        match (self, m) {
            (Lang::Id, January) => "Januari",
            (Lang::Id, February) => "Februari",
            (Lang::Id, March) => "Maret",
            (Lang::Id, April) => "April",
            (Lang::Id, May) => "Mei",
            (Lang::Id, June) => "Juni",
            (Lang::Id, July) => "Juli",
            (Lang::Id, August) => "Agustus",
            (Lang::Id, September) => "September",
            (Lang::Id, October) => "Oktober",
            (Lang::Id, November) => "November",
            (Lang::Id, December) => "Desember",
            (Lang::En, January) => "January",
            (Lang::En, February) => "February",
            (Lang::En, March) => "March",
            (Lang::En, April) => "April",
            (Lang::En, May) => "May",
            (Lang::En, June) => "June",
            (Lang::En, July) => "July",
            (Lang::En, August) => "August",
            (Lang::En, September) => "September",
            (Lang::En, October) => "October",
            (Lang::En, November) => "November",
            (Lang::En, December) => "December",
        }
    }

    /// "TL1" … in both languages (the abbreviations are the regulation's).
    pub fn band_tl(self, b: Band) -> &'static str {
        b.tl_label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_indonesian() {
        assert_eq!(Lang::default(), Lang::Id);
        assert_eq!(Lang::parse("xx"), Lang::Id);
        assert_eq!(Lang::parse("EN"), Lang::En);
        assert_eq!(Lang::Id.status(DayStatus::Absent), "Tanpa keterangan (TK)");
        assert_eq!(Lang::En.status(DayStatus::Travel), "Official travel");
    }
}
