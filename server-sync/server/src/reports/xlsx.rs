//! XLSX export with `rust_xlsxwriter`: the office's letterhead at the top (when set), the title,
//! the headers two rows below it, the data under them, numbers as numbers (so finance can sum
//! them), frozen header row, an autofilter, and the signature block two rows under the data.

use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::signoff::{SignatureColumn, Signoff};
use super::{Cell, ExportError, Table};

/// The table as an XLSX workbook's bytes, one sheet named `sheet`.
pub fn to_xlsx(table: &Table, sheet: &str, signoff: &Signoff) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new().set_bold().set_text_wrap().set_border(FormatBorder::Thin).set_background_color(0xDDE7F0);
    let (big, plain) = (Format::new().set_bold().set_font_size(12), Format::new());
    for (i, line) in signoff.letterhead.iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, line, if i < 2 { &big } else { &plain })?;
    }
    // A blank row between the letterhead and the title.
    let title_row = if signoff.letterhead.is_empty() { 0 } else { signoff.letterhead.len() as u32 + 1 };
    let header_row = title_row + 2;
    ws.write_string_with_format(title_row, 0, &table.title, &title)?;
    for (c, h) in table.headers.iter().enumerate() {
        ws.write_string_with_format(header_row, c as u16, *h, &head)?;
    }
    let two = Format::new().set_num_format("0.00");
    let one = Format::new().set_num_format("0.0");
    for (r, row) in table.rows.iter().enumerate() {
        let r = header_row + 1 + r as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Int(i) => {
                    ws.write_number(r, c, *i as f64)?;
                }
                Cell::Num(x, d) => {
                    let f = if *d >= 2 { &two } else { &one };
                    ws.write_number_with_format(r, c, *x, f)?;
                }
            }
        }
    }
    let last_col = table.headers.len().saturating_sub(1) as u16;
    let last_row = header_row + table.rows.len() as u32;
    ws.set_freeze_panes(header_row + 1, 0)?;
    ws.autofilter(header_row, 0, last_row, last_col)?;
    ws.set_column_width(2, 28)?;
    ws.set_column_width(3, 20)?;
    // One column on the right, or two: at the name column and on the right.
    let right = last_col.saturating_sub(4).max(5);
    let cols: &[u16] = if signoff.columns.len() == 1 { &[right] } else { &[2, right] };
    for (column, c) in signoff.columns.iter().zip(cols) {
        signature(ws, last_row + 3, *c, column)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// A signature column from `row` down: heading, title, three rows to sign in, name, NIP.
fn signature(ws: &mut Worksheet, row: u32, col: u16, s: &SignatureColumn) -> Result<(), XlsxError> {
    let name = Format::new().set_bold().set_underline(rust_xlsxwriter::FormatUnderline::Single);
    ws.write_string(row, col, &s.heading)?;
    ws.write_string(row + 1, col, &s.title)?;
    ws.write_string_with_format(row + 5, col, &s.name, &name)?;
    if !s.nip.is_empty() {
        ws.write_string(row + 6, col, &s.nip)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::signoff::{Letterhead, Signatory};
    use calamine::{Data, Reader, Xlsx};

    fn cells(bytes: Vec<u8>) -> calamine::Range<Data> {
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        wb.worksheet_range("Rekap").unwrap()
    }

    fn text(r: &calamine::Range<Data>, row: u32, col: u32) -> String {
        r.get_value((row, col)).map(|d| d.to_string()).unwrap_or_default()
    }

    #[test]
    fn the_letterhead_shifts_the_table_and_the_signatures_follow_it() {
        let table = Table {
            title: "Rekapitulasi kehadiran Maret 2026".into(),
            headers: vec!["No", "NIP", "Nama", "Bidang", "Hadir", "TL1", "TL2", "TL3", "TL4", "TK"],
            rows: (0..4).map(|i| vec![Cell::Int(i + 1), Cell::Text(format!("19850{i}")), Cell::Text(format!("Pegawai {i}")), Cell::Text("BM".into()), Cell::Int(20)]).collect(),
        };
        let plain = cells(to_xlsx(&table, "Rekap", &Signoff::default()).unwrap());
        assert_eq!((text(&plain, 0, 0).as_str(), text(&plain, 2, 0).as_str()), ("Rekapitulasi kehadiran Maret 2026", "No"), "no letterhead: the layout as before");
        assert_eq!(plain.height(), 2 + 1 + 4, "and nothing under the data");

        let letterhead = Letterhead {
            lines: vec!["PEMERINTAH KABUPATEN BADUNG".into(), "DINAS PEKERJAAN UMUM".into(), "Jl. Raya Sempidi".into()],
            place: "Mangupura".into(),
            approver: Signatory { title: "Kepala Dinas".into(), name: "Ir. I Made Sutama".into(), nip: "197001011995031001".into() },
            preparer: Signatory { title: "Kepala Bidang Bina Marga".into(), name: "I Wayan Darma".into(), nip: String::new() },
            section_heads: Default::default(),
        };
        let signoff = letterhead.signoff(crate::dashboard::i18n::Lang::Id, None, time::macros::date!(2026 - 03 - 31));
        let r = cells(to_xlsx(&table, "Rekap", &signoff).unwrap());
        assert_eq!(text(&r, 0, 0), "PEMERINTAH KABUPATEN BADUNG");
        assert_eq!(text(&r, 2, 0), "Jl. Raya Sempidi");
        assert_eq!(text(&r, 4, 0), "Rekapitulasi kehadiran Maret 2026");
        assert_eq!(text(&r, 6, 0), "No", "the headers two rows under the title");
        assert_eq!(text(&r, 7, 2), "Pegawai 0");
        let last = 6 + 4;
        let (left, right) = (2, 5);
        assert_eq!(text(&r, last + 3, left), "Mengetahui,");
        assert_eq!(text(&r, last + 4, left), "Kepala Dinas");
        assert_eq!(text(&r, last + 8, left), "Ir. I Made Sutama");
        assert_eq!(text(&r, last + 9, left), "NIP. 197001011995031001");
        assert_eq!(text(&r, last + 3, right), "Mangupura, 31 Maret 2026");
        assert_eq!(text(&r, last + 8, right), "I Wayan Darma");
        assert_eq!(text(&r, last + 9, right), "", "no NIP given, none printed");
    }
}
