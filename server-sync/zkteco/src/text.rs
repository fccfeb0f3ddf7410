//! # Text from terminals: bytes to strings, whatever the firmware's encoding
//!
//! ZKTeco firmware has no single text encoding: recent firmware sends UTF-8, firmware built
//! for the Chinese market sends GB18030 (GBK), and some OEM firmware sends single-byte
//! Latin-1. A request never says which. This module owns the one rule every parser of this
//! crate uses to turn a line's bytes into text, and tells the caller which encoding it chose.
//!
//! It must not guess per character or mix encodings in one line, and it never fails:
//! every byte sequence decodes to some text (Latin-1 maps every byte).
//!
//! ## The rule, in order
//! 1. **UTF-8**, when the bytes are valid UTF-8 (ASCII is UTF-8: PINs, times and codes are
//!    always ASCII).
//! 2. **GB18030**, when the bytes are a valid GB18030 sequence with no replacement.
//! 3. **Latin-1** (ISO-8859-1: each byte is the code point of the same number), otherwise.
//!
//! ## Troubleshooting
//! - *A Latin-1 name shows as Chinese characters.* Some Latin-1 letter pairs are also valid
//!   GBK pairs (`ü` followed by `l` is one GBK character), so step 2 wins. Names entered on
//!   the terminal's keypad are rarely accented; if a terminal is known to send Latin-1, set
//!   its language to one whose firmware sends UTF-8, or enter the name from the dashboard (the
//!   roster is pushed to the terminal as a command and the server's name is the one shown).

use std::borrow::Cow;

/// Which encoding [`decode`] chose for a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// Valid UTF-8 (which includes plain ASCII).
    Utf8,
    /// Not UTF-8, but valid GB18030.
    Gb18030,
    /// Neither: each byte read as its Latin-1 character.
    Latin1,
}

/// Decodes a terminal's bytes by the rule in the module documentation.
///
/// Borrowed when the bytes are UTF-8 (the common case, no copy).
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(text), TextEncoding::Utf8);
    }
    if let Some(text) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        return (Cow::Owned(text.into_owned()), TextEncoding::Gb18030);
    }
    (Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()), TextEncoding::Latin1)
}

/// The lines of a body: split on LF, with a CR before the LF removed; the number of each
/// line (1-based) comes with it. Blank lines (empty or only spaces and tabs) are left out.
pub(crate) fn lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_by_the_rule() {
        // "王伟" in GB18030 is CD F5 CE B0; in UTF-8 it is E7 8E 8B E4 BC 9F.
        let cases: &[(&[u8], &str, TextEncoding)] = &[
            (b"Budi Santoso", "Budi Santoso", TextEncoding::Utf8),
            ("Wayan Sukarja \u{e9}".as_bytes(), "Wayan Sukarja \u{e9}", TextEncoding::Utf8),
            (&[0xE7, 0x8E, 0x8B, 0xE4, 0xBC, 0x9F], "王伟", TextEncoding::Utf8),
            (&[0xCD, 0xF5, 0xCE, 0xB0], "王伟", TextEncoding::Gb18030),
            // "José" in Latin-1: E9 at the end is an incomplete GB18030 sequence.
            (&[b'J', b'o', b's', 0xE9], "Jos\u{e9}", TextEncoding::Latin1),
            // 0xFF is never valid in GB18030.
            (&[b'A', 0xFF, b'B'], "A\u{ff}B", TextEncoding::Latin1),
        ];
        for (bytes, text, encoding) in cases {
            let (got, enc) = decode(bytes);
            assert_eq!((got.as_ref(), enc), (*text, *encoding), "{bytes:02X?}");
        }
    }

    #[test]
    fn lines_are_numbered_and_blank_ones_left_out() {
        let body = b"a\r\n\r\nb\t\n \t\nc";
        let got: Vec<(usize, &[u8])> = lines(body).collect();
        assert_eq!(got, vec![(1, &b"a"[..]), (3, &b"b\t"[..]), (5, &b"c"[..])]);
    }
}
