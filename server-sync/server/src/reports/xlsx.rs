//! XLSX export with `rust_xlsxwriter`: the title in A1, headers in row 3, data from row 4,
//! numbers as numbers (so finance can sum them), frozen header row, an autofilter.

use rust_xlsxwriter::{Format, FormatBorder, Workbook};

use super::{Cell, ExportError, Table};

/// The row (0-based) of the headers; data starts on the next row.
pub const HEADER_ROW: u32 = 2;

/// The table as an XLSX workbook's bytes, one sheet named `sheet`.
pub fn to_xlsx(table: &Table, sheet: &str) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new().set_bold().set_text_wrap().set_border(FormatBorder::Thin).set_background_color(0xDDE7F0);
    ws.write_string_with_format(0, 0, &table.title, &title)?;
    for (c, h) in table.headers.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *h, &head)?;
    }
    let two = Format::new().set_num_format("0.00");
    let one = Format::new().set_num_format("0.0");
    for (r, row) in table.rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + r as u32;
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
    let last_row = HEADER_ROW + table.rows.len() as u32;
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    ws.autofilter(HEADER_ROW, 0, last_row, last_col)?;
    ws.set_column_width(2, 28)?;
    ws.set_column_width(3, 20)?;
    Ok(wb.save_to_buffer()?)
}
