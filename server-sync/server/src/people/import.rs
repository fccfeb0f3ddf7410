//! Reading a personnel system's employee list (CSV or XLSX) and deciding, row by row, what an
//! import would do: add, change (which fields), leave unchanged, or refuse (why, on which row).
//!
//! Pure: [`parse`] turns bytes into checked rows, [`plan`] compares them with the employees the
//! store holds ([`Existing`]) and the known sections and sites ([`Catalog`]). Writing the plan
//! is [`crate::storage::Store::commit_import`], all or nothing. Nothing here touches the store.
//!
//! The file: one header row (Indonesian or English names, see [`column_of`]), then one row per
//! employee. The roster id is the "ID Pegawai" column when the file has one and it is filled,
//! else the NIP. A column the file does not have leaves that field as it is; an empty cell in a
//! column the file has clears an optional field.

use crate::dashboard::i18n::Lang;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// Longest text accepted in a cell (a name, a position).
const MAX_CELL_CHARS: usize = 200;

/// The employment types of Indonesian public servants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmploymentType {
    /// Pegawai Negeri Sipil (civil servant): 18-digit NIP.
    Pns,
    /// Pegawai Pemerintah dengan Perjanjian Kerja (contract): 18-digit NI PPPK.
    Pppk,
    /// Non-ASN (honorary and other staff): no NIP required.
    NonAsn,
}

impl EmploymentType {
    /// As stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentType::Pns => "PNS",
            EmploymentType::Pppk => "PPPK",
            EmploymentType::NonAsn => "Non-ASN",
        }
    }

    /// From a cell or the store (`PNS`, `PPPK`, `Non-ASN`, also `non asn`, `honorer`).
    pub fn parse(text: &str) -> Option<EmploymentType> {
        let key: String = text.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "pns" => Some(EmploymentType::Pns),
            "pppk" => Some(EmploymentType::Pppk),
            "nonasn" | "honorer" | "nonpns" | "ptt" => Some(EmploymentType::NonAsn),
            _ => None,
        }
    }

    fn needs_nip(self) -> bool {
        matches!(self, EmploymentType::Pns | EmploymentType::Pppk)
    }
}

/// A column the import knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// The roster id, when it is not the NIP.
    EmployeeId,
    /// Nomor Induk Pegawai.
    Nip,
    /// Full name.
    Name,
    /// Jabatan.
    Position,
    /// Golongan.
    Grade,
    /// Bidang / seksi.
    Section,
    /// Lokasi (the site whose kiosks get the employee).
    Site,
    /// PNS / PPPK / Non-ASN.
    EmploymentType,
    /// Atasan.
    Supervisor,
}

/// Every column in the order the export writes them.
pub const COLUMNS: [Column; 9] = [
    Column::EmployeeId,
    Column::Nip,
    Column::Name,
    Column::Position,
    Column::Grade,
    Column::Section,
    Column::Site,
    Column::EmploymentType,
    Column::Supervisor,
];

impl Column {
    /// The header the export writes (Indonesian, as personnel systems do).
    pub fn header(self) -> &'static str {
        match self {
            Column::EmployeeId => "ID Pegawai",
            Column::Nip => "NIP",
            Column::Name => "Nama",
            Column::Position => "Jabatan",
            Column::Grade => "Golongan",
            Column::Section => "Bidang",
            Column::Site => "Lokasi",
            Column::EmploymentType => "Jenis Pegawai",
            Column::Supervisor => "Atasan",
        }
    }

    /// The column's name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Column::EmployeeId => lang.tr("employee id"),
            Column::Nip => "NIP",
            Column::Name => lang.tr("name"),
            Column::Position => lang.tr("position"),
            Column::Grade => lang.tr("grade"),
            Column::Section => lang.tr("section"),
            Column::Site => lang.tr("site"),
            Column::EmploymentType => lang.tr("employment type"),
            Column::Supervisor => lang.tr("supervisor"),
        }
    }
}

/// The column a header names, Indonesian or English, ignoring case, spaces and punctuation.
pub fn column_of(header: &str) -> Option<Column> {
    let key: String = header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    Some(match key.as_str() {
        "idpegawai" | "employeeid" | "idkaryawan" | "id" => Column::EmployeeId,
        "nip" | "nipbaru" | "nomorindukpegawai" | "nipnippk" | "nippppk" => Column::Nip,
        "nama" | "name" | "namalengkap" | "namapegawai" | "fullname" => Column::Name,
        "jabatan" | "position" | "namajabatan" | "jobtitle" => Column::Position,
        "golongan" | "grade" | "golonganruang" | "pangkatgolongan" | "gol" => Column::Grade,
        "bidang" | "seksi" | "section" | "bidangseksi" | "unitkerja" | "subbagian" | "department" => Column::Section,
        "lokasi" | "site" | "location" | "lokasikerja" | "kantor" | "office" => Column::Site,
        "jenispegawai" | "employmenttype" | "statuspegawai" | "statuskepegawaian" | "jenis" => Column::EmploymentType,
        "atasan" | "supervisor" | "atasanlangsung" | "manager" => Column::Supervisor,
        _ => return None,
    })
}

/// Why a whole file is refused (nothing of it is read further).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge(usize),
    /// Neither XLSX nor UTF-8 text.
    NotSpreadsheet,
    /// A zip that is not a readable workbook.
    BadXlsx(String),
    /// A quoted CSV field that never ends.
    UnclosedQuote(usize),
    /// No header row.
    Empty,
    /// The header lacks a column the import needs, or names one twice.
    Header(String),
}

impl FileError {
    /// For the person importing.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            FileError::TooLarge(n) => format!(
                "{} ({:.1} MB > {} MB)",
                lang.tr("File too large"),
                *n as f64 / 1_048_576.0,
                MAX_FILE_BYTES / 1_048_576
            ),
            FileError::NotSpreadsheet => lang
                .tr("The file is not CSV or XLSX.")
                .to_owned(),
            FileError::BadXlsx(e) => format!("{} ({e})", lang.tr("The XLSX file cannot be read")),
            FileError::UnclosedQuote(row) => format!(
                "{} {row}: {}",
                lang.tr("Row"),
                lang.tr("a quote is never closed")
            ),
            FileError::Empty => lang.tr("The file is empty: no header row.").to_owned(),
            FileError::Header(m) => format!("{}: {m}", lang.tr("Wrong header row")),
        }
    }
}

/// Why one row is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A formula where a value belongs (spreadsheet injection, or a value that is not there).
    Formula(Column),
    /// A cell holds a spreadsheet error (`#N/A` …).
    CellError(Column),
    /// The NIP came as a number too long to keep every digit.
    NipAsNumber,
    /// The NIP has characters other than digits.
    NipNotDigits(String),
    /// PNS and PPPK need an 18-digit NIP.
    NipLength(EmploymentType, usize),
    /// Neither an employee id nor a NIP.
    MissingId,
    /// No name.
    MissingName,
    /// A cell longer than allowed.
    TooLong(Column),
    /// Not PNS, PPPK or Non-ASN.
    UnknownType(String),
    /// The same employee (id or NIP) appears in an earlier row.
    Duplicate(usize),
    /// No section with that id or name.
    UnknownSection(String),
    /// No site with that id or name.
    UnknownSite(String),
    /// No site given and none can be assumed.
    MissingSite,
}

impl Refusal {
    /// The reason, for the person importing.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Refusal::Formula(c) => format!(
                "{} {}",
                lang.tr("a formula in column"),
                c.label(lang)
            ),
            Refusal::CellError(c) => format!("{} {}", lang.tr("an error cell in column"), c.label(lang)),
            Refusal::NipAsNumber => lang
                .tr("the NIP was stored as a number and lost digits; format the NIP column as text and type it again")
                .to_owned(),
            Refusal::NipNotDigits(n) => format!("{} {n:?}", lang.tr("NIP must be digits only:")),
            Refusal::NipLength(t, n) => format!(
                "{} {} {} ({n})",
                lang.tr("a"),
                t.as_str(),
                lang.tr("employee's NIP must have 18 digits")
            ),
            Refusal::MissingId => lang.tr("neither a NIP nor an employee id").to_owned(),
            Refusal::MissingName => lang.tr("the name is empty").to_owned(),
            Refusal::TooLong(c) => format!(
                "{} {} {MAX_CELL_CHARS} {}",
                c.label(lang),
                lang.tr("longer than"),
                lang.tr("characters")
            ),
            Refusal::UnknownType(t) => format!(
                "{} {t:?} ({})",
                lang.tr("unknown employment type"),
                lang.tr("PNS, PPPK or Non-ASN")
            ),
            Refusal::Duplicate(first) => format!(
                "{} {first}",
                lang.tr("the same employee (NIP/id) is already in row")
            ),
            Refusal::UnknownSection(s) => format!("{} {s:?}", lang.tr("unknown section")),
            Refusal::UnknownSite(s) => format!("{} {s:?}", lang.tr("unknown site")),
            Refusal::MissingSite => lang.tr("no site given").to_owned(),
        }
    }
}

/// One employee as a row gives them (section and site as written, not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// Roster id.
    pub employee_id: String,
    /// NIP, if any.
    pub nip: Option<String>,
    /// Full name.
    pub name: String,
    /// Jabatan.
    pub position: Option<String>,
    /// Golongan.
    pub grade: Option<String>,
    /// Section (id or name as written; after [`plan`], the id).
    pub section: Option<String>,
    /// Site (id or name as written; after [`plan`], the id).
    pub site: Option<String>,
    /// PNS / PPPK / Non-ASN.
    pub employment_type: Option<EmploymentType>,
    /// Atasan (as written: a NIP or a name).
    pub supervisor: Option<String>,
}

/// A data row of the file: its number in the spreadsheet (the header is usually row 1) and
/// what it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The spreadsheet's row number.
    pub row: usize,
    /// The employee, or why the row is refused.
    pub person: Result<Person, Refusal>,
}

/// A file read and its rows checked on their own (not yet against the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The columns the header names.
    pub columns: BTreeSet<Column>,
    /// The data rows, blank ones left out.
    pub rows: Vec<Row>,
}

/// A cell as read, before its column gives it a meaning.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Formula,
    Error,
}

/// Reads a CSV or XLSX file (told apart by content) and checks each row on its own: formulas,
/// NIP form and length, required cells, duplicates within the file.
pub fn parse(bytes: &[u8]) -> Result<Sheet, FileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge(bytes.len()));
    }
    let grid = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_grid(bytes)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotSpreadsheet)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.contains('\0') {
            return Err(FileError::NotSpreadsheet);
        }
        csv_grid(text)?
    };
    sheet_of(grid)
}

/// One employee typed into a form, as a one-row sheet (row 2 under a header of the `fields`'
/// columns), so that every check of a file's row applies to it too; a value starting with
/// `=` counts as a formula, as in a CSV file.
pub fn one(fields: &[(Column, &str)]) -> Result<Sheet, FileError> {
    let header = fields.iter().map(|(c, _)| Cell::Text(c.header().to_owned())).collect();
    let row = fields
        .iter()
        .map(|(_, v)| read_cell(v))
        .collect();
    sheet_of(vec![(1, header), (2, row)])
}

/// A typed or CSV cell: `=` first is a formula; the `'` that exports put before a value
/// starting with `+`, `-`, `@` or a tab (see [`crate::reports::csv::neutralise`]) is taken off
/// again, so an exported file imports unchanged. A `'` before `=` stays a formula.
fn read_cell(v: &str) -> Cell {
    let t = v.trim();
    let t = match t.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t']) => rest,
        _ => t,
    };
    if t.starts_with('=') { Cell::Formula } else { Cell::Text(t.to_owned()) }
}

/// Splits CSV text into numbered records: `,`, `;` or tab (whichever the header line uses
/// most), fields optionally in double quotes with `""` for a quote. A cell starting with `=`
/// is a formula.
fn csv_grid(text: &str) -> Result<Vec<(usize, Vec<Cell>)>, FileError> {
    let header_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delim = [',', ';', '\t'].into_iter().max_by_key(|d| header_line.matches(*d).count()).unwrap_or(',');
    let mut out = Vec::new();
    let mut row = 1usize;
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut was_quoted = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let mut start_row = 1usize;
    // A quoted cell starting with `=` is still a formula to a spreadsheet that opens the file.
    let finish = |fields: &mut Vec<String>, row: usize, out: &mut Vec<(usize, Vec<Cell>)>| {
        let cells = fields.drain(..).map(|f| read_cell(&f)).collect::<Vec<_>>();
        out.push((row, cells));
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !was_quoted => {
                field.clear();
                in_quotes = true;
                was_quoted = true;
            }
            c if c == delim => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                finish(&mut fields, start_row, &mut out);
                row += 1;
                start_row = row;
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(FileError::UnclosedQuote(start_row));
    }
    if !field.is_empty() || !fields.is_empty() || was_quoted {
        fields.push(field);
        finish(&mut fields, start_row, &mut out);
    }
    Ok(out)
}

/// The first worksheet of an XLSX file as numbered rows; a cell with a formula is
/// [`Cell::Formula`] whatever its cached value.
fn xlsx_grid(bytes: &[u8]) -> Result<Vec<(usize, Vec<Cell>)>, FileError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| FileError::BadXlsx(e.to_string()))?;
    let name = book.sheet_names().into_iter().next().ok_or(FileError::Empty)?;
    let range = book.worksheet_range(&name).map_err(|e| FileError::BadXlsx(e.to_string()))?;
    let formulas = book.worksheet_formula(&name).map_err(|e| FileError::BadXlsx(e.to_string()))?;
    let Some((r0, c0)) = range.start() else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let r = r0 + i as u32;
        // Columns before the used range's start are blank; keep positions absolute.
        let mut row: Vec<Cell> = (0..c0).map(|_| Cell::Text(String::new())).collect();
        for (j, v) in cells.iter().enumerate() {
            let c = c0 + j as u32;
            if formulas.get_value((r, c)).is_some_and(|f| !f.is_empty()) {
                row.push(Cell::Formula);
                continue;
            }
            row.push(match v {
                Data::Empty => Cell::Text(String::new()),
                Data::String(s) => {
                    if s.trim_start().starts_with('=') { Cell::Formula } else { Cell::Text(s.trim().to_owned()) }
                }
                Data::Int(n) => Cell::Text(n.to_string()),
                Data::Float(f) => Cell::Number(*f),
                Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_owned()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                Data::DateTime(d) => Cell::Text(d.to_string()),
                Data::Error(_) => Cell::Error,
            });
        }
        out.push((r as usize + 1, row));
    }
    Ok(out)
}

/// A number cell as text: whole numbers below 10^15 exactly (every such one is exact in a
/// float); `None` for a number that may have lost digits.
fn number_text(f: f64) -> Option<String> {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        Some(format!("{}", f as i64))
    } else if f.fract() != 0.0 && f.abs() < 1e15 {
        Some(format!("{f}"))
    } else {
        None
    }
}

fn is_blank(cells: &[Cell]) -> bool {
    cells.iter().all(|c| matches!(c, Cell::Text(t) if t.is_empty()))
}

fn sheet_of(grid: Vec<(usize, Vec<Cell>)>) -> Result<Sheet, FileError> {
    let mut rows = grid.into_iter().filter(|(_, cells)| !is_blank(cells));
    let (header_row, header) = rows.next().ok_or(FileError::Empty)?;
    let mut at: HashMap<Column, usize> = HashMap::new();
    for (i, cell) in header.iter().enumerate() {
        let name = match cell {
            Cell::Text(name) => name,
            // A number above a column the import does not read (a year, a count) is harmless.
            Cell::Number(_) => continue,
            Cell::Formula | Cell::Error => {
                return Err(FileError::Header(format!("row {header_row}, column {}: a formula or error, not a column name", i + 1)));
            }
        };
        if let Some(col) = column_of(name)
            && at.insert(col, i).is_some()
        {
            return Err(FileError::Header(format!("{} ({}) ×2", col.header(), name)));
        }
    }
    if !at.contains_key(&Column::Name) || !(at.contains_key(&Column::Nip) || at.contains_key(&Column::EmployeeId)) {
        let found: Vec<String> = header.iter().filter_map(|c| if let Cell::Text(t) = c { Some(t.clone()) } else { None }).collect();
        return Err(FileError::Header(format!(
            "Nama/Name + NIP (or ID Pegawai) required; found: {}",
            found.join(", ")
        )));
    }
    let mut seen_id: HashMap<String, usize> = HashMap::new();
    let mut seen_nip: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (row, cells) in rows {
        let mut person = person_of(&at, &cells);
        if let Ok(p) = &person {
            let dup = seen_id.get(&p.employee_id).or_else(|| p.nip.as_ref().and_then(|n| seen_nip.get(n))).copied();
            if let Some(first) = dup {
                person = Err(Refusal::Duplicate(first));
            } else {
                seen_id.insert(p.employee_id.clone(), row);
                if let Some(n) = &p.nip {
                    seen_nip.insert(n.clone(), row);
                }
            }
        }
        out.push(Row { row, person });
    }
    Ok(Sheet { columns: at.keys().copied().collect(), rows: out })
}

/// One row's cells as an employee (checked on its own).
fn person_of(at: &HashMap<Column, usize>, cells: &[Cell]) -> Result<Person, Refusal> {
    // Formulas and error cells first, in column order, wherever they are.
    for col in COLUMNS {
        match at.get(&col).and_then(|i| cells.get(*i)) {
            Some(Cell::Formula) => return Err(Refusal::Formula(col)),
            Some(Cell::Error) => return Err(Refusal::CellError(col)),
            _ => {}
        }
    }
    let text = |col: Column| -> Result<Option<String>, Refusal> {
        let t = match at.get(&col).and_then(|i| cells.get(*i)) {
            None => return Ok(None),
            Some(Cell::Text(t)) => t.clone(),
            Some(Cell::Number(f)) => number_text(*f).ok_or(if col == Column::Nip { Refusal::NipAsNumber } else { Refusal::TooLong(col) })?,
            Some(Cell::Formula | Cell::Error) => unreachable!("refused above"),
        };
        if t.chars().count() > MAX_CELL_CHARS {
            return Err(Refusal::TooLong(col));
        }
        Ok(Some(t).filter(|t| !t.is_empty()))
    };
    let nip = text(Column::Nip)?;
    let employment_type = match text(Column::EmploymentType)? {
        None => None,
        Some(t) => Some(EmploymentType::parse(&t).ok_or(Refusal::UnknownType(t))?),
    };
    if let Some(n) = &nip
        && !n.chars().all(|c| c.is_ascii_digit())
    {
        return Err(Refusal::NipNotDigits(n.clone()));
    }
    match (employment_type, &nip) {
        (Some(t), Some(n)) if t.needs_nip() && n.len() != 18 => return Err(Refusal::NipLength(t, n.len())),
        (Some(t), None) if t.needs_nip() => return Err(Refusal::NipLength(t, 0)),
        _ => {}
    }
    let employee_id = text(Column::EmployeeId)?.or_else(|| nip.clone()).ok_or(Refusal::MissingId)?;
    let name = text(Column::Name)?.ok_or(Refusal::MissingName)?;
    Ok(Person {
        employee_id,
        nip,
        name,
        position: text(Column::Position)?,
        grade: text(Column::Grade)?,
        section: text(Column::Section)?,
        site: text(Column::Site)?,
        employment_type,
        supervisor: text(Column::Supervisor)?,
    })
}

/// The sections and sites an import may name (by id or by name).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// (id, name) of each section.
    pub sections: Vec<(String, String)>,
    /// (id, name) of each site.
    pub sites: Vec<(String, String)>,
}

fn resolve(list: &[(String, String)], given: &str) -> Option<String> {
    list.iter()
        .find(|(id, _)| id == given)
        .or_else(|| list.iter().find(|(id, name)| name.eq_ignore_ascii_case(given) || id.eq_ignore_ascii_case(given)))
        .map(|(id, _)| id.clone())
}

/// An employee the store holds, with section and site ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Their fields.
    pub person: Person,
    /// Not deactivated.
    pub active: bool,
}

/// A field an import changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A column's value.
    Field(Column),
    /// A deactivated employee comes back.
    Reactivated,
}

impl Change {
    /// For people.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Change::Field(c) => c.label(lang),
            Change::Reactivated => lang.tr("reactivated"),
        }
    }
}

/// What an import does with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new employee.
    Added,
    /// These fields change.
    Changed(Vec<Change>),
    /// Nothing changes.
    Unchanged,
    /// Not imported.
    Refused(Refusal),
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    /// The spreadsheet's row number.
    pub row: usize,
    /// The roster id, when the row gave one.
    pub employee_id: Option<String>,
    /// The name, when the row gave one.
    pub name: Option<String>,
    /// What happens.
    pub outcome: Outcome,
}

/// Every row's outcome and what committing writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// In file order.
    pub rows: Vec<RowOutcome>,
    /// The employees to add or change, complete (fields the file lacks kept from the store),
    /// section and site as ids.
    pub writes: Vec<Person>,
}

/// Counts of a plan, as the command line prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// New employees.
    pub added: usize,
    /// Changed employees.
    pub updated: usize,
    /// Rows that change nothing.
    pub unchanged: usize,
    /// Refused rows.
    pub refused: usize,
}

impl Plan {
    /// The counts.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for r in &self.rows {
            match r.outcome {
                Outcome::Added => t.added += 1,
                Outcome::Changed(_) => t.updated += 1,
                Outcome::Unchanged => t.unchanged += 1,
                Outcome::Refused(_) => t.refused += 1,
            }
        }
        t
    }

    /// The refused rows' lines (`row N: reason`).
    pub fn refusal_lines(&self, lang: Lang) -> String {
        let mut out = String::new();
        for r in &self.rows {
            if let Outcome::Refused(why) = &r.outcome {
                let _ = writeln!(out, "row {}: {}", r.row, why.text(lang));
            }
        }
        out
    }
}

/// Compares a sheet with the store's employees: each row's outcome, and the writes.
pub fn plan(sheet: &Sheet, existing: &HashMap<String, Existing>, catalog: &Catalog) -> Plan {
    let mut out = Plan::default();
    let only_site = if catalog.sites.len() == 1 { Some(catalog.sites[0].0.clone()) } else { None };
    for r in &sheet.rows {
        let (employee_id, name) = match &r.person {
            Ok(p) => (Some(p.employee_id.clone()), Some(p.name.clone())),
            Err(_) => (None, None),
        };
        let outcome = match &r.person {
            Err(why) => Outcome::Refused(why.clone()),
            Ok(p) => match merge(sheet, p, existing.get(&p.employee_id), catalog, only_site.as_deref()) {
                Err(why) => Outcome::Refused(why),
                Ok((person, outcome)) => {
                    if outcome != Outcome::Unchanged {
                        out.writes.push(person);
                    }
                    outcome
                }
            },
        };
        out.rows.push(RowOutcome { row: r.row, employee_id, name, outcome });
    }
    out
}

/// The employee as the import leaves them, and the outcome.
fn merge(sheet: &Sheet, p: &Person, old: Option<&Existing>, catalog: &Catalog, only_site: Option<&str>) -> Result<(Person, Outcome), Refusal> {
    let has = |c: Column| sheet.columns.contains(&c);
    let section = match &p.section {
        Some(s) => Some(resolve(&catalog.sections, s).ok_or_else(|| Refusal::UnknownSection(s.clone()))?),
        None => None,
    };
    let site = match &p.site {
        Some(s) => Some(resolve(&catalog.sites, s).ok_or_else(|| Refusal::UnknownSite(s.clone()))?),
        None => None,
    };
    let base = old.map(|o| o.person.clone()).unwrap_or_default();
    let pick = |c: Column, new: &Option<String>, old: &Option<String>| if has(c) { new.clone() } else { old.clone() };
    let merged = Person {
        employee_id: p.employee_id.clone(),
        nip: pick(Column::Nip, &p.nip, &base.nip),
        name: p.name.clone(),
        position: pick(Column::Position, &p.position, &base.position),
        grade: pick(Column::Grade, &p.grade, &base.grade),
        section: pick(Column::Section, &section, &base.section),
        site: if has(Column::Site) && site.is_some() { site } else { base.site.clone().or_else(|| only_site.map(str::to_owned)) },
        employment_type: if has(Column::EmploymentType) { p.employment_type } else { base.employment_type },
        supervisor: pick(Column::Supervisor, &p.supervisor, &base.supervisor),
    };
    if merged.site.is_none() {
        return Err(Refusal::MissingSite);
    }
    let Some(old) = old else { return Ok((merged, Outcome::Added)) };
    let b = &old.person;
    let mut changes = Vec::new();
    let pairs: [(Column, bool); 8] = [
        (Column::Nip, merged.nip != b.nip),
        (Column::Name, merged.name != b.name),
        (Column::Position, merged.position != b.position),
        (Column::Grade, merged.grade != b.grade),
        (Column::Section, merged.section != b.section),
        (Column::Site, merged.site != b.site),
        (Column::EmploymentType, merged.employment_type != b.employment_type),
        (Column::Supervisor, merged.supervisor != b.supervisor),
    ];
    changes.extend(pairs.iter().filter(|(_, d)| *d).map(|(c, _)| Change::Field(*c)));
    if !old.active {
        changes.push(Change::Reactivated);
    }
    let outcome = if changes.is_empty() { Outcome::Unchanged } else { Outcome::Changed(changes) };
    Ok((merged, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NIP1: &str = "198503152010011001";
    const NIP2: &str = "199001012019032002";

    fn xlsx(rows: &[&[XCell]]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (i, row) in rows.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                let (r, col) = (i as u32, j as u16);
                match c {
                    XCell::S(s) => sheet.write_string(r, col, *s).map(|_| ()),
                    XCell::N(n) => sheet.write_number(r, col, *n).map(|_| ()),
                    XCell::F(f) => sheet.write_formula(r, col, *f).map(|_| ()),
                }
                .unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    }

    enum XCell {
        S(&'static str),
        N(f64),
        F(&'static str),
    }

    /// Each row's number and its employee as `id|name|nip`, or its refusal.
    type Rows = Vec<(usize, Result<String, Refusal>)>;

    fn outcome(bytes: &[u8]) -> Result<Rows, FileError> {
        let sheet = parse(bytes)?;
        Ok(sheet.rows.into_iter().map(|r| (r.row, r.person.map(|p| format!("{}|{}|{}", p.employee_id, p.name, p.nip.unwrap_or_default())))).collect())
    }

    #[test]
    fn csv_table() {
        let ok = |row, id: &str, name: &str, nip: &str| (row, Ok(format!("{id}|{name}|{nip}")));
        let cases: Vec<(&str, Vec<u8>, Result<Rows, FileError>)> = vec![
            (
                "indonesian headers, comma",
                format!("NIP,Nama,Jenis Pegawai\n{NIP1},Budi Santoso,PNS\n").into_bytes(),
                Ok(vec![ok(2, NIP1, "Budi Santoso", NIP1)]),
            ),
            (
                "english headers, BOM, semicolon, CRLF, quotes",
                format!("\u{feff}Employee ID;NIP;Full name;Employment type\r\nH-01;;\"Sari; \"\"Ani\"\"\";Non-ASN\r\nX;{NIP2};Dewi;pppk\r\n").into_bytes(),
                Ok(vec![ok(2, "H-01", "Sari; \"Ani\"", ""), ok(3, "X", "Dewi", NIP2)]),
            ),
            (
                "blank lines skipped, numbers kept",
                format!("nip,nama\n\n{NIP1},Budi\n,\n").into_bytes(),
                Ok(vec![ok(3, NIP1, "Budi", NIP1)]),
            ),
            (
                "formula cell",
                format!("NIP,Nama\n{NIP1},=HYPERLINK(\"x\")\n").into_bytes(),
                Ok(vec![(2, Err(Refusal::Formula(Column::Name)))]),
            ),
            (
                "duplicate NIP",
                format!("NIP,Nama\n{NIP1},Budi\n{NIP2},Ani\n{NIP1},Budi lagi\n").into_bytes(),
                Ok(vec![ok(2, NIP1, "Budi", NIP1), ok(3, NIP2, "Ani", NIP2), (4, Err(Refusal::Duplicate(2)))]),
            ),
            (
                "NIP length for PNS and PPPK, not for Non-ASN",
                "NIP,Nama,Jenis\n1985031520100110,Budi,PNS\n12345,Ani,Non-ASN\n,Dewi,PPPK\n19850315201001100X,Eko,PNS\n".as_bytes().to_vec(),
                Ok(vec![
                    (2, Err(Refusal::NipLength(EmploymentType::Pns, 16))),
                    ok(3, "12345", "Ani", "12345"),
                    (4, Err(Refusal::NipLength(EmploymentType::Pppk, 0))),
                    (5, Err(Refusal::NipNotDigits("19850315201001100X".into()))),
                ]),
            ),
            (
                "missing name, unknown type",
                format!("NIP,Nama,Jenis Pegawai\n{NIP1},,PNS\n{NIP2},Ani,kontrak\n").into_bytes(),
                Ok(vec![(2, Err(Refusal::MissingName)), (3, Err(Refusal::UnknownType("kontrak".into())))]),
            ),
            ("no name column", b"NIP,Jabatan\n1,2\n".to_vec(), Err(FileError::Header("Nama/Name + NIP (or ID Pegawai) required; found: NIP, Jabatan".into()))),
            ("a column twice", b"NIP,Nama,Name\n".to_vec(), Err(FileError::Header("Nama (Name) \u{d7}2".into()))),
            ("empty", b"\n\n".to_vec(), Err(FileError::Empty)),
            ("unclosed quote", b"NIP,Nama\n1,\"Budi\n".to_vec(), Err(FileError::UnclosedQuote(2))),
            ("not a spreadsheet", vec![0xff, 0xd8, 0xff, 0xe0, 0, 1, 2], Err(FileError::NotSpreadsheet)),
            ("a zip that is no workbook", b"PK\x03\x04garbage".to_vec(), Err(FileError::BadXlsx(String::new()))),
            ("oversize", vec![b'a'; MAX_FILE_BYTES + 1], Err(FileError::TooLarge(MAX_FILE_BYTES + 1))),
        ];
        for (what, bytes, want) in cases {
            let got = outcome(&bytes);
            match (&got, &want) {
                (Err(FileError::BadXlsx(_)), Err(FileError::BadXlsx(_))) => {}
                _ => assert_eq!(got, want, "{what}"),
            }
        }
    }

    #[test]
    fn xlsx_table() {
        use XCell::{F, N, S};
        let header: &[XCell] = &[S("NIP"), S("Nama"), S("Jenis Pegawai")];
        // 18 digits typed into a number cell: the float cannot hold them.
        let as_number = xlsx(&[header, &[N(198503152010011001.0), S("Budi"), S("PNS")]]);
        assert_eq!(outcome(&as_number).unwrap(), vec![(2, Err(Refusal::NipAsNumber))]);
        // 18 digits as text keep every digit; a small number is exact.
        let as_text = xlsx(&[header, &[S(NIP1), S("Budi"), S("PNS")], &[N(12345.0), S("Ani"), S("Non-ASN")]]);
        assert_eq!(
            outcome(&as_text).unwrap(),
            vec![(2, Ok(format!("{NIP1}|Budi|{NIP1}"))), (3, Ok("12345|Ani|12345".to_owned()))]
        );
        let formula = xlsx(&[header, &[S(NIP1), F("=CONCAT(\"Bu\",\"di\")"), S("PNS")]]);
        assert_eq!(outcome(&formula).unwrap(), vec![(2, Err(Refusal::Formula(Column::Name)))]);
        let bad_header = xlsx(&[&[S("Nomor"), S("Nama")], &[S("1"), S("Budi")]]);
        assert!(matches!(outcome(&bad_header), Err(FileError::Header(_))));
    }

    #[test]
    fn headers_table() {
        for (h, want) in [
            ("NIP", Some(Column::Nip)),
            ("Nama Lengkap", Some(Column::Name)),
            ("name", Some(Column::Name)),
            ("Jabatan", Some(Column::Position)),
            ("Golongan/Ruang", Some(Column::Grade)),
            ("Bidang / Seksi", Some(Column::Section)),
            ("Seksi", Some(Column::Section)),
            ("LOKASI", Some(Column::Site)),
            ("Jenis Pegawai", Some(Column::EmploymentType)),
            ("Employment type", Some(Column::EmploymentType)),
            ("Atasan Langsung", Some(Column::Supervisor)),
            ("ID Pegawai", Some(Column::EmployeeId)),
            ("Tanggal lahir", None),
        ] {
            assert_eq!(column_of(h), want, "{h}");
        }
    }

    #[test]
    fn plan_table() {
        let csv = format!(
            "NIP,Nama,Bidang,Lokasi,Jenis Pegawai\n{NIP1},Budi,Umum,PU,PNS\n{NIP2},Ani,Bina Marga,PU,PPPK\n199201012020121003,Eko,Antah,PU,PNS\n199301012020121004,Fajar,Umum,Mars,PNS\n"
        );
        let sheet = parse(csv.as_bytes()).unwrap();
        let catalog = Catalog {
            sections: vec![("UM".into(), "Umum".into()), ("BM".into(), "Bina Marga".into())],
            sites: vec![("PU".into(), "Kantor PU".into())],
        };
        let mut existing = HashMap::new();
        let budi = Person {
            employee_id: NIP1.into(),
            nip: Some(NIP1.into()),
            name: "Budi".into(),
            position: Some("Kepala".into()),
            section: Some("UM".into()),
            site: Some("PU".into()),
            employment_type: Some(EmploymentType::Pns),
            ..Person::default()
        };
        existing.insert(NIP1.to_owned(), Existing { person: budi.clone(), active: true });
        let p = plan(&sheet, &existing, &catalog);
        let outcomes: Vec<_> = p.rows.iter().map(|r| (r.row, r.outcome.clone())).collect();
        assert_eq!(
            outcomes,
            vec![
                // No Jabatan column: the position is kept, nothing changes.
                (2, Outcome::Unchanged),
                (3, Outcome::Added),
                (4, Outcome::Refused(Refusal::UnknownSection("Antah".into()))),
                (5, Outcome::Refused(Refusal::UnknownSite("Mars".into()))),
            ]
        );
        assert_eq!(p.writes.len(), 1);
        assert_eq!(p.writes[0].section.as_deref(), Some("BM"), "sections resolve by name to their id");
        assert_eq!(p.tally(), Tally { added: 1, updated: 0, unchanged: 1, refused: 2 });
        existing.insert(NIP1.to_owned(), Existing { person: Person { name: "Budi S".into(), ..budi }, active: false });
        let p = plan(&sheet, &existing, &catalog);
        assert_eq!(p.rows[0].outcome, Outcome::Changed(vec![Change::Field(Column::Name), Change::Reactivated]));
        assert_eq!(p.refusal_lines(Lang::En), "row 4: unknown section \"Antah\"\nrow 5: unknown site \"Mars\"\n");
    }

    #[test]
    fn export_round_trips() {
        let people = vec![
            Person {
                employee_id: NIP1.into(),
                nip: Some(NIP1.into()),
                name: "Budi, \"Bud\"".into(),
                position: Some("Kepala Seksi".into()),
                grade: Some("III/c".into()),
                section: Some("UM".into()),
                site: Some("PU".into()),
                employment_type: Some(EmploymentType::Pns),
                supervisor: Some(NIP2.into()),
            },
            Person { employee_id: "H-7".into(), name: "Sari".into(), site: Some("PU".into()), employment_type: Some(EmploymentType::NonAsn), ..Person::default() },
            // Values a spreadsheet would run as formulas: the CSV shows them as text, and they
            // come back unchanged.
            Person {
                employee_id: "H-8".into(),
                name: "@Wayan".into(),
                position: Some("+62 Staf".into()),
                grade: Some("-".into()),
                supervisor: Some("-Made".into()),
                site: Some("PU".into()),
                employment_type: Some(EmploymentType::NonAsn),
                ..Person::default()
            },
        ];
        let csv = String::from_utf8(crate::people::export::to_csv(&people)).unwrap();
        assert!(csv.contains(",'@Wayan,") && csv.contains(",'+62 Staf,") && csv.contains(",'-Made"), "{csv}");
        assert!(csv.contains(",-,"), "a lone '-' is no formula: {csv}");
        for bytes in [csv.into_bytes(), crate::people::export::to_xlsx(&people).unwrap()] {
            let sheet = parse(&bytes).unwrap();
            let got: Vec<Person> = sheet.rows.into_iter().map(|r| r.person.unwrap()).collect();
            assert_eq!(got, people);
        }
        // The mark does not let a formula in: `'=` is still refused.
        assert_eq!(read_cell("'=HYPERLINK(\"x\")"), Cell::Formula);
    }
}
