//! Compiles the `.slint` screens with the Indonesian translation bundled into the binary.
//!
//! Source strings in `@tr()` are English; `lang/id/LC_MESSAGES/hadir-ui.po` holds Bahasa
//! Indonesia, which the crate selects at start (see `src/language.rs`).

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("lang")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Element names in the generated code, which Slint's testing API (`ElementHandle`)
        // needs to find elements by label; the kiosk's own tests use it too. Small cost.
        .with_debug_info(true);
    if let Err(error) = slint_build::compile_with_config("ui/app.slint", config) {
        panic!("compiling ui/app.slint: {error}");
    }
}
