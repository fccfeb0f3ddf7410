//! Versioned schema migrations for both backends.
//!
//! A [`Migration`] belongs to a *component* (`core` is the device API's schema; the dashboard
//! registers its own component) and has a version that only grows. `schema_migrations` records
//! what was applied; [`crate::storage::Store::migrate`] applies the missing ones in order, each
//! in its own transaction, and refuses to start when the database holds a version this build
//! does not know (a newer server wrote it).
//!
//! Rules: never edit a released migration, add a new one; every migration gives the same
//! schema on SQLite and PostgreSQL (types: `BIGINT` ms since the epoch, `TEXT` ids and hex
//! hashes, `BLOB`/`BYTEA` bytes).
//!
//! # The core schema (what the dashboard may read)
//!
//! - `sites(site_id, name, time_zone)`, `sections(section_id, name, site_id)`: a site's
//!   `time_zone` (core/10) is an IANA name, NULL for the server's `[site] time_zone`.
//! - `employees(employee_id, name, site_id, section_id, pin_hash, revision, removed_at_ms)`:
//!   `revision` is the roster revision of the last change; removed employees stay as
//!   tombstones (name kept for reports, PIN hash and templates deleted).
//! - `face_templates(template_id, employee_id, model_version, embedding, created_at_ms)`:
//!   `embedding` is `f32` little-endian.
//! - `roster_state(id = 1, revision)`: the global roster revision counter.
//! - `enrol_tokens`, `devices(device_id, site_id, mode, public_key, …, revoked_at_ms,
//!   last_seq, last_hash, released_until_ms)`: `released_until_ms` (core/3) is an
//!   administrator's release of a silent device's days (see `hadir_rules::watermark`).
//! - `device_health(device_id, reported_at_ms, firmware, uptime_s, …, tamper_open)`: each
//!   device's last health report (core/4); `device_events(device_id, seq, kind, at_ms,
//!   prev_hash, hash, signature, received_at_ms)`: its signed event chain (tamper), append-only
//!   by use (see `hadir_protocol::health`).
//! - `records`: one row per stored record (`UNIQUE (device_id, seq)`), the signed fields as
//!   columns, plus `record_hash`, `signature`, `canonical` (the signed bytes) and
//!   `received_at_ms`. `direction` is `in`/`out`, `mode` `office`/`field`, `decision`
//!   `valid`/`needs_confirmation`, scores in basis points.
//! - `quarantine`: the same columns for authentic records with an implausible time (they hold
//!   their chain position but are not attendance until an admin decides).
//! - `photos(sha256, jpeg, received_at_ms, key_id)`: evidence photos, sealed with the template
//!   key (`key_id`; NULL for a photo stored in clear by an older release).
//! - `chain_events`: refused forks, gaps and broken links, for admins.
//!
//! Migration 2 adds:
//!
//! - `face_templates.key_id`, `content_digest`, `source_device_id`, `enrolled_at_ms`: the
//!   `embedding` column now holds a sealed blob ([`super::sealed`]; `key_id` NULL only for rows
//!   written before, which the server seals at start); `source_device_id` is the kiosk that
//!   enrolled it (NULL: the dashboard or an admin).
//! - `refused_uploads(id, device_id, seq, reason, detail, record_hash, remote_addr,
//!   forwarded_for, at_ms)`: upload entries refused before they reached a chain (`malformed`,
//!   `unknown_device`, `revoked_device`, `bad_signature`), with the peer address, for the
//!   devices page. `device_id`/`seq`/`record_hash` are NULL when unreadable; `forwarded_for` is
//!   the `X-Forwarded-For` header as sent (untrusted).
//!
//! `core/9` adds `gps_fix_mode` (`2d`/`3d`, NULL when not said) to `records` and `quarantine`;
//! `gps_hdop_centi` is NULL when the receiver gave no HDOP.
//!
//! `core/5` adds `record_flags(record_id, recorded_at_ms, flags)`: the server's doubts about a
//! stored record (JSON), which keep it waiting for a supervisor; and `site_areas(site_id,
//! lat_e7, lon_e7, radius_m, …)`: where a site's records are expected (a circle).

/// One schema step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Who owns the tables (`core`, `dashboard` …).
    pub component: &'static str,
    /// Grows by one per step within a component, starting at 1.
    pub version: i64,
    /// What it does, for logs.
    pub name: &'static str,
    /// The SQL for SQLite (may hold several statements).
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL (may hold several statements).
    pub postgres: &'static str,
}

/// The record columns, to check in tests that all four copies agree.
#[cfg(test)]
const RECORD_COLUMNS_SQLITE: &str = "
    device_id TEXT NOT NULL, seq BIGINT NOT NULL, employee_id TEXT NOT NULL,
    direction TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
    mode TEXT NOT NULL, match_score_bp INTEGER NOT NULL, liveness_score_bp INTEGER NOT NULL,
    decision TEXT NOT NULL,
    gps_lat_e7 INTEGER, gps_lon_e7 INTEGER, gps_accuracy_dm BIGINT, gps_hdop_centi INTEGER,
    gps_satellites INTEGER, gps_fix_at_ms BIGINT,
    photo_sha256 TEXT NOT NULL, app_version TEXT NOT NULL, model_version TEXT NOT NULL,
    prev_hash TEXT NOT NULL, clock_since_sync_ms BIGINT, clock_sync_offset_ms BIGINT,
    clock_gps_time_ms BIGINT, clock_jumped INTEGER NOT NULL,
    record_hash TEXT NOT NULL, signature TEXT NOT NULL, canonical BLOB NOT NULL,
    received_at_ms BIGINT NOT NULL";

/// The device API's first schema.
const CORE_1: Migration = Migration {
    component: "core",
    version: 1,
    name: "sites, sections, employees, templates, devices, records, photos, chain events",
    sqlite: concat!(
        "CREATE TABLE sites (site_id TEXT PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE sections (section_id TEXT PRIMARY KEY, name TEXT NOT NULL, site_id TEXT);
        CREATE TABLE employees (
            employee_id TEXT PRIMARY KEY, name TEXT NOT NULL, site_id TEXT NOT NULL,
            section_id TEXT, pin_hash TEXT, revision BIGINT NOT NULL, removed_at_ms BIGINT);
        CREATE INDEX employees_site_revision ON employees (site_id, revision);
        CREATE TABLE face_templates (
            template_id INTEGER PRIMARY KEY AUTOINCREMENT,
            employee_id TEXT NOT NULL REFERENCES employees (employee_id),
            model_version TEXT NOT NULL, embedding BLOB NOT NULL, created_at_ms BIGINT NOT NULL);
        CREATE INDEX face_templates_employee ON face_templates (employee_id);
        CREATE TABLE roster_state (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
        INSERT INTO roster_state (id, revision) VALUES (1, 0);
        CREATE TABLE enrol_tokens (
            token_sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL, site_id TEXT NOT NULL,
            mode TEXT NOT NULL, created_at_ms BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL,
            used_at_ms BIGINT);
        CREATE TABLE devices (
            device_id TEXT PRIMARY KEY, site_id TEXT NOT NULL, mode TEXT NOT NULL,
            public_key TEXT NOT NULL, app_version TEXT NOT NULL, enrolled_at_ms BIGINT NOT NULL,
            last_seen_ms BIGINT, synced_until_ms BIGINT, revoked_at_ms BIGINT,
            last_seq BIGINT NOT NULL, last_hash TEXT NOT NULL);
        CREATE TABLE records (id INTEGER PRIMARY KEY AUTOINCREMENT,",
        "
            device_id TEXT NOT NULL, seq BIGINT NOT NULL, employee_id TEXT NOT NULL,
            direction TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
            mode TEXT NOT NULL, match_score_bp INTEGER NOT NULL, liveness_score_bp INTEGER NOT NULL,
            decision TEXT NOT NULL,
            gps_lat_e7 INTEGER, gps_lon_e7 INTEGER, gps_accuracy_dm BIGINT, gps_hdop_centi INTEGER,
            gps_satellites INTEGER, gps_fix_at_ms BIGINT,
            photo_sha256 TEXT NOT NULL, app_version TEXT NOT NULL, model_version TEXT NOT NULL,
            prev_hash TEXT NOT NULL, clock_since_sync_ms BIGINT, clock_sync_offset_ms BIGINT,
            clock_gps_time_ms BIGINT, clock_jumped INTEGER NOT NULL,
            record_hash TEXT NOT NULL, signature TEXT NOT NULL, canonical BLOB NOT NULL,
            received_at_ms BIGINT NOT NULL,
            UNIQUE (device_id, seq));
        CREATE INDEX records_recorded_at ON records (recorded_at_ms);
        CREATE INDEX records_employee ON records (employee_id, recorded_at_ms);
        CREATE INDEX records_photo ON records (photo_sha256);
        CREATE TABLE quarantine (id INTEGER PRIMARY KEY AUTOINCREMENT,",
        "
            device_id TEXT NOT NULL, seq BIGINT NOT NULL, employee_id TEXT NOT NULL,
            direction TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
            mode TEXT NOT NULL, match_score_bp INTEGER NOT NULL, liveness_score_bp INTEGER NOT NULL,
            decision TEXT NOT NULL,
            gps_lat_e7 INTEGER, gps_lon_e7 INTEGER, gps_accuracy_dm BIGINT, gps_hdop_centi INTEGER,
            gps_satellites INTEGER, gps_fix_at_ms BIGINT,
            photo_sha256 TEXT NOT NULL, app_version TEXT NOT NULL, model_version TEXT NOT NULL,
            prev_hash TEXT NOT NULL, clock_since_sync_ms BIGINT, clock_sync_offset_ms BIGINT,
            clock_gps_time_ms BIGINT, clock_jumped INTEGER NOT NULL,
            record_hash TEXT NOT NULL, signature TEXT NOT NULL, canonical BLOB NOT NULL,
            received_at_ms BIGINT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (device_id, seq));
        CREATE TABLE photos (sha256 TEXT PRIMARY KEY, jpeg BLOB NOT NULL, received_at_ms BIGINT NOT NULL);
        CREATE TABLE chain_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, seq BIGINT,
            reason TEXT NOT NULL, detail TEXT NOT NULL, record_hash TEXT, at_ms BIGINT NOT NULL);
        CREATE INDEX chain_events_device ON chain_events (device_id, at_ms);
        CREATE UNIQUE INDEX chain_events_once ON chain_events (device_id, seq, reason, record_hash);"
    ),
    postgres: concat!(
        "CREATE TABLE sites (site_id TEXT PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE sections (section_id TEXT PRIMARY KEY, name TEXT NOT NULL, site_id TEXT);
        CREATE TABLE employees (
            employee_id TEXT PRIMARY KEY, name TEXT NOT NULL, site_id TEXT NOT NULL,
            section_id TEXT, pin_hash TEXT, revision BIGINT NOT NULL, removed_at_ms BIGINT);
        CREATE INDEX employees_site_revision ON employees (site_id, revision);
        CREATE TABLE face_templates (
            template_id BIGSERIAL PRIMARY KEY,
            employee_id TEXT NOT NULL REFERENCES employees (employee_id),
            model_version TEXT NOT NULL, embedding BYTEA NOT NULL, created_at_ms BIGINT NOT NULL);
        CREATE INDEX face_templates_employee ON face_templates (employee_id);
        CREATE TABLE roster_state (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
        INSERT INTO roster_state (id, revision) VALUES (1, 0);
        CREATE TABLE enrol_tokens (
            token_sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL, site_id TEXT NOT NULL,
            mode TEXT NOT NULL, created_at_ms BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL,
            used_at_ms BIGINT);
        CREATE TABLE devices (
            device_id TEXT PRIMARY KEY, site_id TEXT NOT NULL, mode TEXT NOT NULL,
            public_key TEXT NOT NULL, app_version TEXT NOT NULL, enrolled_at_ms BIGINT NOT NULL,
            last_seen_ms BIGINT, synced_until_ms BIGINT, revoked_at_ms BIGINT,
            last_seq BIGINT NOT NULL, last_hash TEXT NOT NULL);
        CREATE TABLE records (id BIGSERIAL PRIMARY KEY,",
        "
            device_id TEXT NOT NULL, seq BIGINT NOT NULL, employee_id TEXT NOT NULL,
            direction TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
            mode TEXT NOT NULL, match_score_bp INTEGER NOT NULL, liveness_score_bp INTEGER NOT NULL,
            decision TEXT NOT NULL,
            gps_lat_e7 INTEGER, gps_lon_e7 INTEGER, gps_accuracy_dm BIGINT, gps_hdop_centi INTEGER,
            gps_satellites INTEGER, gps_fix_at_ms BIGINT,
            photo_sha256 TEXT NOT NULL, app_version TEXT NOT NULL, model_version TEXT NOT NULL,
            prev_hash TEXT NOT NULL, clock_since_sync_ms BIGINT, clock_sync_offset_ms BIGINT,
            clock_gps_time_ms BIGINT, clock_jumped INTEGER NOT NULL,
            record_hash TEXT NOT NULL, signature TEXT NOT NULL, canonical BYTEA NOT NULL,
            received_at_ms BIGINT NOT NULL,
            UNIQUE (device_id, seq));
        CREATE INDEX records_recorded_at ON records (recorded_at_ms);
        CREATE INDEX records_employee ON records (employee_id, recorded_at_ms);
        CREATE INDEX records_photo ON records (photo_sha256);
        CREATE TABLE quarantine (id BIGSERIAL PRIMARY KEY,",
        "
            device_id TEXT NOT NULL, seq BIGINT NOT NULL, employee_id TEXT NOT NULL,
            direction TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
            mode TEXT NOT NULL, match_score_bp INTEGER NOT NULL, liveness_score_bp INTEGER NOT NULL,
            decision TEXT NOT NULL,
            gps_lat_e7 INTEGER, gps_lon_e7 INTEGER, gps_accuracy_dm BIGINT, gps_hdop_centi INTEGER,
            gps_satellites INTEGER, gps_fix_at_ms BIGINT,
            photo_sha256 TEXT NOT NULL, app_version TEXT NOT NULL, model_version TEXT NOT NULL,
            prev_hash TEXT NOT NULL, clock_since_sync_ms BIGINT, clock_sync_offset_ms BIGINT,
            clock_gps_time_ms BIGINT, clock_jumped INTEGER NOT NULL,
            record_hash TEXT NOT NULL, signature TEXT NOT NULL, canonical BYTEA NOT NULL,
            received_at_ms BIGINT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (device_id, seq));
        CREATE TABLE photos (sha256 TEXT PRIMARY KEY, jpeg BYTEA NOT NULL, received_at_ms BIGINT NOT NULL);
        CREATE TABLE chain_events (
            id BIGSERIAL PRIMARY KEY, device_id TEXT NOT NULL, seq BIGINT,
            reason TEXT NOT NULL, detail TEXT NOT NULL, record_hash TEXT, at_ms BIGINT NOT NULL);
        CREATE INDEX chain_events_device ON chain_events (device_id, at_ms);
        CREATE UNIQUE INDEX chain_events_once ON chain_events (device_id, seq, reason, record_hash);"
    ),
};

/// Migration 2's statements; `$ID` is the backend's auto-increment primary key.
macro_rules! core_2 {
    ($id:literal) => {
        concat!(
            "ALTER TABLE face_templates ADD COLUMN key_id TEXT;
            ALTER TABLE face_templates ADD COLUMN content_digest TEXT;
            ALTER TABLE face_templates ADD COLUMN source_device_id TEXT;
            ALTER TABLE face_templates ADD COLUMN enrolled_at_ms BIGINT;
            CREATE INDEX face_templates_content ON face_templates (employee_id, content_digest);
            CREATE TABLE refused_uploads (id ",
            $id,
            ", device_id TEXT, seq BIGINT, reason TEXT NOT NULL, detail TEXT NOT NULL,
                record_hash TEXT, remote_addr TEXT, forwarded_for TEXT, at_ms BIGINT NOT NULL);
            CREATE INDEX refused_uploads_device ON refused_uploads (device_id, at_ms);
            CREATE INDEX refused_uploads_at ON refused_uploads (at_ms);"
        )
    };
}

/// Every core migration.
pub const CORE: &[Migration] = &[
    CORE_1,
    Migration {
        component: "core",
        version: 2,
        name: "sealed face templates (key id, content digest, source device), refused uploads",
        sqlite: core_2!("INTEGER PRIMARY KEY AUTOINCREMENT"),
        postgres: core_2!("BIGSERIAL PRIMARY KEY"),
    },
    Migration {
        component: "core",
        version: 3,
        name: "devices.released_until_ms: an administrator released a silent device's days",
        sqlite: "ALTER TABLE devices ADD COLUMN released_until_ms BIGINT;",
        postgres: "ALTER TABLE devices ADD COLUMN released_until_ms BIGINT;",
    },
    Migration {
        component: "core",
        version: 4,
        name: "device health reports and signed device events (tamper)",
        sqlite: CORE_4,
        postgres: CORE_4,
    },
    Migration {
        component: "core",
        version: 5,
        name: "record flags: what the server doubts about a stored record; sites' areas",
        sqlite: CORE_5,
        postgres: CORE_5,
    },
    Migration {
        component: "core",
        version: 6,
        name: "device_health.server_link: how a device trusts the server (pinned, CA, insecure LAN)",
        sqlite: "ALTER TABLE device_health ADD COLUMN server_link TEXT;",
        postgres: "ALTER TABLE device_health ADD COLUMN server_link TEXT;",
    },
    Migration {
        component: "core",
        version: 7,
        name: "photos.key_id: evidence photos sealed with the template key (NULL: stored in clear before)",
        sqlite: "ALTER TABLE photos ADD COLUMN key_id TEXT;",
        postgres: "ALTER TABLE photos ADD COLUMN key_id TEXT;",
    },
    Migration {
        component: "core",
        version: 8,
        name: "request_nonces: the nonces of devices' signed calls within the time window (replays refused)",
        sqlite: CORE_8,
        postgres: CORE_8,
    },
    Migration {
        component: "core",
        version: 9,
        name: "records' and quarantine's gps_fix_mode (2d/3d, record format 2); an HDOP of 0 from format 1 is none",
        sqlite: CORE_9,
        postgres: CORE_9,
    },
    Migration {
        component: "core",
        version: 10,
        name: "sites.time_zone: a site's own IANA zone (NULL: the server's `[site] time_zone`)",
        sqlite: "ALTER TABLE sites ADD COLUMN time_zone TEXT;",
        postgres: "ALTER TABLE sites ADD COLUMN time_zone TEXT;",
    },
    Migration {
        component: "core",
        version: 11,
        name: "records_photo on SQLite: the photo hash's first 8 digits, not all 64 (a fifth of the pages to rewrite per ingest)",
        sqlite: CORE_11_SQLITE,
        // PostgreSQL logs an index insert as a small record, not as the whole page: nothing to gain.
        postgres: "SELECT 1;",
    },
];

/// The photo index kept small. Photo hashes are random, so every stored record lands on a
/// random page of the index, and SQLite writes each page a commit touched whole into its log:
/// with the 64 hex digits as key, the index grew to about 75 bytes a record and an ingest
/// group rewrote most of it. Eight digits (2³² values) find a device's record among the
/// department's as well; the lookup then compares the whole hash.
const CORE_11_SQLITE: &str = "
    DROP INDEX records_photo;
    CREATE INDEX records_photo_prefix ON records (substr(photo_sha256, 1, 8));
";

/// Format 2 records say whether the fix was 2D or 3D (NULL: not said, or a format-1 record).
/// Every record stored before is format 1, whose kiosks wrote HDOP 0 for "the receiver gave
/// none": stored as NULL from now on, so that a 0 means a receiver that said 0.
const CORE_9: &str = "
        ALTER TABLE records ADD COLUMN gps_fix_mode TEXT;
        ALTER TABLE quarantine ADD COLUMN gps_fix_mode TEXT;
        UPDATE records SET gps_hdop_centi = NULL WHERE gps_hdop_centi = 0;
        UPDATE quarantine SET gps_hdop_centi = NULL WHERE gps_hdop_centi = 0;";

/// A signed call's nonce, kept as long as its timestamp could still be accepted.
const CORE_8: &str = "
        CREATE TABLE request_nonces (
            device_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at_ms BIGINT NOT NULL,
            PRIMARY KEY (device_id, nonce));
        CREATE INDEX request_nonces_seen ON request_nonces (seen_at_ms);";

/// The server's doubts about a stored record ([`crate::doubts`]), as a JSON array of flags;
/// written in the record's own transaction, never changed. `recorded_at_ms` repeats the
/// record's time so a month's flags are read without visiting the records.
const CORE_5: &str = "
        CREATE TABLE record_flags (
            record_id BIGINT PRIMARY KEY REFERENCES records (id), recorded_at_ms BIGINT NOT NULL,
            flags TEXT NOT NULL);
        CREATE INDEX record_flags_time ON record_flags (recorded_at_ms);
        CREATE TABLE site_areas (
            site_id TEXT PRIMARY KEY, lat_e7 BIGINT NOT NULL, lon_e7 BIGINT NOT NULL,
            radius_m BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL, by_user TEXT NOT NULL);";

/// Device health and events (`tamper_open` is 0/1, NULL without a switch): the same SQL on
/// both backends.
const CORE_4: &str = "
        CREATE TABLE device_health (
            device_id TEXT PRIMARY KEY, reported_at_ms BIGINT NOT NULL, firmware TEXT NOT NULL,
            uptime_s BIGINT NOT NULL, data_free_bytes BIGINT, outbox_len BIGINT NOT NULL,
            oldest_unsent_s BIGINT, camera_fps_centi BIGINT, cpu_temp_milli_c BIGINT,
            tamper_open BIGINT);
        CREATE TABLE device_events (
            device_id TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL, at_ms BIGINT NOT NULL,
            prev_hash TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL,
            received_at_ms BIGINT NOT NULL, PRIMARY KEY (device_id, seq));
        CREATE INDEX device_events_received ON device_events (received_at_ms);";

/// The dashboard's first schema: users, sessions, sections and their calendars, holidays, the
/// supervisors' decisions, the corrections and audit logs, rule settings, late-board tokens, and
/// the covering index of the recap's month read.
///
/// Releases before the one store created these tables themselves (`CREATE TABLE IF NOT
/// EXISTS`, SQLite only), outside `schema_migrations`. The SQLite text therefore keeps `IF NOT
/// EXISTS` everywhere: on such a database it adopts the tables as they are (same columns, same
/// triggers) and only records the step; on an empty one it creates them.
///
/// `dash_corrections`, `dash_audit` and `dash_decisions` are append-only (`dash_decisions` until
/// `dashboard/2`, which lets a decision be reversed through its history): triggers refuse
/// UPDATE and DELETE (on PostgreSQL also TRUNCATE) on both backends. A wrong correction is
/// corrected by a newer one, with its reason; a decision on a record is final.
const DASHBOARD_1: Migration = Migration {
    component: "dashboard",
    version: 1,
    name: "dashboard users, sessions, sections, holidays, decisions, corrections, audit, settings, board tokens",
    sqlite: r#"
CREATE INDEX IF NOT EXISTS dash_records_by_time ON records (
    recorded_at_ms, employee_id, direction, utc_offset_min, mode, decision, device_id);
CREATE TABLE IF NOT EXISTS dash_users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','supervisor','operator')));
CREATE TABLE IF NOT EXISTS dash_user_sections (
    user_id INTEGER NOT NULL REFERENCES dash_users(id), section_id TEXT NOT NULL,
    PRIMARY KEY (user_id, section_id));
CREATE TABLE IF NOT EXISTS dash_sessions (
    token_sha256 TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES dash_users(id),
    csrf TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dash_sections (
    id TEXT PRIMARY KEY, name TEXT NOT NULL,
    mon TEXT, tue TEXT, wed TEXT, thu TEXT, fri TEXT, sat TEXT, sun TEXT);
CREATE TABLE IF NOT EXISTS dash_section_exceptions (
    section_id TEXT NOT NULL, date TEXT NOT NULL, hours TEXT, reason TEXT NOT NULL,
    PRIMARY KEY (section_id, date));
CREATE TABLE IF NOT EXISTS dash_holidays (date TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_employee_sections (
    employee_id TEXT PRIMARY KEY, section_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_decisions (
    record_id INTEGER PRIMARY KEY, decision TEXT NOT NULL CHECK (decision IN ('confirmed','rejected')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dash_corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL, date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cuti','sakit','izin','dinas_luar','cancel')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dash_corrections_date ON dash_corrections (date);
CREATE TABLE IF NOT EXISTS dash_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, by_user TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_board_tokens (
    token_sha256 TEXT PRIMARY KEY, label TEXT NOT NULL, initials_only INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS dash_corrections_no_update BEFORE UPDATE ON dash_corrections
BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_corrections_no_delete BEFORE DELETE ON dash_corrections
BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_audit_no_update BEFORE UPDATE ON dash_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_audit_no_delete BEFORE DELETE ON dash_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_decisions_no_update BEFORE UPDATE ON dash_decisions
BEGIN SELECT RAISE(ABORT, 'a decision on a record is final'); END;
CREATE TRIGGER IF NOT EXISTS dash_decisions_no_delete BEFORE DELETE ON dash_decisions
BEGIN SELECT RAISE(ABORT, 'a decision on a record is final'); END;
"#,
    postgres: r#"
CREATE INDEX dash_records_by_time ON records (recorded_at_ms)
    INCLUDE (id, employee_id, direction, utc_offset_min, mode, decision, device_id);
CREATE TABLE dash_users (
    id BIGSERIAL PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','supervisor','operator')));
CREATE TABLE dash_user_sections (
    user_id BIGINT NOT NULL REFERENCES dash_users(id), section_id TEXT NOT NULL,
    PRIMARY KEY (user_id, section_id));
CREATE TABLE dash_sessions (
    token_sha256 TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES dash_users(id),
    csrf TEXT NOT NULL, expires_at_ms BIGINT NOT NULL);
CREATE TABLE dash_sections (
    id TEXT PRIMARY KEY, name TEXT NOT NULL,
    mon TEXT, tue TEXT, wed TEXT, thu TEXT, fri TEXT, sat TEXT, sun TEXT);
CREATE TABLE dash_section_exceptions (
    section_id TEXT NOT NULL, date TEXT NOT NULL, hours TEXT, reason TEXT NOT NULL,
    PRIMARY KEY (section_id, date));
CREATE TABLE dash_holidays (date TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE dash_employee_sections (
    employee_id TEXT PRIMARY KEY, section_id TEXT NOT NULL);
CREATE TABLE dash_decisions (
    record_id BIGINT PRIMARY KEY, decision TEXT NOT NULL CHECK (decision IN ('confirmed','rejected')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE TABLE dash_corrections (
    id BIGSERIAL PRIMARY KEY, employee_id TEXT NOT NULL, date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cuti','sakit','izin','dinas_luar','cancel')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX dash_corrections_date ON dash_corrections (date);
CREATE TABLE dash_audit (
    id BIGSERIAL PRIMARY KEY, at_ms BIGINT NOT NULL, by_user TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE dash_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE dash_board_tokens (
    token_sha256 TEXT PRIMARY KEY, label TEXT NOT NULL, initials_only BOOLEAN NOT NULL);
CREATE FUNCTION dash_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER dash_corrections_append_only BEFORE UPDATE OR DELETE ON dash_corrections
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('corrections are append-only');
CREATE TRIGGER dash_corrections_no_truncate BEFORE TRUNCATE ON dash_corrections
    FOR EACH STATEMENT EXECUTE FUNCTION dash_refuse_change('corrections are append-only');
CREATE TRIGGER dash_audit_append_only BEFORE UPDATE OR DELETE ON dash_audit
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('the audit log is append-only');
CREATE TRIGGER dash_audit_no_truncate BEFORE TRUNCATE ON dash_audit
    FOR EACH STATEMENT EXECUTE FUNCTION dash_refuse_change('the audit log is append-only');
CREATE TRIGGER dash_decisions_final BEFORE UPDATE OR DELETE ON dash_decisions
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('a decision on a record is final');
CREATE TRIGGER dash_decisions_no_truncate BEFORE TRUNCATE ON dash_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION dash_refuse_change('a decision on a record is final');
"#,
};

/// Every dashboard migration (component `dashboard`; needs [`CORE`] first: it indexes
/// `records`).
pub const DASHBOARD: &[Migration] =
    &[DASHBOARD_1, DASHBOARD_2, DASHBOARD_3, DASHBOARD_4, DASHBOARD_5, DASHBOARD_6, DASHBOARD_7, DASHBOARD_8, DASHBOARD_9, DASHBOARD_10, DASHBOARD_11, DASHBOARD_12, DASHBOARD_13, DASHBOARD_14, DASHBOARD_15, DASHBOARD_16, DASHBOARD_17];

/// `records_recorded_at` is redundant beside `dash_records_by_time`, which leads with the same
/// column and covers the pages' columns: one index fewer to update with every stored record.
const DASHBOARD_17: Migration = Migration {
    component: "dashboard",
    version: 17,
    name: "one index by record time, not two",
    sqlite: "DROP INDEX IF EXISTS records_recorded_at;",
    postgres: "DROP INDEX IF EXISTS records_recorded_at;",
};

/// A late-board link for one site: that office's TV shows its own people, on its own date.
const DASHBOARD_16: Migration = Migration {
    component: "dashboard",
    version: 16,
    name: "late-board links for one site",
    sqlite: "ALTER TABLE dash_board_tokens ADD COLUMN site_id TEXT;",
    postgres: "ALTER TABLE dash_board_tokens ADD COLUMN site_id TEXT;",
};

/// Holidays' kinds (#16): national, joint leave (cuti bersama), regional; and the sites a
/// holiday applies to (space-separated ids, empty: every site). The holidays of an earlier
/// release read as national holidays of every site.
const DASHBOARD_15: Migration = Migration {
    component: "dashboard",
    version: 15,
    name: "holidays' kinds (national, joint leave, regional) and sites",
    sqlite: DASHBOARD_15_SQL,
    postgres: DASHBOARD_15_SQL,
};

const DASHBOARD_15_SQL: &str = "
ALTER TABLE dash_holidays ADD COLUMN kind TEXT NOT NULL DEFAULT 'national';
ALTER TABLE dash_holidays ADD COLUMN sites TEXT NOT NULL DEFAULT '';";

/// Dated field assignments (#19): where a field employee works from one date to another (a
/// circle with a label); a field record of such a day is judged against it.
const DASHBOARD_14: Migration = Migration {
    component: "dashboard",
    version: 14,
    name: "dated field assignments",
    sqlite: "
CREATE TABLE dash_field_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL,
    from_date TEXT NOT NULL, to_date TEXT NOT NULL, label TEXT NOT NULL,
    lat_e7 BIGINT NOT NULL, lon_e7 BIGINT NOT NULL, radius_m BIGINT NOT NULL,
    by_user TEXT NOT NULL, created_at_ms BIGINT NOT NULL);
CREATE INDEX dash_field_assignments_employee ON dash_field_assignments (employee_id, from_date);",
    postgres: "
CREATE TABLE dash_field_assignments (
    id BIGSERIAL PRIMARY KEY, employee_id TEXT NOT NULL,
    from_date TEXT NOT NULL, to_date TEXT NOT NULL, label TEXT NOT NULL,
    lat_e7 BIGINT NOT NULL, lon_e7 BIGINT NOT NULL, radius_m BIGINT NOT NULL,
    by_user TEXT NOT NULL, created_at_ms BIGINT NOT NULL);
CREATE INDEX dash_field_assignments_employee ON dash_field_assignments (employee_id, from_date);",
};

/// The late board's admin view (#17): a board link that also shows the devices in trouble
/// (an open enclosure first), for the screen in the administrators' room.
const DASHBOARD_13: Migration = Migration {
    component: "dashboard",
    version: 13,
    name: "late-board links that show device alerts",
    sqlite: "ALTER TABLE dash_board_tokens ADD COLUMN device_alerts INTEGER NOT NULL DEFAULT 0;",
    postgres: "ALTER TABLE dash_board_tokens ADD COLUMN device_alerts BOOLEAN NOT NULL DEFAULT FALSE;",
};

/// Administrators' second factor (#15): the TOTP secret (base32) of an account that turned it
/// on, and the last step used, so that a code is good once.
const DASHBOARD_12: Migration = Migration {
    component: "dashboard",
    version: 12,
    name: "second factor (TOTP) for accounts",
    sqlite: DASHBOARD_12_SQL,
    postgres: DASHBOARD_12_SQL,
};

const DASHBOARD_12_SQL: &str = "
ALTER TABLE dash_users ADD COLUMN totp_secret TEXT;
ALTER TABLE dash_users ADD COLUMN totp_last_step BIGINT;";

/// Cancelled manual entries (#16): an administrator withdraws a mistaken manual IN or OUT
/// with a reason; the entry stays, marked, and counts no more. Append-only, one per entry.
const DASHBOARD_11: Migration = Migration {
    component: "dashboard",
    version: 11,
    name: "cancelled manual entries, append-only",
    sqlite: "
CREATE TABLE dash_manual_cancels (
    manual_id INTEGER PRIMARY KEY REFERENCES dash_manual_punches(id), reason TEXT NOT NULL,
    by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE TRIGGER dash_manual_cancels_no_update BEFORE UPDATE ON dash_manual_cancels
BEGIN SELECT RAISE(ABORT, 'a cancellation is final'); END;
CREATE TRIGGER dash_manual_cancels_no_delete BEFORE DELETE ON dash_manual_cancels
BEGIN SELECT RAISE(ABORT, 'a cancellation is final'); END;",
    postgres: "
CREATE TABLE dash_manual_cancels (
    manual_id BIGINT PRIMARY KEY REFERENCES dash_manual_punches(id), reason TEXT NOT NULL,
    by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE TRIGGER dash_manual_cancels_final BEFORE UPDATE OR DELETE ON dash_manual_cancels
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('a cancellation is final');
CREATE TRIGGER dash_manual_cancels_no_truncate BEFORE TRUNCATE ON dash_manual_cancels
    FOR EACH STATEMENT EXECUTE FUNCTION dash_refuse_change('a cancellation is final');",
};

/// Accounts (#15): read-only leadership, employees' own accounts (self-service, linked by
/// `employee_id`), disabled accounts and temporary passwords (set by someone else, to be
/// changed at the next sign-in, void after `temporary_until_ms`). SQLite cannot widen a CHECK
/// constraint in place, so `dash_users` is rebuilt, with the two tables that refer to it.
const DASHBOARD_10: Migration = Migration {
    component: "dashboard",
    version: 10,
    name: "leadership and employee accounts, disabled accounts, temporary passwords",
    sqlite: "
CREATE TABLE dash_users_v10 (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','supervisor','operator','leadership','employee')),
    employee_id TEXT UNIQUE, disabled_at_ms BIGINT, temporary_until_ms BIGINT,
    CHECK ((role = 'employee') = (employee_id IS NOT NULL)));
INSERT INTO dash_users_v10 (id, username, password_hash, role) SELECT id, username, password_hash, role FROM dash_users;
CREATE TABLE dash_user_sections_v10 AS SELECT user_id, section_id FROM dash_user_sections;
CREATE TABLE dash_sessions_v10 AS SELECT token_sha256, user_id, csrf, expires_at_ms FROM dash_sessions;
DROP TABLE dash_sessions;
DROP TABLE dash_user_sections;
DROP TABLE dash_users;
ALTER TABLE dash_users_v10 RENAME TO dash_users;
CREATE TABLE dash_user_sections (
    user_id INTEGER NOT NULL REFERENCES dash_users(id), section_id TEXT NOT NULL,
    PRIMARY KEY (user_id, section_id));
INSERT INTO dash_user_sections SELECT user_id, section_id FROM dash_user_sections_v10;
DROP TABLE dash_user_sections_v10;
CREATE TABLE dash_sessions (
    token_sha256 TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES dash_users(id),
    csrf TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
INSERT INTO dash_sessions SELECT token_sha256, user_id, csrf, expires_at_ms FROM dash_sessions_v10;
DROP TABLE dash_sessions_v10;",
    postgres: "
ALTER TABLE dash_users DROP CONSTRAINT dash_users_role_check;
ALTER TABLE dash_users ADD CONSTRAINT dash_users_role_check
    CHECK (role IN ('admin','supervisor','operator','leadership','employee'));
ALTER TABLE dash_users ADD COLUMN employee_id TEXT UNIQUE, ADD COLUMN disabled_at_ms BIGINT,
    ADD COLUMN temporary_until_ms BIGINT;
ALTER TABLE dash_users ADD CONSTRAINT dash_users_employee_link
    CHECK ((role = 'employee') = (employee_id IS NOT NULL));",
};

/// An employee's own week for a range of dates (#16), over the section's.
const DASHBOARD_9: Migration = Migration {
    component: "dashboard",
    version: 9,
    name: "employees' own schedules for a range of dates",
    sqlite: "
CREATE TABLE dash_employee_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL,
    from_date TEXT NOT NULL, to_date TEXT NOT NULL,
    mon TEXT, tue TEXT, wed TEXT, thu TEXT, fri TEXT, sat TEXT, sun TEXT,
    reason TEXT NOT NULL, by_user TEXT NOT NULL, created_at_ms BIGINT NOT NULL);
CREATE INDEX dash_employee_schedules_employee ON dash_employee_schedules (employee_id);",
    postgres: "
CREATE TABLE dash_employee_schedules (
    id BIGSERIAL PRIMARY KEY, employee_id TEXT NOT NULL,
    from_date TEXT NOT NULL, to_date TEXT NOT NULL,
    mon TEXT, tue TEXT, wed TEXT, thu TEXT, fri TEXT, sat TEXT, sun TEXT,
    reason TEXT NOT NULL, by_user TEXT NOT NULL, created_at_ms BIGINT NOT NULL);
CREATE INDEX dash_employee_schedules_employee ON dash_employee_schedules (employee_id);",
};

/// Dated schedule changes (#16): a section's week from a date on, so that a change never
/// rewrites the months before it.
const DASHBOARD_8: Migration = Migration {
    component: "dashboard",
    version: 8,
    name: "section schedules that take effect from a date",
    sqlite: DASHBOARD_8_SQL,
    postgres: DASHBOARD_8_SQL,
};

const DASHBOARD_8_SQL: &str = "
CREATE TABLE dash_section_changes (
    section_id TEXT NOT NULL, effective_from TEXT NOT NULL,
    mon TEXT, tue TEXT, wed TEXT, thu TEXT, fri TEXT, sat TEXT, sun TEXT,
    PRIMARY KEY (section_id, effective_from));";

/// Manual IN and OUT entries (#16): an administrator's punch for an employee who could not make
/// one, with its reason and attachment; append-only, apart from the signed `records`.
const DASHBOARD_7: Migration = Migration {
    component: "dashboard",
    version: 7,
    name: "manual IN and OUT entries, append-only",
    sqlite: "
CREATE TABLE dash_manual_punches (
    id INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in','out')),
    recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('office','field')), reason TEXT NOT NULL,
    attachment_name TEXT, attachment_type TEXT, attachment BLOB,
    by_user TEXT NOT NULL, created_at_ms BIGINT NOT NULL);
CREATE INDEX dash_manual_punches_time ON dash_manual_punches (recorded_at_ms);
CREATE TRIGGER dash_manual_no_update BEFORE UPDATE ON dash_manual_punches
BEGIN SELECT RAISE(ABORT, 'manual entries are append-only'); END;
CREATE TRIGGER dash_manual_no_delete BEFORE DELETE ON dash_manual_punches
BEGIN SELECT RAISE(ABORT, 'manual entries are append-only'); END;",
    postgres: "
CREATE TABLE dash_manual_punches (
    id BIGSERIAL PRIMARY KEY, employee_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in','out')),
    recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('office','field')), reason TEXT NOT NULL,
    attachment_name TEXT, attachment_type TEXT, attachment BYTEA,
    by_user TEXT NOT NULL, created_at_ms BIGINT NOT NULL);
CREATE INDEX dash_manual_punches_time ON dash_manual_punches (recorded_at_ms);
CREATE TRIGGER dash_manual_append_only BEFORE UPDATE OR DELETE ON dash_manual_punches
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('manual entries are append-only');
CREATE TRIGGER dash_manual_no_truncate BEFORE TRUNCATE ON dash_manual_punches
    FOR EACH STATEMENT EXECUTE FUNCTION dash_refuse_change('manual entries are append-only');",
};

/// Failed sign-ins leave the audit log after their retention (#18): they are a stranger's
/// typing, not an act of a user, and a flood of them must not grow the table for ever. Every
/// other line stays append-only; the partial index keeps the hourly prune off the rest.
const DASHBOARD_6: Migration = Migration {
    component: "dashboard",
    version: 6,
    name: "audit log: failed sign-ins may be pruned after their retention; everything else stays append-only",
    sqlite: "
DROP TRIGGER dash_audit_no_delete;
CREATE TRIGGER dash_audit_no_delete BEFORE DELETE ON dash_audit WHEN OLD.action <> 'login_failed'
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (failed sign-ins excepted)'); END;
CREATE INDEX dash_audit_failed_logins ON dash_audit (at_ms) WHERE action = 'login_failed';",
    postgres: "
DROP TRIGGER dash_audit_append_only ON dash_audit;
CREATE TRIGGER dash_audit_no_update BEFORE UPDATE ON dash_audit
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('the audit log is append-only');
CREATE TRIGGER dash_audit_no_delete BEFORE DELETE ON dash_audit
    FOR EACH ROW WHEN (OLD.action <> 'login_failed')
    EXECUTE FUNCTION dash_refuse_change('the audit log is append-only (failed sign-ins excepted)');
CREATE INDEX dash_audit_failed_logins ON dash_audit (at_ms) WHERE action = 'login_failed';",
};

/// Late-board links that expire and can be revoked (a link shown on a TV leaks easily). Links
/// made before have no expiry (`expires_at_ms` NULL) until an administrator revokes them.
const DASHBOARD_5: Migration = Migration {
    component: "dashboard",
    version: 5,
    name: "board links: creation, expiry, revocation",
    sqlite: DASHBOARD_5_SQL,
    postgres: DASHBOARD_5_SQL,
};

const DASHBOARD_5_SQL: &str = "
ALTER TABLE dash_board_tokens ADD COLUMN created_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dash_board_tokens ADD COLUMN expires_at_ms BIGINT;
ALTER TABLE dash_board_tokens ADD COLUMN revoked_at_ms BIGINT;";

/// Leave requests with their attachment and decision (`dash_leave_requests`); approval writes
/// the days into `dash_corrections`.
const DASHBOARD_4: Migration = Migration {
    component: "dashboard",
    version: 4,
    name: "leave requests",
    sqlite: r#"
CREATE TABLE dash_leave_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cuti','sakit','izin','dinas_luar')),
    from_date TEXT NOT NULL, to_date TEXT NOT NULL, reason TEXT NOT NULL,
    attachment_name TEXT, attachment_type TEXT, attachment BLOB,
    state TEXT NOT NULL CHECK (state IN ('pending','approved','refused')),
    filed_by TEXT NOT NULL, filed_at_ms BIGINT NOT NULL,
    decided_by TEXT, decided_at_ms BIGINT, decision_reason TEXT);
CREATE INDEX dash_leave_requests_employee ON dash_leave_requests (employee_id);
"#,
    postgres: r#"
CREATE TABLE dash_leave_requests (
    id BIGSERIAL PRIMARY KEY, employee_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cuti','sakit','izin','dinas_luar')),
    from_date TEXT NOT NULL, to_date TEXT NOT NULL, reason TEXT NOT NULL,
    attachment_name TEXT, attachment_type TEXT, attachment BYTEA,
    state TEXT NOT NULL CHECK (state IN ('pending','approved','refused')),
    filed_by TEXT NOT NULL, filed_at_ms BIGINT NOT NULL,
    decided_by TEXT, decided_at_ms BIGINT, decision_reason TEXT);
CREATE INDEX dash_leave_requests_employee ON dash_leave_requests (employee_id);
"#,
};

/// Closed months (`dash_month_closes`, one row per month `YYYY-MM`) and the changes made to a
/// closed month afterwards (`dash_closed_changes`, append-only), which the month's exports flag.
const DASHBOARD_3: Migration = Migration {
    component: "dashboard",
    version: 3,
    name: "closed months and the changes made to them",
    sqlite: r#"
CREATE TABLE dash_month_closes (month TEXT PRIMARY KEY, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE TABLE dash_closed_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, month TEXT NOT NULL, employee_id TEXT NOT NULL, date TEXT NOT NULL,
    what TEXT NOT NULL, reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX dash_closed_changes_month ON dash_closed_changes (month);
CREATE TRIGGER dash_closed_changes_no_update BEFORE UPDATE ON dash_closed_changes
BEGIN SELECT RAISE(ABORT, 'changes to closed months are append-only'); END;
CREATE TRIGGER dash_closed_changes_no_delete BEFORE DELETE ON dash_closed_changes
BEGIN SELECT RAISE(ABORT, 'changes to closed months are append-only'); END;
CREATE TRIGGER dash_month_closes_no_delete BEFORE DELETE ON dash_month_closes
BEGIN SELECT RAISE(ABORT, 'a closed month stays closed'); END;
"#,
    postgres: r#"
CREATE TABLE dash_month_closes (month TEXT PRIMARY KEY, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE TABLE dash_closed_changes (
    id BIGSERIAL PRIMARY KEY, month TEXT NOT NULL, employee_id TEXT NOT NULL, date TEXT NOT NULL,
    what TEXT NOT NULL, reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX dash_closed_changes_month ON dash_closed_changes (month);
CREATE TRIGGER dash_closed_changes_append_only BEFORE UPDATE OR DELETE ON dash_closed_changes
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('changes to closed months are append-only');
CREATE TRIGGER dash_month_closes_no_delete BEFORE DELETE ON dash_month_closes
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('a closed month stays closed');
"#,
};

/// A decision can be reversed, by a new decision with its reason; none is ever lost.
/// `dash_decision_history` holds every decision made on a record, append-only (the decisions
/// made before this step are copied in); `dash_decisions` keeps the one in force, and a trigger
/// lets it change only to a decision that the history holds (same record, decision and time),
/// so the history cannot be bypassed. Deleting a decision stays refused.
const DASHBOARD_2: Migration = Migration {
    component: "dashboard",
    version: 2,
    name: "decision history: a decision is reversed by a new one, the old one kept",
    sqlite: r#"
CREATE TABLE dash_decision_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, record_id BIGINT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('confirmed','rejected')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX dash_decision_history_record ON dash_decision_history (record_id, id);
INSERT INTO dash_decision_history (record_id, decision, reason, by_user, at_ms)
    SELECT record_id, decision, reason, by_user, at_ms FROM dash_decisions ORDER BY at_ms, record_id;
CREATE TRIGGER dash_decision_history_no_update BEFORE UPDATE ON dash_decision_history
BEGIN SELECT RAISE(ABORT, 'the decision history is append-only'); END;
CREATE TRIGGER dash_decision_history_no_delete BEFORE DELETE ON dash_decision_history
BEGIN SELECT RAISE(ABORT, 'the decision history is append-only'); END;
DROP TRIGGER dash_decisions_no_update;
CREATE TRIGGER dash_decisions_from_history BEFORE UPDATE ON dash_decisions
WHEN NOT EXISTS (SELECT 1 FROM dash_decision_history h
                 WHERE h.record_id = NEW.record_id AND h.decision = NEW.decision AND h.at_ms = NEW.at_ms)
BEGIN SELECT RAISE(ABORT, 'a decision changes only by a new decision in dash_decision_history'); END;
"#,
    postgres: r#"
CREATE TABLE dash_decision_history (
    id BIGSERIAL PRIMARY KEY, record_id BIGINT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('confirmed','rejected')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX dash_decision_history_record ON dash_decision_history (record_id, id);
INSERT INTO dash_decision_history (record_id, decision, reason, by_user, at_ms)
    SELECT record_id, decision, reason, by_user, at_ms FROM dash_decisions ORDER BY at_ms, record_id;
CREATE TRIGGER dash_decision_history_append_only BEFORE UPDATE OR DELETE ON dash_decision_history
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('the decision history is append-only');
CREATE TRIGGER dash_decision_history_no_truncate BEFORE TRUNCATE ON dash_decision_history
    FOR EACH STATEMENT EXECUTE FUNCTION dash_refuse_change('the decision history is append-only');
DROP TRIGGER dash_decisions_final ON dash_decisions;
CREATE TRIGGER dash_decisions_no_delete BEFORE DELETE ON dash_decisions
    FOR EACH ROW EXECUTE FUNCTION dash_refuse_change('a decision on a record is never deleted');
CREATE FUNCTION dash_decision_from_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dash_decision_history h
                   WHERE h.record_id = NEW.record_id AND h.decision = NEW.decision AND h.at_ms = NEW.at_ms) THEN
        RAISE EXCEPTION 'a decision changes only by a new decision in dash_decision_history'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER dash_decisions_from_history BEFORE UPDATE ON dash_decisions
    FOR EACH ROW EXECUTE FUNCTION dash_decision_from_history();
"#,
};

/// The ZKTeco terminals' tables (component `terminals`), `$ID` being the backend's
/// auto-increment primary key:
///
/// - `zk_terminals(serial, state, site_id, first_seen_ms, last_seen_ms, attlog_stamp,
///   operlog_stamp, options, push_version, approved_at_ms, revoked_at_ms)`: `state` is
///   `pending`, `approved` or `revoked`; stamps are the last ones stored per table (sent back
///   in the handshake); `options` the handshake's `options=` and `INFO=` as sent.
/// - `zk_held_uploads(id, serial, table_name, stamp, body, lines, received_at_ms)`: uploads of
///   a terminal not approved yet, kept raw and not counted until approval.
/// - `zk_user_numbers(employee_id, terminal_user)`: an employee's "terminal user number" (the
///   PIN typed on or enrolled at the terminal); without a row the PIN is the employee id.
/// - `zk_records(id, serial, pin, employee_id, local_time, recorded_at_ms, utc_offset_min,
///   status, verify, work_code, direction, raw, provenance, received_at_ms)`: one a punch,
///   `UNIQUE (serial, pin, local_time)`; `employee_id` NULL when the PIN matches no one;
///   `direction` `in`/`out`, NULL for status codes that are not IN/OUT (2, 3, 255 …);
///   `provenance` is `terminal_unsigned`.
/// - `zk_refused_lines(id, serial, table_name, line_no, raw, reason, received_at_ms)`:
///   malformed lines, counted in `OK: n` and kept for the administrator.
/// - `zk_operlog(id, serial, kind, pin, name, local_time, raw, received_at_ms)`: `OPLOG`
///   operations and `USER` lines (no passwords, no templates).
/// - `zk_commands(id, serial, command, state, return_code, result, queued_at_ms, sent_at_ms,
///   done_at_ms)`: `state` `queued` → `sent` (in a getrequest answer) → `done` (devicecmd).
macro_rules! terminals_1 {
    ($id:literal, $blob:literal) => {
        concat!(
            "CREATE TABLE zk_terminals (
            serial TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'revoked')),
            site_id TEXT, first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL,
            attlog_stamp BIGINT NOT NULL DEFAULT 0, operlog_stamp BIGINT NOT NULL DEFAULT 0,
            options TEXT, push_version TEXT, approved_at_ms BIGINT, revoked_at_ms BIGINT);
        CREATE TABLE zk_held_uploads (id ", $id, ", serial TEXT NOT NULL, table_name TEXT NOT NULL,
            stamp TEXT, body ", $blob, " NOT NULL, lines BIGINT NOT NULL, received_at_ms BIGINT NOT NULL);
        CREATE INDEX zk_held_by_serial ON zk_held_uploads (serial, id);
        CREATE TABLE zk_user_numbers (employee_id TEXT PRIMARY KEY, terminal_user TEXT NOT NULL UNIQUE);
        CREATE TABLE zk_records (id ", $id, ", serial TEXT NOT NULL, pin TEXT NOT NULL, employee_id TEXT,
            local_time TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL, utc_offset_min INTEGER NOT NULL,
            status BIGINT NOT NULL, verify BIGINT NOT NULL, work_code TEXT NOT NULL, direction TEXT,
            raw TEXT NOT NULL, provenance TEXT NOT NULL DEFAULT 'terminal_unsigned', received_at_ms BIGINT NOT NULL,
            UNIQUE (serial, pin, local_time));
        CREATE INDEX zk_records_by_time ON zk_records (recorded_at_ms);
        CREATE TABLE zk_refused_lines (id ", $id, ", serial TEXT NOT NULL, table_name TEXT NOT NULL,
            line_no BIGINT NOT NULL, raw TEXT NOT NULL, reason TEXT NOT NULL, received_at_ms BIGINT NOT NULL);
        CREATE TABLE zk_operlog (id ", $id, ", serial TEXT NOT NULL, kind TEXT NOT NULL, pin TEXT, name TEXT,
            local_time TEXT, raw TEXT NOT NULL, received_at_ms BIGINT NOT NULL);
        CREATE TABLE zk_commands (id ", $id, ", serial TEXT NOT NULL, command TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'done')), return_code BIGINT, result TEXT,
            queued_at_ms BIGINT NOT NULL, sent_at_ms BIGINT, done_at_ms BIGINT);
        CREATE INDEX zk_commands_by_serial ON zk_commands (serial, state, id);
"
        )
    };
}

/// Every migration of the ZKTeco terminals (component `terminals`; after [`CORE`] and
/// [`DASHBOARD`]).
pub const TERMINALS: &[Migration] = &[Migration {
    component: "terminals",
    version: 1,
    name: "ZKTeco terminals: terminals, held uploads, user numbers, records, refused lines, operation log, commands",
    sqlite: terminals_1!("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
    postgres: terminals_1!("BIGSERIAL PRIMARY KEY", "BYTEA"),
}];

/// The people component's columns on the core `employees` table: what a personnel system's
/// export carries besides the name (NIP kept apart from the roster id, which may be another
/// id for a non-ASN employee), the same SQL on both backends.
const PEOPLE_1_SQL: &str = "
        ALTER TABLE employees ADD COLUMN nip TEXT;
        ALTER TABLE employees ADD COLUMN position TEXT;
        ALTER TABLE employees ADD COLUMN grade TEXT;
        ALTER TABLE employees ADD COLUMN employment_type TEXT;
        ALTER TABLE employees ADD COLUMN supervisor TEXT;";

/// Every migration of the people component (employees' personnel fields; needs [`CORE`]).
pub const PEOPLE: &[Migration] = &[Migration {
    component: "people",
    version: 1,
    name: "employees: NIP, position, grade, employment type, supervisor",
    sqlite: PEOPLE_1_SQL,
    postgres: PEOPLE_1_SQL,
}];

/// Checks that a list of migrations is well ordered: per component, versions 1, 2, 3 ….
pub fn check_order(migrations: &[Migration]) -> Result<(), String> {
    let mut next: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for m in migrations {
        let want = next.entry(m.component).or_insert(1);
        if m.version != *want {
            return Err(format!(
                "migration {}/{} ({}) out of order: expected version {}",
                m.component, m.version, m.name, want
            ));
        }
        *want += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_is_well_ordered_and_columns_agree() {
        assert_eq!(check_order(CORE), Ok(()));
        let bad = [CORE[0], CORE[0]];
        assert!(check_order(&bad).is_err());
        // Both backends and both record tables list the same columns.
        let cols = RECORD_COLUMNS_SQLITE.split_whitespace().collect::<Vec<_>>().join(" ");
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(squash(CORE[0].sqlite).matches(&cols).count(), 2);
        let pg_cols = cols.replace("canonical BLOB", "canonical BYTEA");
        assert_eq!(squash(CORE[0].postgres).matches(&pg_cols).count(), 2);
    }
}
