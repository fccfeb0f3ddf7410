//! The employee list written in the import's format (the same headers, [`super::import::COLUMNS`]
//! order; NIPs as text), so that importing an export changes nothing. Pure: it is given the
//! employees and returns bytes.

use super::import::{COLUMNS, Column, Person};

/// Why an XLSX file could not be made.
#[derive(Debug, thiserror::Error)]
#[error("writing the XLSX file: {0}")]
pub struct ExportError(String);

fn cell(p: &Person, c: Column) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    match c {
        Column::EmployeeId => p.employee_id.clone(),
        Column::Nip => o(&p.nip),
        Column::Name => p.name.clone(),
        Column::Position => o(&p.position),
        Column::Grade => o(&p.grade),
        Column::Section => o(&p.section),
        Column::Site => o(&p.site),
        Column::EmploymentType => p.employment_type.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        Column::Supervisor => o(&p.supervisor),
    }
}

fn csv_field(v: &str) -> String {
    if v.contains([',', ';', '"', '\n', '\r']) || v.starts_with(' ') || v.ends_with(' ') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// CSV (UTF-8 with a BOM, so spreadsheet programs read the names right; `,`; CRLF).
pub fn to_csv(people: &[Person]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&COLUMNS.iter().map(|c| c.header()).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for p in people {
        // A value a spreadsheet would run as a formula is written as text (the import takes
        // the mark off again).
        out.push_str(&COLUMNS.iter().map(|c| csv_field(&crate::reports::csv::neutralise(&cell(p, *c)))).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// XLSX with every cell as text (an 18-digit NIP keeps its digits).
pub fn to_xlsx(people: &[Person]) -> Result<Vec<u8>, ExportError> {
    let err = |e: rust_xlsxwriter::XlsxError| ExportError(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Pegawai").map_err(err)?;
    for (j, c) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, j as u16, c.header()).map_err(err)?;
    }
    for (i, p) in people.iter().enumerate() {
        for (j, c) in COLUMNS.iter().enumerate() {
            let v = cell(p, *c);
            if !v.is_empty() {
                sheet.write_string(i as u32 + 1, j as u16, &v).map_err(err)?;
            }
        }
    }
    book.save_to_buffer().map_err(err)
}
