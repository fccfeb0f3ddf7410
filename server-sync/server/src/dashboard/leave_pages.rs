//! Leave requests on the dashboard: an operator or administrator files cuti, sakit, izin or
//! dinas luar for an employee, with a letter attached; the employee's supervisor (or an
//! administrator) approves or refuses it with a reason; every step is audited and the list
//! shows each request's state. What a valid request is and what approval does belong to
//! [`crate::storage::leave`]; this module reads forms and writes pages.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::auth::{Page, scope};
use super::forms::trimmed;
use super::html::{csrf_input, page};
use super::i18n::Lang;
use super::pages::{Flash, flash, redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::accounts::Role;
use crate::storage::calendar::{date_str, parse_date};
use crate::storage::leave::{Attachment, LeaveState, check_request};
use hadir_rules::Excused;

type Fields = HashMap<String, String>;

pub(super) fn kind_label(lang: Lang, k: Excused) -> &'static str {
    match k {
        Excused::Cuti => lang.tr("Annual leave"),
        Excused::Sakit => lang.tr("Sick"),
        Excused::Izin => lang.tr("Permitted absence"),
        Excused::DinasLuar => lang.tr("Official travel"),
    }
}

fn may_file(s: &Session) -> bool {
    matches!(s.user.role, Role::Admin | Role::Operator)
}

fn may_decide(s: &Session) -> bool {
    matches!(s.user.role, Role::Admin | Role::Supervisor)
}

/// The employee's section, when the user may see the employee (else not found: do not confirm
/// that someone exists).
pub(crate) async fn employee_in_scope(st: &AppState, s: &Session, employee_id: &str) -> Result<crate::storage::employees::Employee, AppError> {
    let e = st.store.employees().await?.into_iter().find(|e| e.id == employee_id).ok_or(AppError::NotFound)?;
    if !scope(&s.user).includes(e.section.as_deref()) {
        return Err(AppError::NotFound);
    }
    Ok(e)
}

/// The requests the user may see, newest first, with the filing form and the decision forms.
pub async fn leave(State(st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Leave)?;
    let lang = s.lang;
    let sc = scope(&s.user);
    let employees: HashMap<String, crate::storage::employees::Employee> =
        st.store.employees().await?.into_iter().filter(|e| sc.includes(e.section.as_deref())).map(|e| (e.id.clone(), e)).collect();
    let requests: Vec<_> = st.store.leave_requests(500).await?.into_iter().filter_map(|r| Some((employees.get(&r.employee_id)?, r))).collect();
    let body = html! {
        (flash(&q))
        @if may_file(&s) {
            (filing_form(lang, &s.csrf, "/leave", html! { label { "NIP" input name="employee" required maxlength="32"; } }))
        }
        div.card.scroll { table id="leave" {
            thead { tr { th { (lang.tr("Employee")) } th { (lang.tr("Kind")) } th { (lang.tr("Dates")) } th { (lang.tr("Reason")) } th { (lang.tr("State")) } th {} } }
            tbody {
                @for (e, req) in &requests {
                    tr data-leave=(req.id) {
                        td { (e.name) br; span.muted { (e.id) } }
                        td { (kind_label(lang, req.kind)) }
                        td { (date_str(req.from)) " – " (date_str(req.to)) }
                        td {
                            (req.reason)
                            @if let Some(name) = &req.attachment_name { br; a href=(format!("/leave/{}/attachment", req.id)) { (name) } }
                        }
                        td.state { (state_html(lang, req)) }
                        td { @if req.state == LeaveState::Pending && may_decide(&s) {
                            form method="post" action=(format!("/leave/{}/decide", req.id)) class="inline" {
                                (csrf_input(&s.csrf))
                                input name="reason" maxlength="500" placeholder=(lang.tr("Reason (required to refuse)"));
                                button name="action" value="approve" { (lang.tr("Approve")) }
                                button name="action" value="refuse" class="reject" { (lang.tr("Refuse")) }
                            }
                        } }
                    }
                }
            }
        } }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Leave, lang.tr_in("leave and permits", "Leave"), body)))
}

/// The form that files a request at `action`; `who` is the employee field, when the form
/// must name one.
pub(super) fn filing_form(lang: Lang, csrf: &str, action: &str, who: Markup) -> Markup {
    html! {
        form method="post" action=(action) enctype="multipart/form-data" class="inline card" id="file-leave" {
            (csrf_input(csrf))
            (who)
            label { (lang.tr("Kind")) select name="kind" { @for k in Excused::ALL.iter() { option value=(k.as_str()) { (kind_label(lang, *k)) } } } }
            label { (lang.tr("From")) input type="date" name="from" required; }
            label { (lang.tr("To")) input type="date" name="to" required; }
            label { (lang.tr("Reason")) input name="reason" required maxlength="500"; }
            label { (lang.tr("Attachment (PDF/JPEG/PNG, at most 2 MB)")) input type="file" name="attachment" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"; }
            button { (lang.tr_in("verb", "File")) }
        }
    }
}

/// A request's state as a table cell shows it (with who decided and why).
pub(super) fn state_html(lang: Lang, req: &crate::storage::leave::LeaveRequest) -> Markup {
    match (&req.state, &req.decided) {
        (LeaveState::Pending, _) => html! { span.pending { (lang.tr("Awaiting approval")) } },
        (LeaveState::Approved, Some((by, _, why))) => html! { span.ok { (lang.tr("Approved")) } " (" (by) ": " (why) ")" },
        (LeaveState::Refused, Some((by, _, why))) => html! { span.bad { (lang.tr("Refused")) } " (" (by) ": " (why) ")" },
        (_, None) => html! {},
    }
}

/// The fields of a leave request (multipart, beside its `attachment`); `employee` only on
/// the leave page, where an operator files for someone.
#[derive(Debug, Deserialize)]
pub struct LeaveForm {
    /// The session's token.
    #[serde(default)]
    pub csrf: String,
    /// The employee's id (the leave page's form; an employee's own form has none).
    #[serde(default, deserialize_with = "trimmed")]
    pub employee: String,
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "trimmed")]
    from: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// Checks and files a request for `employee_id` (audited as `leave_filed`); the message to
/// show, or why nothing was written.
pub(super) async fn file_checked(
    st: &AppState,
    s: &Session,
    employee_id: &str,
    fields: &LeaveForm,
    attachment: Option<&Attachment>,
) -> Result<Result<&'static str, String>, AppError> {
    let lang = s.lang;
    let Some(kind) = Excused::parse(&fields.kind) else { return Ok(Err("kind".into())) };
    let (Some(from), Some(to)) = (parse_date(&fields.from), parse_date(&fields.to)) else {
        return Ok(Err(lang.tr("from/to: not a date").into()));
    };
    let reason = fields.reason.as_str();
    let media = match check_request(from, to, reason, attachment) {
        Ok(m) => m,
        Err(problem) => return Ok(Err(problem.to_string())),
    };
    let now = (st.clock)();
    let id = st.store.file_leave(employee_id, kind, from, to, reason, attachment.zip(media), &s.user.username, now).await?;
    st.store
        .audit(&s.user.username, "leave_filed", &format!("request {id}: {employee_id} {} {}..{}: {reason}", kind.as_str(), date_str(from), date_str(to)), now)
        .await?;
    Ok(Ok(lang.tr("Request filed; awaiting the supervisor's approval")))
}

/// Reads a form with an optional file part named `attachment` (a leave request's letter, a
/// manual entry's) into the typed form `T` and the file.
pub(crate) async fn form_with_attachment<T: DeserializeOwned>(lang: Lang, mut form: Multipart) -> Result<(T, Option<Attachment>), AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        tracing::info!(error = %e, "upload with an attachment not readable");
        AppError::BadRequest(lang.tr("The upload could not be read (cut off or too large).").into())
    };
    let mut fields = Fields::new();
    let mut attachment = None;
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or("").chars().filter(|c| !c.is_control()).take(80).collect::<String>();
            let bytes = field.bytes().await.map_err(unreadable)?;
            // A file input left empty still sends one nameless, empty part.
            if !(bytes.is_empty() && file_name.is_empty()) {
                attachment = Some(Attachment { name: if file_name.is_empty() { "lampiran".into() } else { file_name }, bytes: bytes.to_vec() });
            }
        } else {
            fields.insert(name, field.text().await.map_err(unreadable)?);
        }
    }
    let typed = T::deserialize(serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(fields.into_iter()))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok((typed, attachment))
}

/// A stored attachment as a download: its media type as read from its content at upload,
/// never sniffed, never cached.
pub(crate) fn attachment_response(media: String, name: &str, bytes: Vec<u8>) -> Response {
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    (
        [
            (header::CONTENT_TYPE, media),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", if name.is_empty() { "lampiran".into() } else { name })),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// Files a request (multipart: `csrf`, `employee`, `kind`, `from`, `to`, `reason`,
/// `attachment`); a bad field is named and nothing is written.
pub async fn file_leave(State(st): State<AppState>, s: Session, form: Multipart) -> Result<Response, AppError> {
    s.require(Page::Leave)?;
    let lang = s.lang;
    let (fields, attachment): (LeaveForm, _) = form_with_attachment(lang, form).await?;
    s.check_csrf(Some(&fields.csrf))?;
    if !may_file(&s) {
        return Err(AppError::Forbidden("file_leave: operators and administrators".into()));
    }
    let e = employee_in_scope(&st, &s, &fields.employee).await?;
    Ok(match file_checked(&st, &s, &e.id, &fields, attachment.as_ref()).await? {
        Ok(msg) => redirect_ok("/leave", msg),
        Err(why) => redirect_err("/leave", &why),
    })
}

/// The form of a decision on a request: approve or refuse, with a reason.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// Approves or refuses a pending request (the employee's supervisor or an administrator).
pub async fn decide_leave(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<DecisionForm>) -> Result<Response, AppError> {
    s.require(Page::Leave)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    if !may_decide(&s) {
        return Err(AppError::Forbidden("decide_leave: supervisors and administrators".into()));
    }
    let req = st.store.leave_request(id).await?.ok_or(AppError::NotFound)?;
    employee_in_scope(&st, &s, &req.employee_id).await?;
    let approve = match f.action.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(AppError::BadRequest("action".into())),
    };
    let reason = f.reason.as_str();
    if !approve && reason.is_empty() {
        return Ok(redirect_err("/leave", lang.tr("A reason is required to refuse.")));
    }
    let reason = if reason.is_empty() { lang.tr("Approved") } else { reason };
    let now = (st.clock)();
    if !st.store.decide_leave(id, approve, reason, &s.user.username, now).await? {
        return Ok(redirect_err("/leave", lang.tr("This request was decided already.")));
    }
    st.store.audit(&s.user.username, if approve { "leave_approved" } else { "leave_refused" }, &format!("request {id} ({}): {reason}", req.employee_id), now).await?;
    if approve {
        let mut d = req.from;
        loop {
            st.store.note_closed_change(&req.employee_id, d, &format!("leave request {id} approved"), reason, &s.user.username, now).await?;
            match d.next_day() {
                Some(next) if next <= req.to => d = next,
                _ => break,
            }
        }
        st.records_arrived();
    }
    Ok(redirect_ok("/leave", if approve { lang.tr("Request approved") } else { lang.tr("Request refused") }))
}

/// A request's attachment, as stored (its type read from its content at filing).
pub async fn attachment(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Response, AppError> {
    s.require(Page::Leave)?;
    let req = st.store.leave_request(id).await?.ok_or(AppError::NotFound)?;
    employee_in_scope(&st, &s, &req.employee_id).await?;
    let (media, bytes) = st.store.leave_attachment(id).await?.ok_or(AppError::NotFound)?;
    Ok(attachment_response(media, &req.attachment_name.unwrap_or_default(), bytes))
}
