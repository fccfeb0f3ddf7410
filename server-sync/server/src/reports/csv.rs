//! CSV export (RFC 4180: comma-separated, CRLF, fields quoted when needed), UTF-8 with a BOM
//! so spreadsheet programs on office PCs read the Indonesian names correctly.
//!
//! Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
//! return first: `=HYPERLINK(…)` in a name typed at enrolment) is written with a leading `'`,
//! so it is shown, never evaluated. A lone `-` (the reports' "nothing here") is no formula and
//! stays as it is. Numbers are numbers and keep their sign.

use super::{Cell, Table};

/// Text made safe for a spreadsheet: a cell that would start a formula gets a leading `'`.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() > 1 && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn field(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// The table as CSV text (headers first, the title is not included).
pub fn to_csv(table: &Table) -> String {
    let mut out = String::from("\u{feff}");
    for (i, h) in table.headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(h, &mut out);
    }
    out.push_str("\r\n");
    for row in &table.rows {
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match c {
                Cell::Text(t) => field(&neutralise(t), &mut out),
                other => field(&other.display(), &mut out),
            }
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::Cell;

    #[test]
    fn formulas_are_shown_not_run() {
        let cases = [
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            ("+62 812", "'+62 812"),
            ("-1", "'-1"),
            ("-", "-"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("Budi", "Budi"),
            ("a=b", "a=b"),
        ];
        for (text, want) in cases {
            let table = Table { title: "x".into(), headers: vec!["Nama"], rows: vec![vec![Cell::Text(text.into())]] };
            let csv = to_csv(&table);
            assert_eq!(csv.trim_end().rsplit("\r\n").next(), Some(want), "{text:?}");
        }
        let numbers = Table { title: "x".into(), headers: vec!["Menit"], rows: vec![vec![Cell::Int(-5)]] };
        assert!(to_csv(&numbers).ends_with("\r\n-5\r\n"), "numbers keep their sign");
    }

    #[test]
    fn quotes_only_when_needed() {
        let table = Table {
            title: "x".into(),
            headers: vec!["Nama", "Menit"],
            rows: vec![
                vec![Cell::Text("Budi, S.T.".into()), Cell::Int(5)],
                vec![Cell::Text("Ani \"Nunu\"".into()), Cell::Num(1.25, 2)],
            ],
        };
        assert_eq!(
            to_csv(&table),
            "\u{feff}Nama,Menit\r\n\"Budi, S.T.\",5\r\n\"Ani \"\"Nunu\"\"\",1.25\r\n"
        );
    }
}
