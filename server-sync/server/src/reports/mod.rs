//! # Reports: the recaps as tables, and their exports (XLSX, CSV, PDF) and chart
//!
//! The recap per employee for a month and the recap per date are first built as a [`Table`]
//! (headers and typed cells, in the reader's language); each export writes that one table, so
//! the spreadsheet, the CSV and the PDF always say the same thing.
//!
//! ## Layout
//! - [`table`]: building the recap tables from judged days.
//! - [`xlsx`], [`csv`], [`pdf`]: the three export formats.
//! - [`signoff`]: the office's letterhead and the signature block of the printed exports.
//! - [`chart`]: the lateness-per-day chart of a section (SVG).
//! - [`month`]: computing a whole month for many employees from the store's records (the
//!   path the monthly recap page and the benchmark take).
//! - [`cache`]: the judged months and the office kept between requests while the store has
//!   not changed (what the dashboard's pages read through).
//!
//! It must not: decide who may see which employees (the dashboard passes only permitted rows).

pub mod cache;
pub mod chart;
pub mod csv;
pub mod month;
pub mod pdf;
pub mod signoff;
pub mod table;
pub mod xlsx;

pub use table::{Cell, EmployeeInfo, Table, date_table, employee_month_table, month_table};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The spreadsheet library refused the workbook.
    #[error("writing the XLSX workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
