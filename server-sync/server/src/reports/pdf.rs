//! PDF export: a plain PDF 1.4 file written directly, A4 landscape, the built-in Helvetica font,
//! the office's letterhead on the first page, the table with repeated headers on every page,
//! the signature block after the last row (on a page of its own when the last is full) and
//! page numbers.
//!
//! Written by hand rather than with a PDF crate because a recap is only text in a grid and the
//! built-in fonts need no embedding. Limits: text is encoded as WinAnsi (Latin-1); characters
//! outside it print as `?`. Column widths are estimated from an average glyph width.

use std::fmt::Write as _;

use super::Table;
use super::signoff::{SignatureColumn, Signoff};

const PAGE_W: f64 = 842.0;
const PAGE_H: f64 = 595.0;
const MARGIN: f64 = 28.0;
/// Average Helvetica glyph width as a fraction of the font size (good enough for digits and
/// mixed-case names).
const GLYPH: f64 = 0.55;
/// A letterhead line's height, points.
const LETTERHEAD_LINE: f64 = 13.0;
/// The signature block's height: heading, title, room to sign, name, NIP.
const SIGNATURE_H: f64 = 24.0 + 12.0 * 2.0 + 40.0 + 12.0 * 2.0;

fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| if (c as u32) < 256 && c != '\u{feff}' { c as u32 as u8 } else { b'?' })
        .collect()
}

/// A PDF string literal with `(`, `)` and `\` escaped.
fn pdf_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'(');
    for b in latin1(s) {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
}

fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= max_chars => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_owned()
    } else {
        s.chars().take(max_chars.saturating_sub(1)).chain(['.']).collect()
    }
}

/// The table as PDF bytes; `footer` is printed before the page number (e.g. who printed it),
/// `signoff` is the letterhead and the signature block (empty: neither).
pub fn to_pdf(table: &Table, footer: &str, signoff: &Signoff) -> Vec<u8> {
    // Column widths in characters: the longest cell, or the longest word of the header.
    let cols = table.headers.len();
    let mut chars: Vec<usize> = table
        .headers
        .iter()
        .map(|h| h.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(1))
        .collect();
    for row in &table.rows {
        for (c, cell) in row.iter().enumerate().take(cols) {
            chars[c] = chars[c].max(cell.display().chars().count().min(32));
        }
    }
    let total_chars: usize = chars.iter().map(|c| c + 1).sum();
    let avail = PAGE_W - 2.0 * MARGIN;
    let font = (avail / (total_chars as f64 * GLYPH)).clamp(4.0, 9.0);
    let widths: Vec<f64> = chars.iter().map(|c| (*c as f64 + 1.0) * GLYPH * font).collect();
    let header_lines: Vec<Vec<String>> =
        table.headers.iter().zip(&chars).map(|(h, c)| wrap(h, *c)).collect();
    let header_h = header_lines.iter().map(Vec::len).max().unwrap_or(1) as f64 * font * 1.15 + 4.0;
    let row_h = font * 1.35;
    // The letterhead takes the top of the first page, above the title.
    let letterhead_h = if signoff.letterhead.is_empty() { 0.0 } else { signoff.letterhead.len() as f64 * LETTERHEAD_LINE + 10.0 };
    let title_y = |first: bool| PAGE_H - MARGIN - 8.0 - if first { letterhead_h } else { 0.0 };
    let bottom = MARGIN + 14.0;
    let capacity = |first: bool| (((title_y(first) - 12.0 - header_h) - bottom) / row_h).floor().max(1.0) as usize;
    let mut pages: Vec<&[Vec<super::Cell>]> = Vec::new();
    let mut rest = table.rows.as_slice();
    loop {
        let n = capacity(pages.is_empty()).min(rest.len());
        pages.push(&rest[..n]);
        rest = &rest[n..];
        if rest.is_empty() {
            break;
        }
    }
    // The signature block follows the last row, or opens a page of its own.
    let last_row_y = title_y(pages.len() == 1) - 12.0 - header_h - pages.last().map_or(0, |p| p.len()) as f64 * row_h;
    let signature_page = !signoff.columns.is_empty() && last_row_y - SIGNATURE_H < bottom;
    let n_pages = pages.len() + usize::from(signature_page);

    let mut contents: Vec<Vec<u8>> = Vec::new();
    for (pi, chunk) in pages.iter().enumerate() {
        let mut c: Vec<u8> = Vec::new();
        let first = pi == 0;
        if first {
            letterhead(&mut c, &signoff.letterhead);
        }
        text(&mut c, MARGIN, title_y(first), 12.0, true, &table.title);
        let top = title_y(first) - 12.0;
        // Header band.
        let _ = write!(
            Cursor(&mut c),
            "0.87 0.91 0.94 rg {MARGIN:.2} {:.2} {:.2} {header_h:.2} re f 0 g\n",
            top - header_h,
            widths.iter().sum::<f64>()
        );
        let mut x = MARGIN;
        for (ci, lines) in header_lines.iter().enumerate() {
            for (li, l) in lines.iter().enumerate() {
                text(&mut c, x + 1.5, top - font * 1.1 * (li as f64 + 1.0), font, true, l);
            }
            x += widths[ci];
        }
        let mut y = top - header_h;
        for (ri, row) in chunk.iter().enumerate() {
            if ri % 2 == 1 {
                let _ = write!(
                    Cursor(&mut c),
                    "0.96 0.96 0.96 rg {MARGIN:.2} {:.2} {:.2} {row_h:.2} re f 0 g\n",
                    y - row_h,
                    widths.iter().sum::<f64>()
                );
            }
            let mut x = MARGIN;
            for (ci, cell) in row.iter().enumerate().take(cols) {
                let max = ((widths[ci] / (GLYPH * font)) as usize).max(1);
                text(&mut c, x + 1.5, y - row_h + font * 0.35, font, false, &truncate(&cell.display(), max));
                x += widths[ci];
            }
            y -= row_h;
        }
        if pi + 1 == pages.len() && !signature_page {
            signatures(&mut c, y, &signoff.columns);
        }
        contents.push(c);
    }
    if signature_page {
        let mut c = Vec::new();
        signatures(&mut c, PAGE_H - MARGIN, &signoff.columns);
        contents.push(c);
    }
    for (pi, c) in contents.iter_mut().enumerate() {
        text(c, MARGIN, MARGIN - 10.0, 7.0, false, &format!("{footer}   {}/{n_pages}", pi + 1));
    }

    // Objects: 1 catalog, 2 pages, 3 F1, 4 F2, then (page, content) pairs.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..n_pages).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n_pages} >>", kids.join(" ")).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec());
    for (i, c) in contents.into_iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let mut s = format!("<< /Length {} >>\nstream\n", c.len()).into_bytes();
        s.extend_from_slice(&c);
        s.extend_from_slice(b"\nendstream");
        objects.push(s);
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// One line of text at (`x`, `y`), Helvetica or Helvetica-Bold.
fn text(c: &mut Vec<u8>, x: f64, y: f64, size: f64, bold: bool, s: &str) {
    let _ = write!(Cursor(c), "BT /{} {size:.2} Tf {x:.2} {y:.2} Td ", if bold { "F2" } else { "F1" });
    pdf_string(s, c);
    c.extend_from_slice(b" Tj ET\n");
}

/// The letterhead, centred, the first line largest, with a double rule under it (as a kop surat).
fn letterhead(c: &mut Vec<u8>, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut y = PAGE_H - MARGIN - 4.0;
    for (i, l) in lines.iter().enumerate() {
        let size = if i < 2 { 12.0 } else { 9.0 };
        let width = l.chars().count() as f64 * GLYPH * size;
        text(c, ((PAGE_W - width) / 2.0).max(MARGIN), y, size, i < 2, l);
        y -= LETTERHEAD_LINE;
    }
    let rule = y + LETTERHEAD_LINE - 5.0;
    let _ = write!(
        Cursor(c),
        "1.5 w {MARGIN:.2} {rule:.2} m {:.2} {rule:.2} l S 0.5 w {MARGIN:.2} {:.2} m {:.2} {:.2} l S\n",
        PAGE_W - MARGIN,
        rule - 2.5,
        PAGE_W - MARGIN,
        rule - 2.5
    );
}

/// The signature columns under `y`: one on the right, or two at the left and right.
fn signatures(c: &mut Vec<u8>, y: f64, columns: &[SignatureColumn]) {
    let width = 250.0;
    let right = PAGE_W - MARGIN - width;
    let xs: Vec<f64> = match columns.len() {
        1 => vec![right],
        _ => vec![MARGIN + 30.0, right],
    };
    for (col, x) in columns.iter().zip(xs) {
        let mut y = y - 24.0;
        let fits = |s: &str| truncate(s, (width / (GLYPH * 9.0)) as usize);
        text(c, x, y, 9.0, false, &fits(&col.heading));
        y -= 12.0;
        text(c, x, y, 9.0, false, &fits(&col.title));
        y -= 12.0 + 40.0;
        text(c, x, y, 9.0, true, &fits(&col.name));
        let name_w = col.name.chars().count().min((width / (GLYPH * 9.0)) as usize) as f64 * GLYPH * 9.0;
        let _ = write!(Cursor(c), "0.5 w {x:.2} {:.2} m {:.2} {:.2} l S\n", y - 2.0, x + name_w, y - 2.0);
        y -= 12.0;
        if !col.nip.is_empty() {
            text(c, x, y, 9.0, false, &fits(&col.nip));
        }
    }
}

/// `fmt::Write` into a byte vector.
struct Cursor<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::Cell;

    fn table(rows: usize) -> Table {
        Table {
            title: "Rekapitulasi (Maret) 2026".into(),
            headers: vec!["No", "Nama pegawai", "Menit terlambat"],
            rows: (0..rows)
                .map(|i| vec![Cell::Int(i as i64 + 1), Cell::Text(format!("Pegawai {i} \\ (uji)")), Cell::Int(5)])
                .collect(),
        }
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let pdf = to_pdf(&table(150), "Dicetak oleh admin", &Signoff::default());
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // Offsets are byte offsets: work on bytes (the header's binary comment is not UTF-8).
        let sx = find(&pdf, b"startxref\n").unwrap() + b"startxref\n".len();
        let end = sx + pdf[sx..].iter().position(|b| *b == b'\n').unwrap();
        let startxref: usize = std::str::from_utf8(&pdf[sx..end]).unwrap().parse().unwrap();
        assert!(pdf[startxref..].starts_with(b"xref\n"));
        let table_text = std::str::from_utf8(&pdf[startxref..]).unwrap();
        let entries: Vec<usize> = table_text
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().unwrap())
            .collect();
        assert!(entries.len() > 6, "several pages for 150 rows");
        for (i, off) in entries.iter().enumerate() {
            assert!(pdf[*off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()), "object {}", i + 1);
        }
        // Parentheses and backslashes in text are escaped.
        assert!(find(&pdf, b"(Pegawai 0 \\\\ \\(uji\\)) Tj").is_some());
    }

    fn pages(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let count = text.split("/Count ").nth(1).unwrap();
        count[..count.find(' ').unwrap()].parse().unwrap()
    }

    #[test]
    fn the_letterhead_opens_and_the_signatures_close_the_recap() {
        let letterhead = crate::reports::signoff::Letterhead {
            lines: vec!["PEMERINTAH KABUPATEN BADUNG".into(), "Jl. Raya Sempidi, Mangupura".into()],
            place: "Mangupura".into(),
            approver: crate::reports::signoff::Signatory { title: "Kepala Dinas".into(), name: "Ir. I Made Sutama".into(), nip: "197001011995031001".into() },
            preparer: crate::reports::signoff::Signatory { title: "Kepala Bidang".into(), name: "Ni Luh Sari".into(), nip: String::new() },
            section_heads: Default::default(),
        };
        let signoff = letterhead.signoff(crate::dashboard::i18n::Lang::Id, None, time::macros::date!(2026 - 03 - 31));
        let plain = table(3);
        let pdf = to_pdf(&plain, "f", &signoff);
        for needle in [
            "(PEMERINTAH KABUPATEN BADUNG) Tj",
            "(Mengetahui,) Tj",
            "(Kepala Dinas) Tj",
            "(Ir. I Made Sutama) Tj",
            "(NIP. 197001011995031001) Tj",
            "(Mangupura, 31 Maret 2026) Tj",
            "(Ni Luh Sari) Tj",
        ] {
            assert!(find(&pdf, needle.as_bytes()).is_some(), "{needle}");
        }
        assert_eq!(pages(&pdf), 1, "three rows and the block fit one page");
        assert!(find(&to_pdf(&plain, "f", &Signoff::default()), b"Mengetahui").is_none());
        // Rows that leave no room under them push the whole block onto a page of its own.
        let bare = Signoff { columns: vec![], ..signoff.clone() };
        let full = (1..200).find(|n| pages(&to_pdf(&table(*n), "f", &signoff)) > pages(&to_pdf(&table(*n), "f", &bare))).expect("some row count fills a page");
        let pdf = to_pdf(&table(full), "f", &signoff);
        let block_at = find(&pdf, b"(Mengetahui,) Tj").unwrap();
        let last_row_at = find(&pdf, format!("(Pegawai {} ", full - 1).as_bytes()).unwrap();
        let page_between = pdf[last_row_at..block_at].windows(10).any(|w| w == b"/Type /Pag") || find(&pdf[last_row_at..block_at], b"endstream").is_some();
        assert!(page_between, "the block is on the page after the last row");
        println!("signature block moves to its own page at {full} rows");
    }

    #[test]
    fn wrap_and_truncate() {
        assert_eq!(wrap("Menunggu konfirmasi atasan", 10), vec!["Menunggu", "konfirmasi", "atasan"]);
        assert_eq!(truncate("Sulistyaningsih", 6), "Sulis.");
        assert_eq!(latin1("é€"), vec![0xe9, b'?']);
    }
}
