//! A dashboard user over real HTTP: login with the CSRF field, cookies kept by hand, pages and
//! CSV exports read back.

use std::collections::BTreeMap;

/// A logged-in (or not yet) browser.
pub struct DashClient {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Location`, on redirects.
    pub location: Option<String>,
    /// The body as text.
    pub text: String,
}

/// The value of a hidden form field (`csrf`) in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!(r#"name="{name}" value=""#);
    let i = html.find(&needle)? + needle.len();
    Some(html[i..i + html[i..].find('"')?].to_owned())
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

impl DashClient {
    /// A browser for the server at `base`.
    pub fn new(base: &str) -> DashClient {
        let http = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client")
            .build()
            .expect("HTTP client");
        DashClient { http, base: base.to_owned(), cookies: BTreeMap::new() }
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Answer {
        for v in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let s = v.to_str().unwrap_or_default();
            let kv = s.split(';').next().unwrap_or_default();
            if let Some((k, val)) = kv.split_once('=') {
                if s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let status = resp.status().as_u16();
        let location = resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = resp.text().await.unwrap_or_default();
        Answer { status, location, text }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// GET a path.
    pub async fn get(&mut self, path: &str) -> Answer {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .expect("dashboard GET");
        self.finish(resp).await
    }

    /// POST a form.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("dashboard POST");
        self.finish(resp).await
    }

    /// POST a `multipart/form-data` form: text fields, then one file (field, file name, bytes).
    pub async fn upload(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Answer {
        const BOUNDARY: &str = "hadir-e2e-boundary-7c1f";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
        }
        let (field, name, bytes) = file;
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(reqwest::header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body)
            .send()
            .await
            .expect("dashboard upload");
        self.finish(resp).await
    }

    /// Logs in; panics unless the dashboard accepts.
    pub async fn login(&mut self, user: &str, password: &str) {
        let page = self.get("/login").await;
        let csrf = hidden(&page.text, "csrf").expect("CSRF field on the login page");
        let r = self.post("/login", &[("csrf", &csrf), ("username", user), ("password", password)]).await;
        assert_eq!(r.status, 303, "login of {user} refused: {}", r.text);
    }

    /// A CSV export parsed into rows of fields (header row first).
    pub async fn csv(&mut self, path: &str) -> Vec<Vec<String>> {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        parse_csv(r.text.trim_start_matches('\u{feff}'))
    }
}

/// RFC 4180 CSV into rows.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
