//! A cookie-keeping client over the dashboard's router (no socket), with forms and uploads.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hadir_server::dashboard::router;
use tower::ServiceExt as _;

use super::Fixture;

/// The client: a router and the cookies it set.
pub struct Client {
    /// The router.
    pub app: axum::Router,
    /// Cookies set so far.
    pub cookies: Vec<(String, String)>,
}

/// A response, read whole.
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// `Location`, if any.
    pub location: Option<String>,
    /// Body.
    pub body: Vec<u8>,
    /// `Content-Type`.
    pub content_type: String,
    /// `Cache-Control`.
    pub cache_control: String,
}

impl Resp {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as text with the report tables' phone labels (`data-label="…"`) left out, so
    /// that a row reads as its cells.
    pub fn report_text(&self) -> String {
        let text = self.text();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(r#" data-label=""#) {
            out.push_str(&rest[..at]);
            let after = &rest[at + 13..];
            rest = after.find('"').map_or("", |end| &after[end + 1..]);
        }
        out.push_str(rest);
        out
    }
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let i = html.find(&needle).unwrap_or_else(|| panic!("no {name} field in {html}")) + needle.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

/// An `application/x-www-form-urlencoded` body.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Boundary of the multipart bodies built here.
pub const BOUNDARY: &str = "hadir-uji-7d1f0c";

/// A `multipart/form-data` body: text fields, then files (field name, file name, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (k, name, bytes) in files {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

impl Client {
    /// A client of the fixture's dashboard.
    pub fn new(f: &Fixture) -> Self {
        Self { app: router(f.state.clone()), cookies: Vec::new() }
    }

    /// Sends a request with the cookies, keeps the ones set.
    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let res = self.app.clone().oneshot(req).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, _) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !s.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        let status = res.status();
        let header_text = |h| res.headers().get(h).map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned());
        let location = header_text(header::LOCATION);
        let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
        let cache_control = header_text(header::CACHE_CONTROL).unwrap_or_default();
        let body = axum::body::to_bytes(res.into_body(), 50 << 20).await.unwrap().to_vec();
        Resp { status, location, body, content_type, cache_control }
    }

    /// The `Cookie` header.
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// GET.
    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// POST a form.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(fields)))
            .unwrap();
        self.send(req).await
    }

    /// POST a multipart upload.
    pub async fn upload(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Resp {
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(multipart(fields, files)))
            .unwrap();
        self.send(req).await
    }

    /// Signs in through the login form.
    pub async fn login(&mut self, user: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        let csrf = hidden(&page.text(), "csrf");
        self.post("/login", &[("csrf", &csrf), ("username", user), ("password", password)]).await
    }

    /// The CSRF token of the current session (from any page's logout form).
    pub async fn csrf(&mut self, page: &str) -> String {
        hidden(&self.get(page).await.text(), "csrf")
    }
}
