//! The ZKTeco terminals on the devices page: each terminal's state, site, last contact, stamps,
//! records, held uploads and its command queue with results; administrators approve a pending
//! terminal for a site, revoke one, set its clock or reboot it, and set what the status codes
//! besides IN and OUT count as (each audited).
//!
//! It owns this section's HTML and its four form handlers; what approving or a command does is
//! [`crate::terminals`] (the same functions as `hadir-server zk …`), and the tables are the
//! store's [`crate::storage::terminals`].

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use time::OffsetDateTime;

use super::forms::{CsrfOnly, trimmed};
use super::html::csrf_input;
use super::i18n::{Lang, tr};
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use super::auth::Page;
use crate::storage::accounts::Role;
use crate::storage::dt_to_ms;
use crate::storage::terminals::{TerminalCommand, TerminalState};
use crate::terminals::{self, TerminalError};
use hadir_zkteco::{Direction as ZkDirection, StatusRule};
use std::collections::HashMap;

fn state_label(lang: Lang, s: TerminalState) -> Markup {
    match s {
        TerminalState::Pending => html! { span.warn { (lang.tr("Awaiting approval")) } },
        TerminalState::Approved => html! { span.ok { (lang.tr("Approved")) } },
        TerminalState::Revoked => html! { span.bad { (lang.tr("Revoked")) } },
    }
}

fn command_state(lang: Lang, c: &TerminalCommand) -> Markup {
    match (c.state.as_str(), c.return_code) {
        ("queued", _) => html! { (lang.tr("queued")) },
        ("sent", _) => html! { (lang.tr("sent, awaiting result")) },
        (_, Some(code)) if code >= 0 => html! { span.ok { (lang.tr("done")) } },
        (_, code) => html! { span.bad { (lang.tr("failed")) " (" (code.map_or_else(|| "-".into(), |c| c.to_string())) ")" } },
    }
}

/// The buttons of one terminal's row (administrators).
fn actions(lang: Lang, csrf: &str, t: &crate::storage::terminals::Terminal, sites: &[String]) -> Markup {
    let sn = &t.serial;
    html! {
        @if t.state != TerminalState::Approved {
            form method="post" action=(format!("/devices/terminals/{sn}/approve")) class="inline" {
                (csrf_input(csrf))
                select name="site" aria-label=(lang.tr("Site")) { @for site in sites { option value=(site) { (site) } } }
                button.confirm { (lang.tr("Approve")) }
            }
        } @else {
            @for (what, label) in [("set-time", lang.tr("Set clock")), ("reboot", lang.tr("Reboot"))] {
                form method="post" action=(format!("/devices/terminals/{sn}/{what}")) class="inline" {
                    (csrf_input(csrf))
                    button { (label) }
                }
            }
        }
        @if t.state != TerminalState::Revoked {
            form method="post" action=(format!("/devices/terminals/{sn}/revoke")) class="inline" data-confirm=(lang.tr("Revoke this terminal?")) {
                (csrf_input(csrf))
                button.reject { (lang.tr("Revoke")) }
            }
        }
    }
}

/// The terminals' section of the devices page. `csrf` is given for administrators (buttons).
pub async fn section(st: &AppState, lang: Lang, csrf: Option<&str>, fmt: &(dyn Fn(Option<OffsetDateTime>) -> String + Sync)) -> Result<Markup, AppError> {
    let list = st.store.terminals().await?;
    let sites = st.store.sites().await?;
    let rule = match csrf {
        Some(_) if !list.is_empty() => Some(st.store.terminal_status_rule().await?),
        _ => None,
    };
    let commands = if list.is_empty() { Vec::new() } else { st.store.terminal_commands(None, 30).await? };
    let section = html! {
        section.card id="terminals" {
            h2 { (lang.tr("ZKTeco terminals")) }
            p.muted { (lang.tr("Terminal records are not signed and carry no face score or photo; they are marked \"Terminal\" in the recaps. A new terminal awaits approval: its uploads are kept, not counted.")) }
            @if list.is_empty() {
                p.muted { (lang.tr("No terminal has connected yet.")) }
            } @else {
                div.scroll { table id="terminal-list" {
                    thead { tr {
                        th { (lang.tr("Serial number")) } th { (lang.tr("State")) } th { (lang.tr("Site")) } th { (lang.tr("Last contact")) }
                        th { (lang.tr("ATTLOG / OPERLOG stamps")) } th { (lang.tr("Records")) } th { (lang.tr("Held uploads")) } th { (lang.tr("Queued commands")) } th {}
                    } }
                    tbody {
                        @for t in &list {
                            tr data-terminal=(t.serial) {
                                td { (t.serial) }
                                td { (state_label(lang, t.state)) }
                                td { (t.site_id.as_deref().unwrap_or("-")) }
                                td { (fmt(t.last_seen)) }
                                td { (t.attlog_stamp) " / " (t.operlog_stamp) }
                                td { (t.records) }
                                td { (t.held_uploads) }
                                td { (t.open_commands) }
                                td { @if let Some(c) = csrf { (actions(lang, c, t, &sites)) } }
                            }
                        }
                    }
                } }
                @if let (Some(c), Some(rule)) = (csrf, &rule) { (status_rule_form(lang, c, rule)) }
                @if !commands.is_empty() {
                    h3 { (lang.tr("Commands to terminals (newest first)")) }
                    div.scroll { table id="terminal-commands" {
                        thead { tr { th { (lang.tr("Serial number")) } th { (lang.tr("Queued")) } th { (lang.tr("Command")) } th { (lang.tr("State")) } th { (lang.tr("Result")) } } }
                        tbody {
                            @for c in &commands {
                                tr data-command=(c.id) {
                                    td { (c.serial) }
                                    td { (fmt(c.queued_at)) }
                                    td { code { (c.command.replace('\t', " ")) } }
                                    td { (command_state(lang, c)) }
                                    td { (c.result.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    };
    Ok(section)
}

/// The status codes a terminal sends besides IN (0, 4) and OUT (1, 5), which an
/// administrator may count as IN or OUT: 2/3 break out/in, 255 "no state" (terminals without
/// state keys).
const RULED_CODES: [u32; 3] = [2, 3, 255];

/// The form that sets what the other status codes count as.
fn status_rule_form(lang: Lang, csrf: &str, rule: &StatusRule) -> Markup {
    html! {
        h3 { (lang.tr("What terminals' status codes count as")) }
        p.muted { (lang.tr("Codes 0 and 4 are always in, 1 and 5 always out. Other codes are kept as sent and not counted unless set here (e.g. 255 = in on terminals without state keys). Applies to records arriving afterwards.")) }
        form method="post" action="/devices/terminals/status-rule" class="inline" id="status-rule" {
            (csrf_input(csrf))
            @for code in RULED_CODES {
                @let now = rule.overrides().get(&code).copied();
                label {
                    (lang.tr("Code")) " " (code)
                    select name=(format!("code_{code}")) {
                        option value="" selected[now.is_none()] { (lang.tr("not counted")) }
                        option value="in" selected[now == Some(ZkDirection::In)] { (lang.tr("in")) }
                        option value="out" selected[now == Some(ZkDirection::Out)] { (lang.tr("out")) }
                    }
                }
            }
            button { (lang.tr("Save")) }
        }
    }
}

/// The form of `POST /devices/terminals/status-rule`: `code_N` for each of [`RULED_CODES`]
/// ("", "in" or "out").
#[derive(Debug, Deserialize)]
pub struct StatusRuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    codes: HashMap<String, String>,
}

/// The form that approves a terminal: for which site.
#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    site: String,
}

/// `POST /devices/terminals/status-rule` (administrators; audited).
pub async fn set_status_rule(State(st): State<AppState>, s: Session, Form(f): Form<StatusRuleForm>) -> Result<Response, AppError> {
    admin_form(&s, &f.csrf)?;
    let mut rule = StatusRule::standard();
    for code in RULED_CODES {
        match f.codes.get(&format!("code_{code}")).map_or("", |v| v.trim()) {
            "" => {}
            "in" => rule = rule.with(code, ZkDirection::In),
            "out" => rule = rule.with(code, ZkDirection::Out),
            _ => return Err(AppError::BadRequest(format!("code_{code}"))),
        }
    }
    st.store.set_terminal_status_rule(&rule, &s.user.username, dt_to_ms((st.clock)())).await?;
    Ok(redirect_ok("/devices", s.lang.tr("Status codes saved")))
}

fn admin_form(s: &Session, csrf: &String) -> Result<(), AppError> {
    s.require(Page::Devices)?;
    s.check_csrf(Some(csrf))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("terminals: administrators only".into()));
    }
    Ok(())
}

fn terminal_error(lang: Lang, e: TerminalError) -> Result<Response, AppError> {
    match e {
        TerminalError::Storage(e) => Err(AppError::Storage(e)),
        TerminalError::UnknownTerminal(_) => Err(AppError::NotFound),
        TerminalError::UnknownSite(site, _) => Ok(redirect_err("/devices", &format!("{} {site}", lang.tr("Unknown site:")))),
        TerminalError::Answer(e) => Ok(redirect_err("/devices", &e.to_string())),
    }
}

/// Approves a terminal for the chosen site: its held uploads become records.
pub async fn approve(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<ApproveForm>) -> Result<Response, AppError> {
    admin_form(&s, &f.csrf)?;
    let site = f.site;
    let now = (st.clock)();
    match terminals::approve(&st.store, &serial, &site, &st.zones().await?, &hadir_zkteco::Limits::default(), dt_to_ms(now)).await {
        Ok(a) => {
            st.store.audit(&s.user.username, "approve_terminal", &format!("{serial} site {site}"), now).await?;
            let _ = st.board_tx.send(());
            let msg = tr!(s.lang, "Terminal approved: {records} records, {updated} users sent", records = a.records, updated = a.roster.updated);
            Ok(redirect_ok("/devices", &msg))
        }
        Err(e) => terminal_error(s.lang, e),
    }
}

/// Revokes a terminal.
pub async fn revoke(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    admin_form(&s, &f.csrf)?;
    let now = (st.clock)();
    match terminals::revoke(&st.store, &serial, dt_to_ms(now)).await {
        Ok(true) => {
            st.store.audit(&s.user.username, "revoke_terminal", &serial, now).await?;
            Ok(redirect_ok("/devices", s.lang.tr("Terminal revoked")))
        }
        Ok(false) => Err(AppError::NotFound),
        Err(e) => terminal_error(s.lang, e),
    }
}

/// Queues setting a terminal's clock.
pub async fn set_time(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    admin_form(&s, &f.csrf)?;
    let now = (st.clock)();
    match terminals::queue_set_time(&st.store, &serial, &st.zones().await?, dt_to_ms(now)).await {
        Ok(()) => {
            st.store.audit(&s.user.username, "terminal_set_time", &serial, now).await?;
            Ok(redirect_ok("/devices", s.lang.tr("Clock setting queued")))
        }
        Err(e) => terminal_error(s.lang, e),
    }
}

/// Queues a reboot.
pub async fn reboot(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    admin_form(&s, &f.csrf)?;
    let now = (st.clock)();
    match terminals::queue_reboot(&st.store, &serial, dt_to_ms(now)).await {
        Ok(()) => {
            st.store.audit(&s.user.username, "terminal_reboot", &serial, now).await?;
            Ok(redirect_ok("/devices", s.lang.tr("Reboot queued")))
        }
        Err(e) => terminal_error(s.lang, e),
    }
}
