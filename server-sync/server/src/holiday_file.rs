//! Holiday files: a year of national holidays, joint leave days (cuti bersama) and regional
//! holidays read from a CSV or an iCalendar file, as the government's decree is typed up or a
//! calendar application exports it.
//!
//! It is pure: bytes in, holidays (of every site: a file is a decree's list) or every bad line
//! out. It must not write anything; the
//! dashboard shows the errors and writes the whole file in one transaction, or nothing.
//!
//! # Formats
//!
//! - **CSV**: one holiday per line, `date,name[,kind]` (`;` or tab also separate); an optional
//!   header line (`tanggal`/`date` first); dates as `2026-03-19`, `19-03-2026` or
//!   `19/03/2026`; a quoted name may hold the separator; the kind is `nasional`,
//!   `cuti bersama` or `daerah` (or the English words; empty: national), another word is an
//!   error of its line; further columns (a note) are ignored.
//! - **iCalendar** (RFC 5545, the file starts with `BEGIN:VCALENDAR`): each `VEVENT`'s
//!   `DTSTART` (a date or a date-time; the date is taken as written), `SUMMARY` and, where a
//!   calendar sets one, a kind among its `CATEGORIES` (others are ignored: national); an all-day
//!   `DTEND` is exclusive, so a two-day joint leave gives two dates. Folded lines and the text
//!   escapes (`\,` `\;` `\n` `\\`) are undone.

use crate::storage::calendar::{Holiday, HolidayKind};
use time::{Date, Month};

/// The largest file read (a year's holidays are a few kilobytes).
pub const MAX_BYTES: usize = 1 << 20;
/// The longest event read: longer spans are typing errors, not holidays.
const MAX_SPAN_DAYS: i64 = 31;
/// The longest holiday name kept.
const MAX_NAME_CHARS: usize = 120;

/// Why a holiday file cannot be read: the whole file, or the lines that are wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayFileError {
    /// Too big.
    #[error("the file is {bytes} bytes; a holiday file is at most {MAX_BYTES} bytes")]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not UTF-8 text.
    #[error("the file is not text (UTF-8): save it as CSV (UTF-8) or iCalendar (.ics)")]
    NotText,
    /// Nothing in it.
    #[error("the file holds no holiday")]
    Empty,
    /// Lines that cannot be read; nothing of the file is to be written.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Lines(Vec<LineError>),
}

/// One bad line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}


/// Reads a CSV or iCalendar holiday file (see the module docs), in file order.
pub fn parse(bytes: &[u8]) -> Result<Vec<Holiday>, HolidayFileError> {
    if bytes.len() > MAX_BYTES {
        return Err(HolidayFileError::TooLarge { bytes: bytes.len() });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| HolidayFileError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (holidays, errors) = if text.trim_start().to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        parse_ics(text)
    } else {
        parse_csv(text)
    };
    if !errors.is_empty() {
        return Err(HolidayFileError::Lines(errors));
    }
    if holidays.is_empty() {
        return Err(HolidayFileError::Empty);
    }
    Ok(holidays)
}

fn month_of(m: u32) -> Option<Month> {
    Month::try_from(u8::try_from(m).ok()?).ok()
}

fn date_of(y: u32, m: u32, d: u32) -> Option<Date> {
    if !(2000..=2100).contains(&y) {
        return None;
    }
    Date::from_calendar_date(i32::try_from(y).ok()?, month_of(m)?, u8::try_from(d).ok()?).ok()
}

/// `2026-03-19`, `19-03-2026` or `19/03/2026`.
fn csv_date(s: &str) -> Option<Date> {
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let n = |v: &str| v.trim().parse::<u32>().ok().filter(|_| v.trim().chars().all(|c| c.is_ascii_digit()));
    if a.trim().len() == 4 { date_of(n(a)?, n(b)?, n(c)?) } else { date_of(n(c)?, n(b)?, n(a)?) }
}

/// The next column: quoted (may hold the separator, `""` is a quote) or up to the next
/// separator; and what follows the separator after it (empty at the end of the line).
fn csv_field(rest: &str, sep: char) -> Result<(String, &str), &'static str> {
    let rest = rest.trim_start();
    if let Some(q) = rest.strip_prefix('"') {
        let mut field = String::new();
        let mut chars = q.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    chars.next();
                    field.push('"');
                } else {
                    let after = &q[i + 1..];
                    return Ok((field, after.split_once(sep).map_or("", |(_, next)| next)));
                }
            } else {
                field.push(c);
            }
        }
        Err("a quote is not closed")
    } else {
        let (field, next) = rest.split_once(sep).unwrap_or((rest, ""));
        Ok((field.trim().to_owned(), next))
    }
}

/// The name and the kind columns of a line after its date.
fn csv_name_and_kind(rest: &str, sep: char) -> Result<(String, HolidayKind), String> {
    let (name, rest) = csv_field(rest, sep)?;
    let name = checked_name(&name)?;
    let (kind, _) = csv_field(rest, sep)?;
    if kind.is_empty() {
        return Ok((name, HolidayKind::National));
    }
    let kind = HolidayKind::parse(&kind).ok_or_else(|| format!("`{kind}` is not a kind of holiday (nasional, cuti bersama, daerah)"))?;
    Ok((name, kind))
}

/// A holiday's name as written, trimmed (the dashboard's form checks its names with it too).
pub(crate) fn checked_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the holiday has no name".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("the name is longer than {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("the name holds control characters".into());
    }
    Ok(name.to_owned())
}

fn parse_csv(text: &str) -> (Vec<Holiday>, Vec<LineError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let sep = [',', ';', '\t'].into_iter().find(|c| line.contains(*c));
        let Some(sep) = sep else {
            errors.push(LineError { line: i + 1, reason: "expected `date,name`".into() });
            continue;
        };
        let (first, rest) = line.split_once(sep).unwrap_or((line, ""));
        let first = first.trim().trim_matches('"');
        if out.is_empty() && errors.is_empty() && matches!(first.to_lowercase().as_str(), "tanggal" | "date" | "tgl") {
            continue; // the header line
        }
        let Some(date) = csv_date(first) else {
            errors.push(LineError { line: i + 1, reason: format!("`{first}` is not a date (write 2026-03-19 or 19-03-2026)") });
            continue;
        };
        match csv_name_and_kind(rest, sep) {
            Ok((name, kind)) => out.push(Holiday::everywhere(date, name, kind)),
            Err(reason) => errors.push(LineError { line: i + 1, reason }),
        }
    }
    (out, errors)
}

/// A `DTSTART`/`DTEND` value's date: `20260319` or `20260319T000000[Z]`.
fn ics_date(value: &str) -> Option<Date> {
    let d = value.split('T').next()?;
    if d.len() != 8 || !d.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    date_of(d[..4].parse().ok()?, d[4..6].parse().ok()?, d[6..].parse().ok()?)
}

fn ics_text(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A `VEVENT` being read.
#[derive(Default)]
struct Event {
    /// Its `BEGIN` line.
    begin: usize,
    start: Option<Date>,
    /// `DTSTART` is a date (so `DTEND` is exclusive).
    all_day: bool,
    /// `DTEND` and its line.
    end: Option<(usize, Date)>,
    summary: Option<String>,
    /// A kind named among its `CATEGORIES`.
    kind: Option<HolidayKind>,
    /// One of its lines is already reported as an error.
    reported: bool,
}

fn parse_ics(text: &str) -> (Vec<Holiday>, Vec<LineError>) {
    // Unfold: a line that starts with a space or tab continues the previous one.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        match raw.strip_prefix([' ', '\t']) {
            Some(cont) if !lines.is_empty() => lines.last_mut().map(|l| l.1.push_str(cont)).unwrap_or_default(),
            _ => lines.push((i + 1, raw.to_owned())),
        }
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut event: Option<Event> = None;
    for (n, line) in lines {
        let Some((key, value)) = line.split_once(':') else { continue };
        let (name, params) = key.split_once(';').unwrap_or((key, ""));
        match (name.to_ascii_uppercase().as_str(), value) {
            ("BEGIN", v) if v.eq_ignore_ascii_case("VEVENT") => event = Some(Event { begin: n, ..Event::default() }),
            ("DTSTART" | "DTEND", v) => {
                let Some(e) = event.as_mut() else { continue };
                let Some(d) = ics_date(v) else {
                    errors.push(LineError { line: n, reason: format!("{name} `{v}` is not a date") });
                    e.reported = true;
                    continue;
                };
                if name.eq_ignore_ascii_case("DTSTART") {
                    e.start = Some(d);
                    e.all_day = params.to_ascii_uppercase().contains("VALUE=DATE") || !v.contains('T');
                } else {
                    e.end = Some((n, d));
                }
            }
            ("SUMMARY", v) => {
                if let Some(e) = event.as_mut() {
                    e.summary = Some(ics_text(v));
                }
            }
            ("CATEGORIES", v) => {
                if let Some(e) = event.as_mut() {
                    // A list; an escaped comma inside one category names no kind either way.
                    e.kind = e.kind.or_else(|| v.split(',').find_map(|c| HolidayKind::parse(&ics_text(c))));
                }
            }
            ("END", v) if v.eq_ignore_ascii_case("VEVENT") => {
                let Some(Event { begin, start, all_day, end, summary, kind, reported }) = event.take() else { continue };
                if reported {
                    continue;
                }
                let Some(start) = start else {
                    errors.push(LineError { line: begin, reason: "the event has no DTSTART".into() });
                    continue;
                };
                let name = match checked_name(summary.as_deref().unwrap_or("")) {
                    Ok(name) => name,
                    Err(reason) => {
                        errors.push(LineError { line: begin, reason });
                        continue;
                    }
                };
                // An all-day DTEND is the day after the last; a timed event covers its start day.
                let last = match end {
                    Some((_, e)) if all_day && e > start => e.previous_day().unwrap_or(start),
                    Some((l, e)) if e < start => {
                        errors.push(LineError { line: l, reason: "DTEND is before DTSTART".into() });
                        continue;
                    }
                    _ => start,
                };
                if (last - start).whole_days() >= MAX_SPAN_DAYS {
                    errors.push(LineError { line: begin, reason: format!("the event lasts more than {MAX_SPAN_DAYS} days") });
                    continue;
                }
                let mut d = start;
                loop {
                    out.push(Holiday::everywhere(d, name.clone(), kind.unwrap_or_default()));
                    match d.next_day() {
                        Some(next) if next <= last => d = next,
                        _ => break,
                    }
                }
            }
            _ => {}
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ok(text: &str) -> Vec<(Date, String)> {
        holidays(text).into_iter().map(|h| (h.date, h.name)).collect()
    }

    fn holidays(text: &str) -> Vec<Holiday> {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn kinds() {
        use HolidayKind::{JointLeave, National, Regional};
        let cases: &[(&str, &str, &[HolidayKind])] = &[
            ("no kind column: national", "2026-03-19,Nyepi\n", &[National]),
            ("empty kind", "2026-03-19,Nyepi,\n", &[National]),
            ("Indonesian words, any case", "2026-03-20,Cuti bersama Nyepi,Cuti Bersama\n2026-06-24,Galungan,daerah\n2026-08-17,HUT RI,NASIONAL\n", &[JointLeave, Regional, National]),
            ("English words, underscores, a note after", "2026-03-20;Joint leave;joint_leave;SKB 3 Menteri\n2026-07-04;Kuningan;regional\n", &[JointLeave, Regional]),
            ("quoted name, then the kind", "2026-12-24,\"Cuti bersama, Natal\",cuti-bersama\n", &[JointLeave]),
            (
                "iCalendar CATEGORIES",
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260624\nSUMMARY:Galungan\nCATEGORIES:Holidays,Daerah\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nSUMMARY:Tahun Baru\nCATEGORIES:Public holiday\nEND:VEVENT\nEND:VCALENDAR\n",
                &[Regional, National],
            ),
        ];
        for (name, text, want) in cases {
            let got: Vec<HolidayKind> = holidays(text).into_iter().map(|h| h.kind).collect();
            assert_eq!(got, *want, "{name}");
        }
        let err = parse(b"2026-03-19,Nyepi,penting\n").unwrap_err().to_string();
        assert_eq!(err, "line 1: `penting` is not a kind of holiday (nasional, cuti bersama, daerah)");
    }

    #[test]
    fn csv_cases() {
        let cases: &[(&str, &str, &[(Date, &str)])] = &[
            ("header and ISO dates", "tanggal,keterangan\n2026-03-19,Hari Suci Nyepi\n", &[(date!(2026 - 03 - 19), "Hari Suci Nyepi")]),
            ("day-first with slashes and ;", "19/03/2026;Nyepi\r\n20-03-2026;Cuti bersama Nyepi\r\n", &[(date!(2026 - 03 - 19), "Nyepi"), (date!(2026 - 03 - 20), "Cuti bersama Nyepi")]),
            ("quoted name with the separator, extra column", "2026-12-25,\"Natal, Hari Raya\",nasional\n", &[(date!(2026 - 12 - 25), "Natal, Hari Raya")]),
            ("a doubled quote", "2026-01-01,\"Tahun \"\"Baru\"\"\"\n", &[(date!(2026 - 01 - 01), "Tahun \"Baru\"")]),
            ("BOM, tab, blank lines", "\u{feff}date\tname\n\n2026-08-17\tHUT RI\n", &[(date!(2026 - 08 - 17), "HUT RI")]),
        ];
        for (name, text, want) in cases {
            let want: Vec<(Date, String)> = want.iter().map(|(d, n)| (*d, (*n).to_owned())).collect();
            assert_eq!(ok(text), want, "{name}");
        }
    }

    #[test]
    fn bad_files_name_their_lines() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("bad date", b"2026-02-30,Nope\n2026-03-19,Nyepi\n", "line 1: `2026-02-30` is not a date"),
            ("year out of range", b"1926-03-19,Nyepi\n", "line 1: `1926-03-19` is not a date"),
            ("no name", b"2026-03-19,\n", "line 1: the holiday has no name"),
            ("no separator", b"2026-03-19 Nyepi\n", "line 1: expected `date,name`"),
            ("second line bad", b"tanggal,nama\n2026-03-19,Nyepi\n19.03.2026,Nyepi\n", "line 3: `19.03.2026` is not a date"),
            ("unclosed quote", b"2026-03-19,\"Nyepi\n", "line 1: a quote is not closed"),
            ("not text", b"\xff\xfe\x00\x01", "not text"),
            ("empty", b"tanggal,nama\n", "no holiday"),
        ];
        for (name, bytes, want) in cases {
            let err = parse(bytes).expect_err(name).to_string();
            assert!(err.contains(want), "{name}: {err}");
        }
        let big = vec![b'a'; MAX_BYTES + 1];
        assert!(matches!(parse(&big), Err(HolidayFileError::TooLarge { .. })));
    }

    #[test]
    fn icalendar() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260319\r\nDTEND;VALUE=DATE:20260320\r\nSUMMARY:Hari Suci Nyepi (Tahun Baru Saka 1948)\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260320\r\nDTEND;VALUE=DATE:20260322\r\nSUMMARY:Cuti bersama\\, Idul Fitri\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART:20261225T000000Z\r\nDTEND:20261225T235900Z\r\nSUMMARY:Hari Raya\r\n  Natal\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            ok(ics),
            vec![
                (date!(2026 - 03 - 19), "Hari Suci Nyepi (Tahun Baru Saka 1948)".to_owned()),
                (date!(2026 - 03 - 20), "Cuti bersama, Idul Fitri".to_owned()),
                (date!(2026 - 03 - 21), "Cuti bersama, Idul Fitri".to_owned()),
                (date!(2026 - 12 - 25), "Hari Raya Natal".to_owned()),
            ]
        );
        let bad = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026AB19\nSUMMARY:X\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:No start\nEND:VEVENT\nEND:VCALENDAR\n";
        let err = parse(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 3: DTSTART `2026AB19` is not a date") && err.contains("line 6: the event has no DTSTART"), "{err}");
        let long = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20260301\nSUMMARY:X\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(long.as_bytes()).unwrap_err().to_string().contains("more than 31 days"));
    }
}
