//! Request and response bodies of the device API (`/api/v1`) other than record upload
//! (see [`crate::batch`]).
//!
//! | call | body | answer |
//! | --- | --- | --- |
//! | `GET /api/v1/time` | – | [`ServerTime`] |
//! | `POST /api/v1/devices/enrol` | [`EnrolRequest`] | [`EnrolResponse`] |
//! | `GET /api/v1/devices/self` (signed) | – | [`DeviceStatus`] |
//! | `POST /api/v1/records` | [`crate::UploadBatch`] | [`crate::UploadResponse`] |
//! | `PUT /api/v1/evidence/{sha256}` (signed) | the JPEG | [`EvidenceResponse`] |
//! | `GET /api/v1/roster?since=N` (signed) | – | [`RosterResponse`] (with [`RosterRules`]) |
//! | `POST /api/v1/templates` (signed) | [`TemplateUpload`] | [`TemplateUploadResponse`] |
//! | `POST /api/v1/health` (signed) | [`crate::health::HealthReport`] | [`crate::health::HealthResponse`] |
//!
//! Errors come back as [`ErrorBody`] with a non-2xx status.

use crate::record::Mode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTime {
    /// UTC, ms since the Unix epoch.
    pub server_time_ms: i64,
}

/// A device asks to be enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time token an admin created (`hadir-server enrol-token`).
    pub token: String,
    /// The device's public key.
    pub public_key: crate::PublicKey,
    /// The kiosk software version.
    pub app_version: String,
}

/// The server accepted an enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The device's id: it goes into every record.
    pub device_id: String,
    /// The site the device serves (its roster).
    pub site_id: String,
    /// Office or field.
    pub mode: Mode,
    /// The server's clock.
    pub server_time_ms: i64,
}

/// What the server knows about the calling device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    /// The device id.
    pub device_id: String,
    /// The site.
    pub site_id: String,
    /// Office or field.
    pub mode: Mode,
    /// The last sequence number the server holds for this device (0 for none).
    pub last_seq: u64,
}

/// The server's answer to an evidence upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceResponse {
    /// `false` when the photo was already there (idempotent upload).
    pub stored_now: bool,
}

/// A face template as synced to devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceTemplate {
    /// The template's id on the server.
    pub id: i64,
    /// The model that made the embedding (templates of another model are useless).
    pub model_version: String,
    /// The embedding, `f32` little-endian, base64 (standard alphabet, padded).
    pub embedding_b64: String,
}

impl FaceTemplate {
    /// Builds the wire form of an embedding.
    pub fn encode_embedding(embedding: &[f32]) -> String {
        let bytes: Vec<u8> = embedding.iter().flat_map(|v| v.to_le_bytes()).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The embedding, or `None` if the text is not base64 of whole `f32`s.
    pub fn embedding(&self) -> Option<Vec<f32>> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(&self.embedding_b64).ok()?;
        if bytes.len() % 4 != 0 {
            return None;
        }
        Some(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// A face template enrolled at a kiosk, uploaded so the other kiosks of the site get it.
///
/// Sent as a signed request (see [`crate::auth`]): the signature covers the body, so the
/// server knows which enrolled device vouches for the template. The server refuses it when the
/// employee is not a present employee of the device's site (`404 unknown_employee`), when
/// `model_version` is not the one the server's templates are made with (`409
/// model_mismatch`) and when the embedding is not the expected number of finite `f32`s (`400
/// malformed`). Uploads are idempotent: the same embedding for the same employee again is
/// answered with the same template id and `stored_now: false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateUpload {
    /// The employee id (NIP).
    pub employee_id: String,
    /// The model that made the embedding (the full model version string).
    pub model_version: String,
    /// The embedding, as in [`FaceTemplate::embedding_b64`].
    pub embedding_b64: String,
    /// When the kiosk enrolled it, UTC ms (device clock).
    pub enrolled_at_ms: i64,
}

/// The server's answer to a [`TemplateUpload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUploadResponse {
    /// The template's id on the server (the roster carries it under this id).
    pub template_id: i64,
    /// `false` when the server had this template already.
    pub stored_now: bool,
    /// The roster revision that holds the template.
    pub roster_revision: i64,
}

/// One employee as a device needs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterEmployee {
    /// The employee id (NIP), as records carry it.
    pub id: String,
    /// Full name, for the kiosk's greeting.
    pub name: String,
    /// The section (bidang/seksi) id.
    pub section_id: Option<String>,
    /// The PIN as an Argon2 PHC string (never the PIN itself).
    pub pin_hash: Option<String>,
    /// All of the employee's current templates (the full set replaces the device's copy).
    pub templates: Vec<FaceTemplate>,
}

/// Roster changes since a revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterResponse {
    /// The site.
    pub site_id: String,
    /// The revision the device has after applying this answer; send it as `since` next time.
    pub revision: i64,
    /// Employees added or changed since `since` (whole entries).
    pub changed: Vec<RosterEmployee>,
    /// Employee ids removed since `since`: delete them and their templates.
    pub removed: Vec<String>,
    /// The site's rules (time zone, schedules, holidays, tolerances): present when they changed
    /// since `since`, or always from a server that sends them whole; absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RosterRules>,
}

/// The attendance rules of a site as the kiosks need them, so that a kiosk's "terlambat N
/// menit" is the figure of the monthly recap. Read by `hadir-rules` (`SiteRules::from_wire`).
///
/// Times of day are `HH:MM` local to the site, dates `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRules {
    /// The site's IANA time zone (`Asia/Makassar` for WITA).
    pub time_zone: String,
    /// Late-mark tolerance of office records, minutes.
    pub tolerance_office_min: u32,
    /// Late-mark tolerance of field records, minutes.
    pub tolerance_field_min: u32,
    /// Overtime counts from this many minutes after the scheduled end.
    pub overtime_after_min: u32,
    /// Public holidays (hari libur) and joint leave days.
    pub holidays: Vec<RosterHoliday>,
    /// Each section's weekly schedule and exceptions.
    pub sections: Vec<RosterSection>,
    /// The site's employees' excused days around today (leave, sick, permitted absence,
    /// official travel), so that a kiosk does not call an arrival late on them.
    #[serde(default)]
    pub excused: Vec<RosterExcuse>,
    /// Each employee's section as the recaps see it (it wins over
    /// [`RosterEmployee::section_id`]).
    #[serde(default)]
    pub assignments: Vec<RosterAssignment>,
    /// Where the site's records are expected (absent: not judged by place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_area: Option<RosterArea>,
    /// The field employees' assignments from yesterday on: a field record of a covered day is
    /// expected there instead of at the site's area.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_areas: Vec<RosterFieldArea>,
}

/// A circle: centre in degrees × 10⁷, radius in metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterArea {
    /// Centre latitude, degrees × 10⁷.
    pub lat_e7: i64,
    /// Centre longitude, degrees × 10⁷.
    pub lon_e7: i64,
    /// Radius, metres.
    pub radius_m: i64,
}

/// A field employee's assignment: where they are expected from one date to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterFieldArea {
    /// The employee id (NIP).
    pub employee_id: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// What and where (`Preservasi jalan Mengwi–Tabanan km 12`).
    pub label: String,
    /// The area.
    pub area: RosterArea,
}

/// The section whose schedule applies to an employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterAssignment {
    /// The employee id (NIP).
    pub employee_id: String,
    /// The section id.
    pub section_id: String,
}

/// One holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterHoliday {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Its name, shown on recaps.
    pub name: String,
}

/// A section's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterSection {
    /// The section id, as [`RosterEmployee::section_id`] names it.
    pub id: String,
    /// Monday first: `HH:MM-HH:MM`, or `None` for a day without work.
    pub week: [Option<String>; 7],
    /// Dates whose hours differ from the week.
    #[serde(default)]
    pub exceptions: Vec<RosterException>,
    /// Weeks that take effect from a later date, oldest first, so that a kiosk offline over
    /// the date still switches on the right day (a kiosk of an older release ignores them and
    /// gets the new week at its first sync on or after the date).
    #[serde(default)]
    pub changes: Vec<RosterWeekChange>,
}

/// A section's week from a date on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterWeekChange {
    /// `YYYY-MM-DD`: the first day of the new week.
    pub from: String,
    /// Monday first, as [`RosterSection::week`].
    pub week: [Option<String>; 7],
}

/// A section's exception for one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterException {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM-HH:MM`, or `None` for a day off.
    pub hours: Option<String>,
    /// Why (shown for a day off).
    pub reason: String,
}

/// A day an employee is excused (leave, sick, permitted absence, official travel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterExcuse {
    /// The employee id (NIP).
    pub employee_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `cuti`, `sakit`, `izin` or `dinas_luar`.
    pub kind: String,
}

/// The body of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code (`malformed`, `unauthorised`, `revoked_device` …).
    pub code: String,
    /// For a technician (English).
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_round_trip() {
        let e = vec![0.25f32, -1.5, 3.0e-7];
        let t = FaceTemplate { id: 1, model_version: "m".into(), embedding_b64: FaceTemplate::encode_embedding(&e) };
        assert_eq!(t.embedding(), Some(e));
        let bad = FaceTemplate { embedding_b64: "AAA=".into(), ..t };
        assert_eq!(bad.embedding(), None);
    }
}
