//! # The dashboard: pages for the office, reports and the late board
//!
//! Server-rendered HTML (one responsive design for desktop and phone), Bahasa Indonesia by
//! default and English on request, over the server's one store ([`crate::storage::Store`], SQLite
//! or PostgreSQL, the same the device API uses). Every handler checks the user's role and
//! sections on the server before reading or writing anything.
//!
//! ## Layout
//! - [`auth`]: passwords, sessions, CSRF, login rate limit, the role matrix.
//! - [`totp`]: time-based one-time codes, administrators' second factor.
//! - [`html`]: escaping, the page frame and style sheet.
//! - [`i18n`]: the two languages.
//! - [`pages`]: today, employees, records, confirmations, corrections, devices, settings.
//! - [`leave_pages`]: leave requests, their attachments and their approval.
//! - [`terminal_pages`]: the ZKTeco terminals' section of the devices page and its actions.
//! - [`roster_pages`]: one employee: face enrolment from uploaded photos, PIN reset.
//! - [`employee_pages`]: one employee's personnel fields (add, change, move).
//! - [`people_pages`]: employee import (preview, confirm), export, deactivate, erase.
//! - [`pin`]: new PINs (random, not trivial, unique at the site).
//! - [`enrol`]: the enrolment decision over the face models (quality, one person, duplicates).
//! - [`user_pages`]: staff accounts (roles, sections, disabling, password resets) and
//!   employees' first-time sign-in codes.
//! - [`own_pages`]: an employee's own month (self-service).
//! - [`site_pages`]: the office's sites (settings).
//! - [`assignment_pages`]: field employees' dated assignments (an employee's month page).
//! - [`audit_pages`]: the audit log page, and the logging of every refused request (403).
//! - [`report_pages`]: recaps per month and per date, their exports and the lateness chart.
//! - [`board`]: the late board for a TV, live over server-sent events.
//!
//! Mount with [`router`]; the device API is a separate router of the same server. The
//! dashboard's tables and queries are the storage layer's ([`crate::storage::accounts`],
//! [`crate::storage::calendar`] …); handlers await the store and never see SQL. Writes to the
//! roster (face templates, PINs) go through the device API's store methods, so the roster
//! revision moves and kiosks fetch them.
//!
//! It must not: change a record (decisions and corrections are separate, append-only tables),
//! or show an employee outside the user's sections.

pub mod account_pages;
pub mod assignment_pages;
pub mod assets;
pub mod audit_pages;
pub mod device_pages;
pub mod auth;
pub mod board;
pub mod employee_pages;
pub mod enrol;
pub mod field_pages;
pub mod forms;
pub mod headers;
pub mod html;
pub mod i18n;
pub mod leave_pages;
pub mod letterhead_pages;
pub mod login_pages;
pub mod manual_pages;
pub mod own_pages;
pub mod map;
pub mod pages;
pub mod people_pages;
pub mod record_pages;
pub mod pin;
pub mod report_pages;
pub mod roster_pages;
pub mod schedule_pages;
pub mod settings_pages;
pub mod site_pages;
pub mod terminal_pages;
pub mod today_pages;
pub mod totp;
pub mod user_pages;
pub mod webmap;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Once};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use time::{OffsetDateTime, UtcOffset};
use tokio::sync::broadcast;

use self::auth::{LoginLimiter, Page};
use self::i18n::Lang;
use crate::storage::accounts::{Role, User};
use crate::storage::{StorageError, Store};

/// The dashboard's settings.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// The server's zone, from `[site] time_zone` (WITA by default): the zone of every site
    /// without one of its own, and of the dashboard's "today" and times of day.
    pub zone: hadir_rules::SiteZone,
    /// Mark cookies `Secure` (turn off only for plain-HTTP development).
    pub secure_cookies: bool,
    /// How long a session lasts, hours.
    pub session_hours: i64,
    /// How often the late board looks for new records, milliseconds.
    pub board_poll_ms: u64,
    /// The face models used for enrolment from photos.
    pub models_dir: PathBuf,
    /// Digits of a PIN the dashboard sets (the kiosks' `flow.pin_length`).
    pub pin_length: usize,
    /// After how many hours without a sync a device is named as holding its site's days back.
    pub silent_device_hours: i64,
    /// Reverse proxies (TLS terminators) in front of the server: a request from one of these
    /// addresses is counted, for the login throttle, by the client address the proxy appended
    /// to `X-Forwarded-For`. Without this, every user behind the proxy shares one address and
    /// one guesser slows everyone's logins.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The map: its library's folder and its tile source.
    pub map: webmap::MapConfig,
}

impl DashboardConfig {
    /// The client a request is counted as: the TCP peer, or, when the peer is a trusted proxy,
    /// the last address it put in `X-Forwarded-For` (earlier entries are the client's to write
    /// and are never believed).
    pub fn client_address(&self, peer: Option<std::net::IpAddr>, forwarded_for: Option<&str>) -> Option<std::net::IpAddr> {
        crate::client::client_address(&self.trusted_proxies, peer, forwarded_for)
    }
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            zone: hadir_rules::SiteZone::default(),
            secure_cookies: true,
            session_hours: 12,
            board_poll_ms: 500,
            models_dir: hadir_models::default_models_dir(),
            pin_length: 6,
            silent_device_hours: 48,
            trusted_proxies: Vec::new(),
            map: webmap::MapConfig::default(),
        }
    }
}

impl DashboardConfig {
    /// Reads the server configuration's `[dashboard]` table: `secure_cookies` (bool),
    /// `session_hours`, `board_poll_ms`,
    /// `models_dir` (face models for enrolment), `pin_length` (4 to 12, as the kiosks') and
    /// `silent_device_hours` (1 to 720: when a device without a sync is named as holding days back)
    /// `trusted_proxies` (addresses of the reverse proxies in front), and the map's
    /// `map_library_dir`, `map_tiles` (a tile URL template) and `map_attribution`; every key is optional. The error names the key and what it expects.
    pub fn from_table(table: &toml::Table) -> Result<Self, String> {
        let mut config = Self::default();
        for (key, value) in table {
            match key.as_str() {
                "secure_cookies" => {
                    config.secure_cookies =
                        value.as_bool().ok_or("dashboard.secure_cookies: expected true or false")?;
                }
                "session_hours" => {
                    config.session_hours = value
                        .as_integer()
                        .filter(|h| (1..=720).contains(h))
                        .ok_or("dashboard.session_hours: expected whole hours from 1 to 720")?;
                }
                "utc_offset_hours" => {
                    return Err("dashboard.utc_offset_hours: the time zone is now `[site] time_zone` (an IANA name, e.g. \"Asia/Makassar\"); a site may have its own on the settings page".into());
                }
                "map_library_dir" => {
                    config.map.library_dir =
                        PathBuf::from(value.as_str().ok_or("dashboard.map_library_dir: expected a folder path (text)")?);
                }
                "map_tiles" => {
                    let url = value.as_str().ok_or("dashboard.map_tiles: expected a tile URL template (text)")?;
                    webmap::check_tiles(url)?;
                    config.map.tiles = Some(url.to_owned());
                }
                "map_attribution" => {
                    let text = value.as_str().ok_or("dashboard.map_attribution: expected text")?;
                    if text.chars().count() > 200 || text.chars().any(char::is_control) {
                        return Err("dashboard.map_attribution: one line of at most 200 characters".into());
                    }
                    config.map.attribution = text.to_owned();
                }
                "board_poll_ms" => {
                    config.board_poll_ms = value
                        .as_integer()
                        .and_then(|ms| u64::try_from(ms).ok())
                        .filter(|ms| (50..=60_000).contains(ms))
                        .ok_or("dashboard.board_poll_ms: expected 50 to 60000")?;
                }
                "models_dir" => {
                    config.models_dir =
                        PathBuf::from(value.as_str().ok_or("dashboard.models_dir: expected a folder path (text)")?);
                }
                "pin_length" => {
                    config.pin_length = value
                        .as_integer()
                        .filter(|n| (4..=12).contains(n))
                        .ok_or("dashboard.pin_length: expected 4 to 12 digits (the kiosks' flow.pin_length)")?
                        as usize;
                }
                "silent_device_hours" => {
                    config.silent_device_hours = value
                        .as_integer()
                        .filter(|h| (1..=720).contains(h))
                        .ok_or("dashboard.silent_device_hours: expected whole hours from 1 to 720")?;
                }
                "trusted_proxies" => {
                    let list = value.as_array().ok_or("dashboard.trusted_proxies: expected a list of addresses, e.g. [\"127.0.0.1\"]")?;
                    config.trusted_proxies = list
                        .iter()
                        .map(|v| v.as_str().and_then(|s| s.parse().ok()))
                        .collect::<Option<Vec<std::net::IpAddr>>>()
                        .ok_or("dashboard.trusted_proxies: every entry must be an IP address like \"127.0.0.1\"")?;
                }
                other => return Err(format!("dashboard.{other}: unknown key")),
            }
        }
        Ok(config)
    }
}

/// A clock, injectable so tests can fix "now".
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Shared state of the dashboard's handlers.
pub struct Dashboard {
    /// The one store (device API and dashboard tables).
    pub store: Store,
    /// Settings.
    pub config: DashboardConfig,
    /// Now.
    pub clock: Clock,
    /// Failed-login counter.
    pub limiter: Mutex<LoginLimiter>,
    /// Wakes the late boards when new records arrive.
    pub board_tx: broadcast::Sender<()>,
    /// The face engine for enrolment from photos (loaded on first use).
    pub faces: Arc<enrol::FaceService>,
    /// The map library, when installed (without it, maps are drawings).
    pub map_library: Option<webmap::MapLibrary>,
    watcher: Once,
    /// The report cache's warm-up was started (at the first request).
    warmed: Once,
    /// An administrator account was seen (set once; accounts are never deleted).
    admin_seen: std::sync::atomic::AtomicBool,
    /// Previewed import files waiting for confirmation.
    pub uploads: people_pages::Uploads,
    /// Judged months and the office, kept while the store has not changed.
    pub reports: crate::reports::cache::ReportCache,
}

impl Dashboard {
    /// State over a store, with the system clock.
    pub fn new(store: Store, config: DashboardConfig) -> Arc<Self> {
        Self::with_clock(store, config, Arc::new(OffsetDateTime::now_utc))
    }

    /// State with a given clock.
    pub fn with_clock(store: Store, config: DashboardConfig, clock: Clock) -> Arc<Self> {
        let (board_tx, _) = broadcast::channel(16);
        let faces = Arc::new(enrol::FaceService::new(config.models_dir.clone()));
        let map_library = match webmap::MapLibrary::load(&config.map.library_dir) {
            Ok(lib) => Some(lib),
            Err(e) => {
                tracing::warn!(error = %e, "maps are shown as drawings");
                None
            }
        };
        Arc::new(Self {
            store,
            config,
            clock,
            limiter: Mutex::new(LoginLimiter::default()),
            board_tx,
            faces,
            map_library,
            watcher: Once::new(),
            warmed: Once::new(),
            admin_seen: std::sync::atomic::AtomicBool::new(false),
            uploads: people_pages::Uploads::default(),
            reports: crate::reports::cache::ReportCache::default(),
        })
    }

    /// Now, in the server's zone.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)().to_offset(self.offset())
    }

    /// The server's zone's offset: times of day on pages not about one site.
    pub fn offset(&self) -> UtcOffset {
        self.config.zone.offset()
    }

    /// Every site's zone (their own or the server's).
    pub async fn zones(&self) -> Result<hadir_rules::SiteZones, StorageError> {
        self.store.site_zones(&self.config.zone).await
    }

    /// The reports' context of `scope`, through the report cache.
    pub async fn context(&self, scope: &crate::reports::month::Scope) -> Result<crate::reports::month::Context, StorageError> {
        self.reports.context(&self.store, scope, self.zones().await?).await
    }

    /// Judges the current month of everyone in the background, once, at the first request, so
    /// that the morning's first supervisor does not wait for it; what changes later is judged
    /// again as pages ask for it.
    pub fn warm_reports(self: &Arc<Self>) {
        self.warmed.call_once(|| {
            let st = Arc::clone(self);
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let now = st.now();
                let judged = async {
                    let ctx = st.context(&crate::reports::month::Scope::All).await?;
                    st.reports.month(&st.store, &ctx, now.year(), now.month()).await.map(|m| m.len())
                };
                match judged.await {
                    Ok(n) => tracing::info!(employees = n, ms = started.elapsed().as_millis() as u64, "the month's recap is judged and cached"),
                    Err(e) => tracing::warn!(error = %e, "could not judge the month ahead; pages judge it when asked"),
                }
            });
        });
    }

    /// Tells the late boards to refresh (the device API may call this after storing records;
    /// the boards also notice new records by themselves within `board_poll_ms`).
    pub fn records_arrived(&self) {
        let _ = self.board_tx.send(());
    }
}

/// Shared state handle.
pub type AppState = Arc<Dashboard>;

/// What goes wrong in a handler; tells the user little and logs the rest once.
#[derive(Debug)]
pub enum AppError {
    /// Not allowed (role or section); the reason is for the log and the audit, not the user.
    Forbidden(String),
    /// No such thing (or not visible to the user).
    NotFound,
    /// A bad form value, with the message to show.
    BadRequest(String),
    /// The CSRF token did not match.
    Csrf,
    /// An export failed.
    Export(String),
    /// A part of the server is not available (the message says which and why).
    Unavailable(String),
    /// The store failed.
    Storage(StorageError),
    /// The face models failed (missing, corrupt).
    Models(hadir_models::ModelError),
    /// Anything else that is the server's fault (logged, not shown).
    Internal(String),
}

/// Why a request was refused with 403, carried from the handler to [`audit_pages::log_denied`].
#[derive(Debug, Clone)]
pub struct Denied(pub String);

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        AppError::Storage(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let denied = match &self {
            AppError::Forbidden(reason) => Some(reason.clone()),
            AppError::Csrf => Some("CSRF token missing or wrong".to_owned()),
            _ => None,
        };
        let (code, msg) = match &self {
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "Akses ditolak / Access denied".to_owned()),
            AppError::NotFound => (StatusCode::NOT_FOUND, "Tidak ditemukan / Not found".to_owned()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::Csrf => (StatusCode::FORBIDDEN, "Formulir kedaluwarsa, muat ulang halaman / Form expired, reload the page".to_owned()),
            AppError::Export(e) => {
                tracing::error!(error = %e, "export failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Ekspor gagal / Export failed".to_owned())
            }
            AppError::Unavailable(m) => {
                tracing::error!(reason = %m, "dashboard feature unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, m.clone())
            }
            AppError::Storage(e) => {
                tracing::error!(error = %e, "store error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Kesalahan server / Server error".to_owned())
            }
            AppError::Internal(e) => {
                tracing::error!(error = %e, "dashboard internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Kesalahan server / Server error".to_owned())
            }
            AppError::Models(e) => {
                tracing::error!(error = %e, "face models");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Model wajah tidak tersedia di server; hubungi teknisi / Face models unavailable on the server; call a technician".to_owned(),
                )
            }
        };
        let mut r = (code, Html(html::bare(Lang::Id, &msg, maud::html! {}))).into_response();
        if let Some(reason) = denied {
            r.extensions_mut().insert(Denied(reason));
        }
        r
    }
}

/// The signed-in user of a request, with the session's CSRF token and the chosen language.
pub struct Session {
    /// The user.
    pub user: User,
    /// CSRF token of the session.
    pub csrf: String,
    /// Language.
    pub lang: Lang,
}

impl Session {
    /// Refuses unless the user's role may use `page`.
    pub fn require(&self, page: Page) -> Result<(), AppError> {
        if auth::allowed(self.user.role, page) {
            Ok(())
        } else if self.user.role == Role::Employee {
            // To an employee the staff pages do not exist: nothing tells them whose are there.
            Err(AppError::NotFound)
        } else {
            Err(AppError::Forbidden(format!("role {} may not use {page:?}", self.user.role.as_str())))
        }
    }

    /// Refuses unless `token` is this session's CSRF token.
    pub fn check_csrf(&self, token: Option<&String>) -> Result<(), AppError> {
        match token {
            Some(t) if auth::constant_time_eq(t, &self.csrf) => Ok(()),
            _ => Err(AppError::Csrf),
        }
    }
}

/// The language chosen by cookie.
pub fn lang_of(parts: &Parts) -> Lang {
    parts
        .headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| auth::cookie(c, "hadir_lang"))
        .map(Lang::parse)
        .unwrap_or_default()
}

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hadir_session";

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = lang_of(parts);
        let token = parts
            .headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| auth::cookie(c, SESSION_COOKIE))
            .map(str::to_owned);
        state.warm_reports();
        let Some(token) = token else { return Err(Redirect::to("/login").into_response()) };
        match state.store.session(&auth::token_hash(&token), (state.clock)()).await {
            Ok(Some((user, csrf))) => {
                let path = parts.uri.path();
                let reading = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD);
                let own = auth::OWN_ACCOUNT_POSTS.contains(&path);
                // A password someone else chose opens only the form that replaces it.
                if user.temporary_until_ms.is_some() && !own && path != "/account" && !path.starts_with("/assets/") {
                    return Err(Redirect::to("/account").into_response());
                }
                // Read-only accounts: refused here, whatever a handler would allow.
                if auth::read_only(user.role) && !reading && !auth::read_only_may_post(user.role, path) {
                    return Err(AppError::Forbidden(format!("{} {path}: role {} is read-only", parts.method, user.role.as_str())).into_response());
                }
                Ok(Session { user, csrf, lang })
            }
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(AppError::Storage(e).into_response()),
        }
    }
}

/// How long a new late-board link is valid by default, days (a TV runs for a year; a leaked
/// link should not).
pub const BOARD_LINK_DAYS: i64 = 365;

/// The dashboard's routes, with state applied.
pub fn router(state: AppState) -> Router {
    // Checked when read from the configuration; a policy that is not a header value falls
    // back to the strict one (no tiles).
    let csp = axum::http::HeaderValue::from_str(&webmap::csp(state.config.map.tiles.as_deref()))
        .unwrap_or(axum::http::HeaderValue::from_static(headers::CSP));
    Router::new()
        .route("/", get(|s: Session| async move { Redirect::to(auth::home(&s.user)) }))
        .route("/me", get(own_pages::own_month))
        .route(
            "/me/leave",
            post(own_pages::file_own_leave).layer(DefaultBodyLimit::max(crate::storage::leave::MAX_ATTACHMENT_BYTES + (64 << 10))),
        )
        .route("/me/leave/{id}/attachment", get(own_pages::own_attachment))
        .route("/assets/hadir.css", get(assets::css))
        .route("/assets/board.css", get(assets::board_css))
        .route("/assets/hadir.js", get(assets::script))
        .route("/assets/leaflet.js", get(webmap::library_js))
        .route("/assets/leaflet.css", get(webmap::library_css))
        .route("/assets/hadir-map.js", get(webmap::script))
        .route("/login", get(login_pages::login_form).post(login_pages::login))
        .route("/logout", post(login_pages::logout))
        .route("/lang/{code}", get(login_pages::set_lang))
        .route("/today", get(today_pages::today))
        .route("/employees", get(employee_pages::employees))
        .route("/employees/section", post(employee_pages::assign_section))
        .route(
            "/employees/import",
            get(people_pages::import_page)
                .post(people_pages::import_preview)
                .layer(DefaultBodyLimit::max(people_pages::MAX_IMPORT_BODY)),
        )
        .route("/employees/import/confirm", post(people_pages::import_confirm))
        .route("/employees/new", get(employee_pages::new_form))
        .route("/employees/save", post(employee_pages::save))
        .route("/employees/{id}/edit", get(employee_pages::edit_form))
        .route("/employees/export.{fmt}", get(people_pages::export))
        .route("/employees/{id}/deactivate", post(people_pages::deactivate))
        .route("/employees/{id}/erase", post(people_pages::erase))
        .route("/employees/{id}", get(roster_pages::employee))
        .route(
            "/employees/{id}/enrol",
            post(roster_pages::enrol_photos).layer(DefaultBodyLimit::max(enrol::MAX_PHOTOS * enrol::MAX_PHOTO_BYTES + (1 << 20))),
        )
        .route("/employees/{id}/pin", post(roster_pages::reset_pin))
        .route("/employees/{id}/terminal-user", post(roster_pages::set_terminal_user))
        .route("/employees/{id}/templates/{template_id}/remove", post(roster_pages::remove_template))
        .route("/audit", get(audit_pages::audit))
        .route("/records", get(record_pages::records))
        .route("/records/{id}", get(record_pages::record_page))
        .route("/records/{id}/photo", get(record_pages::record_photo))
        .route("/field", get(field_pages::field_day))
        .route("/confirmations", get(record_pages::confirmations))
        .route("/confirmations/{id}", post(record_pages::decide))
        .route("/confirmations/{id}/reverse", post(record_pages::reverse_decision))
        .route("/corrections", get(record_pages::corrections).post(record_pages::add_correction))
        .route(
            "/leave",
            get(leave_pages::leave).post(leave_pages::file_leave).layer(DefaultBodyLimit::max(crate::storage::leave::MAX_ATTACHMENT_BYTES + (64 << 10))),
        )
        .route("/leave/{id}/decide", post(leave_pages::decide_leave))
        .route("/leave/{id}/attachment", get(leave_pages::attachment))
        .route("/devices", get(device_pages::devices))
        .route("/devices/{id}/revoke", post(device_pages::revoke_device))
        .route("/devices/{id}/release", post(device_pages::release_device))
        .route("/devices/terminals/status-rule", post(terminal_pages::set_status_rule))
        .route("/devices/terminals/{serial}/approve", post(terminal_pages::approve))
        .route("/devices/terminals/{serial}/revoke", post(terminal_pages::revoke))
        .route("/devices/terminals/{serial}/set-time", post(terminal_pages::set_time))
        .route("/devices/terminals/{serial}/reboot", post(terminal_pages::reboot))
        .route("/account", get(account_pages::account))
        .route("/account/password", post(account_pages::change_password))
        .route("/account/sessions/end", post(account_pages::end_sessions))
        .route("/account/totp", post(account_pages::set_second_factor))
        .route("/settings", get(settings_pages::settings))
        .route("/settings/rules", post(settings_pages::save_rules))
        .route("/settings/holiday", post(settings_pages::add_holiday))
        .route("/settings/holiday/{date}/remove", post(settings_pages::remove_holiday))
        .route("/settings/holidays/import", post(settings_pages::import_holidays))
        .route("/settings/section", post(schedule_pages::put_section))
        .route("/settings/section/period", post(schedule_pages::put_special_period))
        .route("/schedules", post(schedule_pages::add_employee_schedule))
        .route("/assignments", post(assignment_pages::add))
        .route("/assignments/{id}/remove", post(assignment_pages::remove))
        .route("/schedules/{id}/remove", post(schedule_pages::remove_employee_schedule))
        .route("/settings/site", post(site_pages::put_site))
        .route("/settings/site-area", post(settings_pages::put_site_area))
        .route("/settings/retention", post(settings_pages::put_retention))
        .route("/settings/letterhead", post(letterhead_pages::put_letterhead))
        .route("/settings/user", post(user_pages::add_user))
        .route("/settings/user/{id}/role", post(user_pages::set_role))
        .route("/settings/user/{id}/disable", post(user_pages::disable))
        .route("/settings/user/{id}/enable", post(user_pages::enable))
        .route("/settings/user/{id}/reset", post(user_pages::reset_password))
        .route("/employees/{id}/sign-in-code", post(user_pages::issue_code))
        .route("/settings/board", post(settings_pages::add_board_token))
        .route("/settings/board/{hash}/revoke", post(settings_pages::revoke_board_token))
        .route("/reports", get(report_pages::month_page))
        .route("/reports/close", post(report_pages::close_month))
        .route("/reports/month.{fmt}", get(report_pages::month_export))
        .route("/reports/employee", get(report_pages::employee_page))
        .route("/manual", post(manual_pages::add).layer(DefaultBodyLimit::max(crate::storage::leave::MAX_ATTACHMENT_BYTES + (64 << 10))))
        .route("/manual/{id}/attachment", get(manual_pages::attachment))
        .route("/manual/{id}/cancel", post(manual_pages::cancel))
        .route("/reports/employee.{fmt}", get(report_pages::employee_export))
        .route("/reports/date", get(report_pages::date_page))
        .route("/reports/date.{fmt}", get(report_pages::date_export))
        .route("/board/{token}", get(board::board_page))
        .route("/board/{token}/events", get(board::board_events))
        .layer(axum::middleware::from_fn_with_state(state.clone(), audit_pages::log_denied))
        .layer(axum::middleware::from_fn_with_state(state.clone(), first_start_gate))
        .layer(axum::middleware::from_fn_with_state(csp, headers::add))
        .layer(axum::middleware::from_fn(crate::log_request))
        .with_state(state)
}

/// Until the database has an administrator (a new server), every dashboard page says how to
/// make one instead of serving a dashboard nobody can manage; the device API is not behind it.
async fn first_start_gate(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use std::sync::atomic::Ordering;
    // The style sheet too, or the page that says what to do is unstyled.
    if !state.admin_seen.load(Ordering::Relaxed) && !req.uri().path().starts_with("/assets/") {
        match state.store.admin_names().await {
            Ok(names) if !names.is_empty() => state.admin_seen.store(true, Ordering::Relaxed),
            Ok(_) => {
                let (parts, _) = req.into_parts();
                let lang = lang_of(&parts);
                let other = match lang {
                    Lang::Id => Lang::En,
                    Lang::En => Lang::Id,
                };
                let body = maud::html! {
                    p { (lang.tr("This server has no administrator account yet. On the server, run:")) }
                    pre { "hadir-server init-admin --username admin" }
                    p { (lang.tr("It asks for a password (at least 12 characters). Then reload this page and sign in.")) }
                    // The same, in the other language, for a reader of that one (the catalogue's
                    // text marks the command up).
                    p lang=(other.code()) { small { (maud::PreEscaped(other.tr("This server has no administrator account yet: run <code>hadir-server init-admin</code> on the server."))) } }
                };
                let title = lang.tr("No administrator yet");
                return (StatusCode::SERVICE_UNAVAILABLE, Html(html::bare(lang, title, body))).into_response();
            }
            Err(e) => return AppError::Storage(e).into_response(),
        }
    }
    next.run(req).await
}

/// Starts the late boards' watcher once (polls the records table for new rows).
pub(crate) fn ensure_watcher(state: &AppState) {
    state.watcher.call_once(|| {
        let st = Arc::clone(state);
        tokio::spawn(async move {
            // What the boards show changes with a new record and, on the admin view, with a
            // device's tamper event.
            let seen = |st: Arc<Dashboard>| async move {
                Ok::<_, StorageError>((st.store.max_record_id().await?, st.store.device_event_count().await?))
            };
            let mut last = seen(st.clone()).await.unwrap_or_default();
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(st.config.board_poll_ms));
            loop {
                tick.tick().await;
                match seen(st.clone()).await {
                    Ok(now) if now != last => {
                        last = now;
                        st.records_arrived();
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "late board watcher"),
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_behind_a_trusted_proxy_is_the_address_it_appended() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let table: toml::Table = toml::from_str(r#"trusted_proxies = ["10.0.0.2"]"#).unwrap();
        let cfg = DashboardConfig::from_table(&table).unwrap();
        assert_eq!(cfg.trusted_proxies, [proxy]);
        let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
        let cases = [
            // (peer, X-Forwarded-For, counted as)
            ("10.0.0.2", Some("203.0.113.7"), "203.0.113.7"),
            ("10.0.0.2", Some("1.2.3.4, 203.0.113.7"), "203.0.113.7"),
            ("10.0.0.2", Some("not an address"), "10.0.0.2"),
            ("10.0.0.2", None, "10.0.0.2"),
            ("198.51.100.9", Some("1.2.3.4"), "198.51.100.9"),
        ];
        for (peer, header, want) in cases {
            assert_eq!(cfg.client_address(ip(peer), header), ip(want), "{peer} {header:?}");
        }
        let bad: toml::Table = toml::from_str(r#"trusted_proxies = ["proxy.local"]"#).unwrap();
        assert!(DashboardConfig::from_table(&bad).unwrap_err().contains("trusted_proxies"));
    }
}
