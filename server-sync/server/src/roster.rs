//! Roster helpers: PIN hashing, the wire form of face templates, the rules a template
//! uploaded by a kiosk must pass ([`TemplatePolicy`]) and the site's attendance rules that
//! travel with the roster ([`site_rules`]).
//!
//! PINs are stored only as Argon2id hashes (PHC strings, random salt); the server never keeps
//! or logs a PIN. Devices receive the hash and verify PINs offline with the same function.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;

/// How many days ahead the kiosks get the employees' excused days (yesterday onwards): leave
/// entered for the next two months reaches them before it starts.
pub const EXCUSED_DAYS_AHEAD: i64 = 62;

/// A site's rules as the recaps apply them — the same calendars, holidays, settings, excused
/// days and section assignments the dashboard reads — for the roster, so that a kiosk's
/// "terlambat N menit" is the recap's figure; and the site's area and field assignments the
/// ingest judges records by, so that a kiosk can warn before the face step.
pub async fn site_rules(
    store: &crate::storage::Store,
    site_id: &str,
    zone: &hadir_rules::SiteZone,
    today: time::Date,
) -> Result<hadir_rules::SiteRules, crate::storage::StorageError> {
    let employees: Vec<_> = store.employees().await?.into_iter().filter(|e| e.site_id == site_id).collect();
    let from = today.previous_day().unwrap_or(today);
    let to = today.saturating_add(time::Duration::days(EXCUSED_DAYS_AHEAD));
    let mut excused = store.excused_between(from, to).await?;
    // A kiosk judges today: it gets the week in effect today and the dated changes after it
    // (one offline over a change date still switches on the day).
    let mut sections: std::collections::BTreeMap<String, hadir_rules::SectionCalendar> =
        store.sections().await?.into_iter().map(|s| (s.id, s.calendar)).collect();
    let mut assignments: std::collections::BTreeMap<String, String> =
        employees.iter().filter_map(|e| Some((e.id.clone(), e.section.clone()?))).collect();
    // An employee with a schedule of their own still running gets a section of their own,
    // `@<employee id>`, so the kiosk needs nothing new to judge them.
    let ids: Vec<&str> = employees.iter().map(|e| e.id.as_str()).collect();
    let ours: std::collections::HashSet<&str> = ids.iter().copied().collect();
    let running: Vec<_> = store.employee_schedules().await?.into_iter().filter(|s| ours.contains(s.employee_id.as_str()) && s.to >= from).collect();
    for (employee, calendar) in crate::storage::calendar::employee_calendars(&running, |id| assignments.get(id).and_then(|s| sections.get(s)).cloned()) {
        let own = format!("@{employee}");
        sections.insert(own.clone(), calendar);
        assignments.insert(employee, own);
    }
    Ok(hadir_rules::SiteRules {
        zone: zone.clone(),
        settings: store.settings().await?,
        holidays: store.site_holidays().await?.of(site_id).clone(),
        sections: sections.into_iter().map(|(id, c)| (id, c.as_of(today))).collect(),
        excused: employees.iter().filter_map(|e| Some((e.id.clone(), excused.remove(&e.id)?))).collect(),
        assignments,
        site_area: store.site_areas().await?.remove(site_id),
        // Assignments that ended before yesterday cannot apply to a record a kiosk makes now.
        field_areas: store.field_areas_of(&ids, Some(from)).await?.into_iter().collect(),
    })
}

/// Why a PIN could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash PIN: {0}")]
pub struct PinError(String);

/// Hashes a PIN with Argon2id (default parameters) and a random salt.
pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PinError(e.to_string()))
}

/// Whether `pin` matches a PHC hash made by [`hash_pin`].
pub fn verify_pin(pin: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

/// Stored template bytes (`f32` little-endian) as the wire's base64.
pub fn embedding_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The model version templates are made with unless `[templates] model_version` says
/// otherwise: `hadir_models::MODEL_VERSION` of this release (the e2e tests check they agree).
pub const DEFAULT_TEMPLATE_MODEL: &str = "faceplugin-face-recognition-js@0.0.1/fr_feature.onnx#87aacdfe57510db2";

/// The embedding length of [`DEFAULT_TEMPLATE_MODEL`].
pub const DEFAULT_EMBEDDING_LEN: usize = 512;

/// What a template uploaded by a kiosk must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatePolicy {
    /// The only model version accepted (templates of another model cannot be compared).
    pub model_version: String,
    /// The number of `f32`s in an embedding.
    pub embedding_len: usize,
}

impl Default for TemplatePolicy {
    fn default() -> Self {
        TemplatePolicy { model_version: DEFAULT_TEMPLATE_MODEL.to_owned(), embedding_len: DEFAULT_EMBEDDING_LEN }
    }
}

/// Why an uploaded template is refused before it reaches the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateProblem {
    /// Made by another model.
    #[error("template made by model {got:?}, this server's templates are made by {want:?}")]
    ModelMismatch {
        /// The upload's model version.
        got: String,
        /// The server's.
        want: String,
    },
    /// Not a usable embedding or employee id.
    #[error("{0}")]
    Malformed(String),
}

impl TemplatePolicy {
    /// Checks an upload; returns the embedding.
    pub fn check(&self, up: &hadir_protocol::api::TemplateUpload) -> Result<Vec<f32>, TemplateProblem> {
        if up.employee_id.is_empty() || up.employee_id.len() > 64 {
            return Err(TemplateProblem::Malformed("employee_id must be 1 to 64 bytes".into()));
        }
        if up.model_version != self.model_version {
            return Err(TemplateProblem::ModelMismatch { got: up.model_version.clone(), want: self.model_version.clone() });
        }
        let template = hadir_protocol::api::FaceTemplate {
            id: 0,
            model_version: up.model_version.clone(),
            embedding_b64: up.embedding_b64.clone(),
        };
        let embedding = template
            .embedding()
            .ok_or_else(|| TemplateProblem::Malformed("embedding_b64 is not base64 of f32 values".into()))?;
        if embedding.len() != self.embedding_len {
            return Err(TemplateProblem::Malformed(format!(
                "embedding has {} values, the model makes {}",
                embedding.len(),
                self.embedding_len
            )));
        }
        if embedding.iter().any(|v| !v.is_finite()) {
            return Err(TemplateProblem::Malformed("embedding holds NaN or infinite values".into()));
        }
        if embedding.iter().all(|v| *v == 0.0) {
            return Err(TemplateProblem::Malformed("embedding is all zeros".into()));
        }
        Ok(embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_protocol::api::{FaceTemplate, TemplateUpload};

    #[test]
    fn template_policy_table() {
        let p = TemplatePolicy { model_version: "m1".into(), embedding_len: 4 };
        let up = |employee: &str, model: &str, e: &[f32]| TemplateUpload {
            employee_id: employee.into(),
            model_version: model.into(),
            embedding_b64: FaceTemplate::encode_embedding(e),
            enrolled_at_ms: 0,
        };
        let good = [0.5, -0.5, 0.5, -0.5];
        assert_eq!(p.check(&up("E1", "m1", &good)), Ok(good.to_vec()));
        let cases: Vec<(TemplateUpload, &str)> = vec![
            (up("E1", "m2", &good), "model"),
            (up("", "m1", &good), "employee_id"),
            (up(&"9".repeat(65), "m1", &good), "employee_id"),
            (up("E1", "m1", &good[..3]), "3 values"),
            (up("E1", "m1", &[0.0, f32::NAN, 0.0, 0.0]), "NaN"),
            (up("E1", "m1", &[0.0; 4]), "zeros"),
            (TemplateUpload { embedding_b64: "%%".into(), ..up("E1", "m1", &good) }, "base64"),
        ];
        for (u, want) in cases {
            let e = p.check(&u).expect_err(want).to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
        assert!(matches!(p.check(&up("E1", "m2", &good)), Err(TemplateProblem::ModelMismatch { .. })));
    }

    #[test]
    fn pins_hash_and_verify() {
        let h = hash_pin("2468").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_pin("2468", &h));
        assert!(!verify_pin("2469", &h));
        assert!(!verify_pin("2468", "not a hash"));
        assert_ne!(hash_pin("2468").unwrap(), h, "salted");
    }
}
