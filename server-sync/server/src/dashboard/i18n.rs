//! The server's two languages: Bahasa Indonesia (default) and English, for the dashboard, the
//! reports and the imports' messages.
//!
//! Texts are written in English where they are used (`lang.tr("Late")`); their Indonesian forms
//! are one catalogue, `server-sync/server/lang/id.po` (gettext's format, as the kiosk's), compiled
//! into the binary. `tests/catalogue.rs` checks that every text used has its Indonesian form and
//! that the catalogue holds nothing unused, so an Indonesian page never shows English.

use hadir_rules::{Band, DayStatus, Excused};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The Indonesian catalogue as written.
pub const CATALOGUE_ID: &str = include_str!("../../lang/id.po");

/// Indonesian texts by context ("" for none), then by English text. Read once from
/// [`CATALOGUE_ID`]; immutable, like the text of the binary itself.
static INDONESIAN: LazyLock<HashMap<String, HashMap<String, String>>> = LazyLock::new(|| {
    let mut by_context: HashMap<String, HashMap<String, String>> = HashMap::new();
    for entry in parse_po(CATALOGUE_ID) {
        // An empty msgstr is an untranslated entry (gettext's convention): the English shows.
        if !entry.indonesian.is_empty() {
            by_context.entry(entry.context).or_default().insert(entry.english, entry.indonesian);
        }
    }
    by_context
});

/// `template` (a text already in its language) with each `{name}` replaced by the value given
/// for `name`; what [`tr!`] returns. A placeholder without a value stays as written (a test
/// build panics: the call and the text disagree).
pub fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], &after[close + 1..])) {
            Some((name, tail)) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => {
                        let _ = write!(out, "{value}");
                    }
                    None => {
                        debug_assert!(false, "no value for {{{name}}} in {template:?}");
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = tail;
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A text with values: `tr!(lang, "{n} records are waiting", n = count)` looks the English
/// template up in the catalogue ([`Lang::tr`]) and fills its placeholders ([`fill`]).
macro_rules! tr {
    ($lang:expr, $english:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::dashboard::i18n::fill($lang.tr($english), &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*])
    };
}
pub(crate) use tr;

/// One entry of a PO catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoEntry {
    /// `msgctxt`, empty for none.
    pub context: String,
    /// `msgid`: the English text.
    pub english: String,
    /// `msgstr`: the Indonesian text.
    pub indonesian: String,
    /// The line of its `msgid`.
    pub line: usize,
}

/// Reads the entries of a PO file: `msgctxt`, `msgid` and `msgstr`, each one quoted string
/// (with `\"`, `\\` and `\n` escapes) possibly continued on the next lines; comments skipped.
/// The header (an empty `msgid`) is not an entry.
pub fn parse_po(text: &str) -> Vec<PoEntry> {
    #[derive(Clone, Copy, PartialEq)]
    enum Field {
        Context,
        Id,
        Str,
    }
    let mut out = Vec::new();
    let (mut context, mut english, mut indonesian) = (String::new(), String::new(), String::new());
    let mut field: Option<Field> = None;
    let mut line_of_id = 0;
    let mut finish = |context: &mut String, english: &mut String, indonesian: &mut String, line: usize| {
        if !english.is_empty() {
            out.push(PoEntry { context: std::mem::take(context), english: std::mem::take(english), indonesian: std::mem::take(indonesian), line });
        }
        context.clear();
        english.clear();
        indonesian.clear();
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let (next, rest) = if let Some(r) = line.strip_prefix("msgctxt ") {
            (Some(Field::Context), r)
        } else if let Some(r) = line.strip_prefix("msgid ") {
            (Some(Field::Id), r)
        } else if let Some(r) = line.strip_prefix("msgstr ") {
            (Some(Field::Str), r)
        } else if line.starts_with('"') {
            (None, line)
        } else {
            continue;
        };
        if let Some(f) = next {
            // A new msgctxt, or a msgid not after its msgctxt, starts the next entry.
            if f == Field::Context || (f == Field::Id && field != Some(Field::Context)) {
                finish(&mut context, &mut english, &mut indonesian, line_of_id);
            }
            if f == Field::Id {
                line_of_id = n + 1;
            }
            field = Some(f);
        }
        let target = match field {
            Some(Field::Context) => &mut context,
            Some(Field::Id) => &mut english,
            Some(Field::Str) => &mut indonesian,
            None => continue,
        };
        target.push_str(&unquote(rest));
    }
    finish(&mut context, &mut english, &mut indonesian, line_of_id);
    out
}

/// The text of one quoted PO (or Rust) string literal, escapes resolved.
pub fn unquote(quoted: &str) -> String {
    let inner = quoted.trim().strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

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
    /// The text in this language; `english` is the text as written at its use.
    pub fn tr(self, english: &'static str) -> &'static str {
        self.tr_in("", english)
    }

    /// [`Lang::tr`] for an English text that Indonesian says differently in `context`.
    pub fn tr_in(self, context: &str, english: &'static str) -> &'static str {
        match self {
            Lang::En => english,
            // An entry missing from the catalogue shows the English (the catalogue's test
            // fails first).
            Lang::Id => INDONESIAN.get(context).and_then(|texts| texts.get(english)).map_or(english, String::as_str),
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
            Monday => self.tr("Monday"),
            Tuesday => self.tr("Tuesday"),
            Wednesday => self.tr("Wednesday"),
            Thursday => self.tr("Thursday"),
            Friday => self.tr("Friday"),
            Saturday => self.tr("Saturday"),
            Sunday => self.tr("Sunday"),
        }
    }

    /// A day status as people say it.
    pub fn status(self, s: DayStatus) -> &'static str {
        match s {
            DayStatus::Present => self.tr("Present"),
            DayStatus::Absent => self.tr("Absent without reason"),
            DayStatus::Leave(Excused::Cuti) => self.tr("Annual leave"),
            DayStatus::Leave(Excused::Sakit) => self.tr("Sick"),
            DayStatus::Leave(Excused::Izin) => self.tr("Permitted absence"),
            DayStatus::Leave(Excused::DinasLuar) | DayStatus::Travel => {
                self.tr("Official travel")
            }
            DayStatus::Holiday => self.tr("Holiday"),
            DayStatus::DayOff => self.tr("Day off"),
            DayStatus::WorkedDayOff => self.tr("Worked on a day off"),
            DayStatus::AwaitingConfirmation => self.tr("Awaiting confirmation"),
            DayStatus::NotYetKnown => self.tr("Not yet known"),
        }
    }

    /// Name of a leave or travel kind.
    pub fn excused(self, e: Excused) -> &'static str {
        match e {
            Excused::Cuti => self.tr("Annual leave"),
            Excused::Sakit => self.tr("Sick"),
            Excused::Izin => self.tr("Permitted absence"),
            Excused::DinasLuar => self.tr("Official travel"),
        }
    }

    /// Month name.
    pub fn month(self, m: time::Month) -> &'static str {
        use time::Month::*;
        match m {
            January => self.tr("January"),
            February => self.tr("February"),
            March => self.tr("March"),
            April => self.tr("April"),
            May => self.tr("May"),
            June => self.tr("June"),
            July => self.tr("July"),
            August => self.tr("August"),
            September => self.tr("September"),
            October => self.tr("October"),
            November => self.tr("November"),
            December => self.tr("December"),
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
    fn placeholders_are_filled_by_name() {
        let cases: [(&str, &[(&str, &dyn std::fmt::Display)], &str); 5] = [
            ("{n} hari kerja", &[("n", &22)], "22 hari kerja"),
            ("{a} dan {b}, lalu {a}", &[("a", &"x"), ("b", &1.5)], "x dan 1.5, lalu x"),
            ("tanpa tempat", &[], "tanpa tempat"),
            ("kurung {bukan nama} dan { }", &[], "kurung {bukan nama} dan { }"),
            ("di akhir {", &[], "di akhir {"),
        ];
        for (template, args, want) in cases {
            assert_eq!(fill(template, args), want, "{template}");
        }
        assert_eq!(tr!(Lang::En, "{n} working days", n = 3), "3 working days");
    }

    #[test]
    fn default_is_indonesian() {
        assert_eq!(Lang::default(), Lang::Id);
        assert_eq!(Lang::parse("xx"), Lang::Id);
        assert_eq!(Lang::parse("EN"), Lang::En);
        assert_eq!(Lang::Id.status(DayStatus::Absent), "Tanpa keterangan (TK)");
        assert_eq!(Lang::En.status(DayStatus::Travel), "Official travel");
    }
}
