//! CSV export (RFC 4180: comma-separated, CRLF, fields quoted when needed), UTF-8 with a BOM
//! so spreadsheet programs on office PCs read the Indonesian names correctly.

use super::Table;

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
            field(&c.display(), &mut out);
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
