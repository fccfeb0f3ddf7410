//! The ZKTeco terminals on the devices page: each terminal's state, site, last contact, stamps,
//! records, held uploads and its command queue with results; administrators approve a pending
//! terminal for a site, revoke one, set its clock or reboot it, and set what the status codes
//! besides IN and OUT count as (each audited).
//!
//! It owns this section's HTML and its four form handlers; what approving or a command does is
//! [`crate::terminals`] (the same functions as `hadir-server zk …`), and the tables are the
//! store's [`crate::storage::terminals`].

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use time::OffsetDateTime;

use super::html::{csrf_field, esc};
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

type Fields = HashMap<String, String>;

fn state_label(lang: Lang, s: TerminalState) -> String {
    match s {
        TerminalState::Pending => format!(r#"<span class="warn">{}</span>"#, lang.tr("Awaiting approval")),
        TerminalState::Approved => format!(r#"<span class="ok">{}</span>"#, lang.tr("Approved")),
        TerminalState::Revoked => format!(r#"<span class="bad">{}</span>"#, lang.tr("Revoked")),
    }
}

fn command_state(lang: Lang, c: &TerminalCommand) -> String {
    match (c.state.as_str(), c.return_code) {
        ("queued", _) => lang.tr("queued").to_owned(),
        ("sent", _) => lang.tr("sent, awaiting result").to_owned(),
        (_, Some(code)) if code >= 0 => format!(r#"<span class="ok">{}</span>"#, lang.tr("done")),
        (_, code) => format!(r#"<span class="bad">{} ({})</span>"#, lang.tr("failed"), code.map_or_else(|| "-".into(), |c| c.to_string())),
    }
}

/// The terminals' section of the devices page. `csrf` is given for administrators (buttons).
pub async fn section(st: &AppState, lang: Lang, csrf: Option<&str>, fmt: &(dyn Fn(Option<OffsetDateTime>) -> String + Sync)) -> Result<String, AppError> {
    let list = st.store.terminals().await?;
    let sites = st.store.sites().await?;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<section class="card" id="terminals"><h2>{t}</h2><p class="muted">{p}</p>"#,
        t = lang.tr("ZKTeco terminals"),
        p = lang.tr("Terminal records are not signed and carry no face score or photo; they are marked \"Terminal\" in the recaps. A new terminal awaits approval: its uploads are kept, not counted."),
    );
    if list.is_empty() {
        let _ = write!(out, r#"<p class="muted">{}</p></section>"#, lang.tr("No terminal has connected yet."));
        return Ok(out);
    }
    let _ = write!(
        out,
        r#"<div class="scroll"><table id="terminal-list"><thead><tr><th>{sn}</th><th>{state}</th><th>{site}</th><th>{seen}</th><th>{stamps}</th><th>{recs}</th><th>{held}</th><th>{cmds}</th><th></th></tr></thead><tbody>"#,
        sn = lang.tr("Serial number"),
        state = lang.tr("State"),
        site = lang.tr("Site"),
        seen = lang.tr("Last contact"),
        stamps = lang.tr("ATTLOG / OPERLOG stamps"),
        recs = lang.tr("Records"),
        held = lang.tr("Held uploads"),
        cmds = lang.tr("Queued commands"),
    );
    for t in &list {
        let mut actions = String::new();
        if let Some(csrf) = csrf {
            let sn = esc(&t.serial);
            if t.state != TerminalState::Approved {
                let options: String = sites.iter().map(|s| format!(r#"<option value="{s}">{s}</option>"#, s = esc(s))).collect();
                let _ = write!(
                    actions,
                    r#"<form method="post" action="/devices/terminals/{sn}/approve" class="inline">{c}<select name="site" aria-label="{sl}">{options}</select><button class="confirm">{l}</button></form>"#,
                    c = csrf_field(csrf),
                    sl = lang.tr("Site"),
                    l = lang.tr("Approve"),
                );
            }
            if t.state == TerminalState::Approved {
                for (what, label) in [("set-time", lang.tr("Set clock")), ("reboot", lang.tr("Reboot"))] {
                    let _ = write!(actions, r#"<form method="post" action="/devices/terminals/{sn}/{what}" class="inline">{c}<button>{label}</button></form>"#, c = csrf_field(csrf));
                }
            }
            if t.state != TerminalState::Revoked {
                let _ = write!(
                    actions,
                    r#"<form method="post" action="/devices/terminals/{sn}/revoke" class="inline" data-confirm="{q}">{c}<button class="reject">{l}</button></form>"#,
                    q = lang.tr("Revoke this terminal?"),
                    c = csrf_field(csrf),
                    l = lang.tr("Revoke"),
                );
            }
        }
        let _ = write!(
            out,
            r#"<tr data-terminal="{sn}"><td>{sn}</td><td>{state}</td><td>{site}</td><td>{seen}</td><td>{a} / {o}</td><td>{recs}</td><td>{held}</td><td>{cmds}</td><td>{actions}</td></tr>"#,
            sn = esc(&t.serial),
            state = state_label(lang, t.state),
            site = esc(t.site_id.as_deref().unwrap_or("-")),
            seen = fmt(t.last_seen),
            a = t.attlog_stamp,
            o = t.operlog_stamp,
            recs = t.records,
            held = t.held_uploads,
            cmds = t.open_commands,
        );
    }
    out.push_str("</tbody></table></div>");
    if let Some(c) = csrf {
        out.push_str(&status_rule_form(lang, c, &st.store.terminal_status_rule().await?));
    }
    let commands = st.store.terminal_commands(None, 30).await?;
    if !commands.is_empty() {
        let _ = write!(
            out,
            r#"<h3>{t}</h3><div class="scroll"><table id="terminal-commands"><thead><tr><th>{sn}</th><th>{when}</th><th>{cmd}</th><th>{state}</th><th>{res}</th></tr></thead><tbody>"#,
            t = lang.tr("Commands to terminals (newest first)"),
            sn = lang.tr("Serial number"),
            when = lang.tr("Queued"),
            cmd = lang.tr("Command"),
            state = lang.tr("State"),
            res = lang.tr("Result"),
        );
        for c in &commands {
            let _ = write!(
                out,
                r#"<tr data-command="{id}"><td>{sn}</td><td>{when}</td><td><code>{cmd}</code></td><td>{state}</td><td>{res}</td></tr>"#,
                id = c.id,
                sn = esc(&c.serial),
                when = fmt(c.queued_at),
                cmd = esc(&c.command.replace('\t', " ")),
                state = command_state(lang, c),
                res = esc(c.result.as_deref().unwrap_or("")),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
    Ok(out)
}

/// The status codes a terminal sends besides IN (0, 4) and OUT (1, 5), which an
/// administrator may count as IN or OUT: 2/3 break out/in, 255 "no state" (terminals without
/// state keys).
const RULED_CODES: [u32; 3] = [2, 3, 255];

/// The form that sets what the other status codes count as.
fn status_rule_form(lang: Lang, csrf: &str, rule: &StatusRule) -> String {
    let mut selects = String::new();
    for code in RULED_CODES {
        let now = rule.overrides().get(&code).copied();
        let option = |value: &str, label: &str, on: bool| format!(r#"<option value="{value}"{}>{label}</option>"#, if on { " selected" } else { "" });
        let _ = write!(
            selects,
            r#"<label>{l} {code}<select name="code_{code}">{a}{b}{c}</select></label>"#,
            l = lang.tr("Code"),
            a = option("", lang.tr("not counted"), now.is_none()),
            b = option("in", lang.tr("in"), now == Some(ZkDirection::In)),
            c = option("out", lang.tr("out"), now == Some(ZkDirection::Out)),
        );
    }
    format!(
        r#"<h3>{t}</h3><p class="muted">{p}</p><form method="post" action="/devices/terminals/status-rule" class="inline" id="status-rule">{c}{selects}<button>{save}</button></form>"#,
        t = lang.tr("What terminals' status codes count as"),
        p = lang.tr("Codes 0 and 4 are always in, 1 and 5 always out. Other codes are kept as sent and not counted unless set here (e.g. 255 = in on terminals without state keys). Applies to records arriving afterwards."),
        c = csrf_field(csrf),
        save = lang.tr("Save"),
    )
}

/// `POST /devices/terminals/status-rule` (administrators; audited).
pub async fn set_status_rule(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    admin_form(&s, &f)?;
    let mut rule = StatusRule::standard();
    for code in RULED_CODES {
        match f.get(&format!("code_{code}")).map(String::as_str).unwrap_or("") {
            "" => {}
            "in" => rule = rule.with(code, ZkDirection::In),
            "out" => rule = rule.with(code, ZkDirection::Out),
            _ => return Err(AppError::BadRequest(format!("code_{code}"))),
        }
    }
    st.store.set_terminal_status_rule(&rule, &s.user.username, dt_to_ms((st.clock)())).await?;
    Ok(redirect_ok("/devices", s.lang.tr("Status codes saved")))
}

fn admin_form(s: &Session, f: &Fields) -> Result<(), AppError> {
    s.require(Page::Devices)?;
    s.check_csrf(f.get("csrf"))?;
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
pub async fn approve(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    admin_form(&s, &f)?;
    let site = f.get("site").map_or("", |v| v.trim()).to_owned();
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
pub async fn revoke(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    admin_form(&s, &f)?;
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
pub async fn set_time(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    admin_form(&s, &f)?;
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
pub async fn reboot(State(st): State<AppState>, s: Session, Path(serial): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    admin_form(&s, &f)?;
    let now = (st.clock)();
    match terminals::queue_reboot(&st.store, &serial, dt_to_ms(now)).await {
        Ok(()) => {
            st.store.audit(&s.user.username, "terminal_reboot", &serial, now).await?;
            Ok(redirect_ok("/devices", s.lang.tr("Reboot queued")))
        }
        Err(e) => terminal_error(s.lang, e),
    }
}
