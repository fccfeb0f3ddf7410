//! Typed forms: a page's form is a struct that serde reads from the posted fields, so a handler
//! names what it takes and a missing or mistyped field is the form's error, not a lookup that
//! silently gives "". This module holds how fields are read; each form lives with its page.

use serde::{Deserialize, Deserializer};

/// A text field without the spaces around it (what people paste carries them).
pub fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    Ok(match s.trim() {
        t if t.len() == s.len() => s,
        t => t.to_owned(),
    })
}

/// The form of a button that only acts (sign out everywhere, revoke, release): its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    /// The session's token, checked by [`super::Session::check_csrf`].
    #[serde(default)]
    pub csrf: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Example {
        #[serde(default, deserialize_with = "trimmed")]
        name: String,
        #[serde(default, deserialize_with = "trimmed")]
        zone: String,
    }

    #[test]
    fn fields_are_trimmed_and_missing_ones_empty() {
        let cases = [
            ("name=+Kantor+Pusat+&zone=UTC", ("Kantor Pusat", "UTC")),
            ("name=Gudang", ("Gudang", "")),
            ("zone=%09Asia%2FMakassar%0A", ("", "Asia/Makassar")),
        ];
        for (body, (name, zone)) in cases {
            let f: Example = serde_urlencoded::from_str(body).expect(body);
            assert_eq!(f, Example { name: name.into(), zone: zone.into() }, "{body}");
        }
    }
}
