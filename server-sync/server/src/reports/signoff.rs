//! The office's letterhead (kop surat) and the signature block (pengesahan) of a printed recap.
//!
//! A treasurer pays allowances from a recap that names the office and carries the signatures
//! of whoever answers for it: the head of the office acknowledges ("Mengetahui"), the head of the
//! section (or whoever the office names) prepares it. An administrator enters them once on the
//! settings page; the XLSX and PDF exports print them, the CSV (data for machines) does not.
//!
//! Owns the data, its limits and what one export prints ([`Signoff`]); it must not read the
//! store or decide who may export.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::dashboard::i18n::{Lang, tr};

/// Lines of the letterhead at most.
pub const MAX_LINES: usize = 5;
/// Characters of a letterhead line at most (a long ministry name fits on A4 landscape).
pub const MAX_LINE_CHARS: usize = 120;
/// Characters of a title, a name or a place at most.
pub const MAX_FIELD_CHARS: usize = 80;
/// Characters of a NIP at most (18 digits, spaces allowed as printed).
pub const MAX_NIP_CHARS: usize = 24;

/// One person who signs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    /// The office held, as printed ("Kepala Dinas Pekerjaan Umum dan Penataan Ruang").
    pub title: String,
    /// The full name with degrees, as printed.
    pub name: String,
    /// The NIP (digits and spaces), printed as "NIP. …"; may be empty.
    pub nip: String,
}

impl Signatory {
    /// Whether a signature block is printed for this person (a name is given).
    pub fn is_set(&self) -> bool {
        !self.name.trim().is_empty()
    }
}

/// What an administrator set: the letterhead and who signs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letterhead {
    /// The lines at the top of the first page: the government, the office, its address.
    pub lines: Vec<String>,
    /// Where the recap is signed ("Mangupura"), printed before the date.
    pub place: String,
    /// Left: acknowledges ("Mengetahui,"), the head of the office.
    pub approver: Signatory,
    /// Right: prepares the recap of the whole office.
    pub preparer: Signatory,
    /// Per section id: who prepares a recap of that section alone (its head).
    #[serde(default)]
    pub section_heads: BTreeMap<String, Signatory>,
}

/// Whose field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The head of the office.
    Approver,
    /// Who prepares the office's recap.
    Preparer,
    /// The head of a section (its id).
    Section(String),
}

/// A field of the letterhead form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A letterhead line (from 1).
    Line(usize),
    /// The place.
    Place,
    /// Someone's title.
    Title(Who),
    /// Someone's name.
    Name(Who),
    /// Someone's NIP.
    Nip(Who),
}

impl Field {
    /// The field as the form labels it.
    pub fn label(&self, lang: Lang) -> String {
        let who = |w: &Who| match w {
            Who::Approver => lang.tr("approver").to_owned(),
            Who::Preparer => lang.tr("preparer").to_owned(),
            Who::Section(s) => tr!(lang, "head of section {s}", s = s),
        };
        match self {
            Field::Line(n) => tr!(lang, "Letterhead line {n}", n = n),
            Field::Place => lang.tr("Place").to_owned(),
            Field::Title(w) => tr!(lang, "Title of the {who}", who = who(w)),
            Field::Name(w) => tr!(lang, "Name of the {who}", who = who(w)),
            Field::Nip(w) => tr!(lang, "NIP of the {who}", who = who(w)),
        }
    }
}

/// Why a letterhead cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterheadProblem {
    /// More lines than [`MAX_LINES`].
    #[error("the letterhead has {0} lines; at most {MAX_LINES}")]
    TooManyLines(usize),
    /// A line or a field is too long.
    #[error("{}: at most {max} characters", field.label(Lang::En))]
    TooLong {
        /// The field.
        field: Field,
        /// Its limit.
        max: usize,
    },
    /// A NIP holds something other than digits and spaces.
    #[error("{}: a NIP holds only digits and spaces", field.label(Lang::En))]
    Nip {
        /// The field.
        field: Field,
    },
}

impl LetterheadProblem {
    /// The problem in the reader's language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            LetterheadProblem::TooManyLines(n) => tr!(lang, "The letterhead has {n} lines; at most {max}.", n = n, max = MAX_LINES),
            LetterheadProblem::TooLong { field, max } => tr!(lang, "{field}: at most {max} characters.", field = field.label(lang), max = max),
            LetterheadProblem::Nip { field } => tr!(lang, "{field}: a NIP holds only digits and spaces.", field = field.label(lang)),
        }
    }
}

impl Letterhead {
    /// Checks every limit; the first problem found is named.
    pub fn check(&self) -> Result<(), LetterheadProblem> {
        if self.lines.len() > MAX_LINES {
            return Err(LetterheadProblem::TooManyLines(self.lines.len()));
        }
        let long = |field: Field, text: &str, max: usize| {
            if text.chars().count() > max { Err(LetterheadProblem::TooLong { field, max }) } else { Ok(()) }
        };
        for (i, l) in self.lines.iter().enumerate() {
            long(Field::Line(i + 1), l, MAX_LINE_CHARS)?;
        }
        long(Field::Place, &self.place, MAX_FIELD_CHARS)?;
        let people = [(Who::Approver, &self.approver), (Who::Preparer, &self.preparer)]
            .into_iter()
            .chain(self.section_heads.iter().map(|(s, p)| (Who::Section(s.clone()), p)));
        for (who, p) in people {
            long(Field::Title(who.clone()), &p.title, MAX_FIELD_CHARS)?;
            long(Field::Name(who.clone()), &p.name, MAX_FIELD_CHARS)?;
            long(Field::Nip(who.clone()), &p.nip, MAX_NIP_CHARS)?;
            if !p.nip.chars().all(|c| c.is_ascii_digit() || c == ' ') {
                return Err(LetterheadProblem::Nip { field: Field::Nip(who) });
            }
        }
        Ok(())
    }

    /// What an export of `section` (or the whole office) printed on `date` carries.
    pub fn signoff(&self, lang: Lang, section: Option<&str>, date: Date) -> Signoff {
        let preparer = section.and_then(|s| self.section_heads.get(s)).filter(|p| p.is_set()).unwrap_or(&self.preparer);
        let dated = format!("{} {} {}", date.day(), lang.month(date.month()), date.year());
        let place_date = if self.place.trim().is_empty() { dated } else { format!("{}, {dated}", self.place.trim()) };
        let mut columns = Vec::new();
        if self.approver.is_set() {
            columns.push(SignatureColumn::new(lang.tr("Acknowledged,"), &self.approver));
        }
        if preparer.is_set() {
            columns.push(SignatureColumn::new(&place_date, preparer));
        }
        Signoff { letterhead: self.lines.iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect(), columns }
    }
}

/// One signature column as printed: a heading, the office held, room to sign, the name, the NIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureColumn {
    /// "Mengetahui," or the place and date.
    pub heading: String,
    /// The office held.
    pub title: String,
    /// The name, printed under the room to sign.
    pub name: String,
    /// "NIP. …", or empty.
    pub nip: String,
}

impl SignatureColumn {
    fn new(heading: &str, p: &Signatory) -> SignatureColumn {
        let nip = p.nip.trim();
        SignatureColumn {
            heading: heading.to_owned(),
            title: p.title.trim().to_owned(),
            name: p.name.trim().to_owned(),
            nip: if nip.is_empty() { String::new() } else { format!("NIP. {nip}") },
        }
    }
}

/// What one printed export carries besides its table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signoff {
    /// The letterhead's lines (none: no letterhead).
    pub letterhead: Vec<String>,
    /// The signature columns, left to right (none: no signature block).
    pub columns: Vec<SignatureColumn>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn person(title: &str, name: &str, nip: &str) -> Signatory {
        Signatory { title: title.into(), name: name.into(), nip: nip.into() }
    }

    fn badung() -> Letterhead {
        Letterhead {
            lines: vec!["PEMERINTAH KABUPATEN BADUNG".into(), "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG".into(), "  ".into()],
            place: "Mangupura".into(),
            approver: person("Kepala Dinas", "Ir. I Made Sutama, M.T.", "19700101 199503 1 001"),
            preparer: person("Kepala Sub Bagian Umum", "Ni Luh Sari, S.E.", "198001012005012001"),
            section_heads: [("BM".to_owned(), person("Kepala Bidang Bina Marga", "I Wayan Darma, S.T.", "")), ("UM".to_owned(), Signatory::default())]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn the_section_head_signs_a_section_and_the_office_signs_the_rest() {
        let l = badung();
        let day = date!(2026 - 03 - 31);
        // (section exported, language, right column's heading, right column's name)
        let cases = [
            (None, Lang::Id, "Mangupura, 31 Maret 2026", "Ni Luh Sari, S.E."),
            (Some("BM"), Lang::Id, "Mangupura, 31 Maret 2026", "I Wayan Darma, S.T."),
            (Some("UM"), Lang::En, "Mangupura, 31 March 2026", "Ni Luh Sari, S.E."),
            (Some("XX"), Lang::Id, "Mangupura, 31 Maret 2026", "Ni Luh Sari, S.E."),
        ];
        for (section, lang, heading, name) in cases {
            let s = l.signoff(lang, section, day);
            assert_eq!(s.letterhead, ["PEMERINTAH KABUPATEN BADUNG", "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG"], "blank lines are dropped");
            assert_eq!(s.columns.len(), 2);
            assert_eq!(s.columns[0].heading, lang.tr("Acknowledged,"));
            assert_eq!(s.columns[0].nip, "NIP. 19700101 199503 1 001");
            assert_eq!((s.columns[1].heading.as_str(), s.columns[1].name.as_str()), (heading, name), "{section:?}");
        }
        assert_eq!(l.signoff(Lang::Id, Some("BM"), day).columns[1].nip, "", "no NIP, no NIP line");
        assert_eq!(Letterhead::default().signoff(Lang::Id, None, day), Signoff::default(), "nothing set, nothing printed");
    }

    #[test]
    fn limits_name_the_field() {
        let mut l = badung();
        assert_eq!(l.check(), Ok(()));
        l.lines = vec!["x".into(); MAX_LINES + 1];
        assert_eq!(l.check(), Err(LetterheadProblem::TooManyLines(MAX_LINES + 1)));
        l = badung();
        l.lines[1] = "x".repeat(MAX_LINE_CHARS + 1);
        assert_eq!(l.check(), Err(LetterheadProblem::TooLong { field: Field::Line(2), max: MAX_LINE_CHARS }));
        l = badung();
        l.section_heads.get_mut("BM").unwrap().nip = "1970-01".into();
        let problem = l.check().unwrap_err();
        assert_eq!(problem, LetterheadProblem::Nip { field: Field::Nip(Who::Section("BM".into())) });
        assert_eq!(problem.message(Lang::Id), "NIP kepala bidang BM: NIP hanya berisi angka dan spasi.");
        assert_eq!(problem.message(Lang::En), "NIP of the head of section BM: a NIP holds only digits and spaces.");
    }
}
