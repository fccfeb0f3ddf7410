//! The display language: Bahasa Indonesia by default, English on request.
//!
//! The `.slint` sources are written in English inside `@tr()`; the Indonesian catalogue
//! `lang/id/LC_MESSAGES/hadir-ui.po` is compiled into the binary by `build.rs`, so no
//! translation files are needed on the device.

/// A language the screens can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Bahasa Indonesia (the default).
    #[default]
    Indonesian,
    /// English.
    English,
}

impl Language {
    /// Both languages, default first.
    pub const ALL: [Language; 2] = [Language::Indonesian, Language::English];

    /// The code used by Slint's bundled translations and in file names ("id", "en").
    pub fn code(self) -> &'static str {
        match self {
            Language::Indonesian => "id",
            Language::English => "en",
        }
    }

    /// The language for a code ("id", "en", also "id_ID", "en-US"); `None` if unknown.
    pub fn from_code(code: &str) -> Option<Language> {
        let base = code.split(['_', '-', '.', '@']).next().unwrap_or_default();
        match base.to_ascii_lowercase().as_str() {
            "id" | "in" => Some(Language::Indonesian),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// The other language (the toggle on the idle screen).
    pub fn other(self) -> Language {
        match self {
            Language::Indonesian => Language::English,
            Language::English => Language::Indonesian,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_parse_locales() {
        for lang in Language::ALL {
            assert_eq!(Language::from_code(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        let cases = [
            ("id_ID.UTF-8", Some(Language::Indonesian)),
            ("in", Some(Language::Indonesian)),
            ("en-US", Some(Language::English)),
            ("EN", Some(Language::English)),
            ("de_DE", None),
            ("", None),
        ];
        for (code, want) in cases {
            assert_eq!(Language::from_code(code), want, "{code}");
        }
        assert_eq!(Language::default(), Language::Indonesian);
    }
}
