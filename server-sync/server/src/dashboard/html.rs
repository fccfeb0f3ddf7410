//! The page frame: escaping, the layout with its navigation, and the one responsive style sheet
//! (a phone gets the same pages, with the navigation wrapped and tables scrolling sideways).

use maud::{DOCTYPE, Markup, html};

use super::auth::{Page, allowed};
use super::i18n::Lang;
use crate::storage::accounts::User;

/// A value for a URL's query string, percent-encoded (all but letters, digits and `-_.`).
pub fn url_escape(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The style sheet, shared by every page.
pub const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2731;background:#f4f6f8}
header{background:#0b4f6c;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem}
header a{color:#fff;text-decoration:none;padding:.35rem .5rem;border-radius:4px}header a.on,header a:hover{background:#ffffff30}
header .brand{font-weight:700;font-size:1.1rem}header .me{margin-left:auto;font-size:.9rem}
header form{display:inline}header button{background:none;border:1px solid #fff8;color:#fff;border-radius:4px;padding:.25rem .5rem}
main{padding:1rem;max-width:1200px;margin:auto}h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:.1rem 0 .6rem}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:1rem;margin-bottom:1rem}
.card.warn{border-left:4px solid #b45309;background:#fffbeb}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.75rem}
.stat{background:#fff;border-radius:8px;padding:.75rem;box-shadow:0 1px 3px #0002}.stat b{display:block;font-size:1.8rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{padding:.4rem .5rem;border-bottom:1px solid #e3e7eb;text-align:left;white-space:nowrap}
th{background:#eef2f5}tr.late td{color:#a61b0f}.muted{color:#6b7785}.ok{color:#1e7b34}.bad{color:#a61b0f}.pending{color:#a66300}
form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
input,select,button{font:inherit;padding:.4rem .5rem;border:1px solid #b8c2cc;border-radius:4px}button{background:#0b4f6c;color:#fff;border:0;cursor:pointer}
button.reject{background:#a61b0f}.ev{display:flex;gap:.75rem;flex-wrap:wrap}.ev img{width:160px;height:160px;object-fit:cover;border-radius:6px;background:#ddd}
.flash{background:#e7f4ea;border-left:4px solid #1e7b34;padding:.5rem 1rem;margin-bottom:1rem}.error{background:#fbeaea;border-left-color:#a61b0f}
.chart{width:100%;max-width:900px;height:auto}form.decide{margin-top:.5rem}.flags{color:#a66300;margin-top:.3rem}.place svg{max-width:100%;height:auto;border-radius:6px;margin-top:.3rem}.leaflet-map{width:100%;max-width:520px;height:320px;border-radius:6px;margin-top:.3rem;background:#eef2ee}.has-map>svg{display:none}.map-legend{background:#fff;padding:.2rem .5rem;border-radius:4px;font-size:.8rem;display:flex;flex-direction:column}.map-legend span::before{content:"";display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.35rem;vertical-align:-.05rem}.legend-area::before{border:2px solid #1b6e3c}.legend-fix::before{background:#b3261e}.flags ul{margin:.2rem 0;padding-left:1.2rem}.new-pin{font-size:2.2rem;letter-spacing:.3em;font-weight:700;overflow-wrap:anywhere}code{overflow-wrap:anywhere}main.narrow{max-width:420px}
.months{display:flex;justify-content:space-between}.months a{padding:.6rem .4rem}
@media (max-width:640px){main{padding:.5rem}h1{font-size:1.15rem}header{padding:.5rem}header .me{margin-left:0;width:100%;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem}th,td{padding:.35rem}
header nav{display:flex;width:100%;overflow-x:auto;white-space:nowrap;scrollbar-width:none}header a,button,.months a{min-height:44px;display:inline-flex;align-items:center}
table.stack thead{display:none}table.stack tr{display:block;border-bottom:2px solid #d5dbe1;padding:.25rem 0}
table.stack td{display:flex;justify-content:space-between;gap:1rem;white-space:normal;border:0;text-align:right}table.stack td::before{content:attr(data-label);font-weight:600;text-align:left;color:#4a5663}table.stack td:empty{display:none}
.grid{grid-template-columns:repeat(2,minmax(0,1fr))}.stat b{font-size:1.4rem}}
"#;

/// A full page for a signed-in user: the header with the pages the user's role may open, the
/// other language and signing out, around `body`.
pub fn page(lang: Lang, user: &User, csrf: &str, current: Page, title: &str, body: Markup) -> String {
    let items = [
        (Page::Own, "/me", lang.tr("My attendance")),
        (Page::Today, "/today", lang.tr("Today")),
        (Page::Employees, "/employees", lang.tr("Employees")),
        (Page::Records, "/records", lang.tr("Records")),
        (Page::Confirmations, "/confirmations", lang.tr("Confirmations")),
        (Page::Corrections, "/corrections", lang.tr("Corrections")),
        (Page::Leave, "/leave", lang.tr("Leave")),
        (Page::Devices, "/devices", lang.tr("Devices")),
        (Page::Reports, "/reports", lang.tr("Reports")),
        (Page::Settings, "/settings", lang.tr("Settings")),
        (Page::Audit, "/audit", lang.tr("Audit log")),
    ];
    document(
        lang,
        title,
        html! {
            header {
                span.brand { "Hadir" }
                nav {
                    @for (p, href, label) in items.into_iter().filter(|(p, _, _)| allowed(user.role, *p)) {
                        a href=(href) class=[(p == current).then_some("on")] { (label) }
                    }
                }
                span.me {
                    a href="/account" id="account" { (user.username) }
                    " (" (role_label(lang, user.role)) ") "
                    (other_language(lang))
                    form method="post" action="/logout" {
                        (csrf_input(csrf))
                        button { (lang.tr("Sign out")) }
                    }
                }
            }
            main {
                h1 { (title) }
                (body)
            }
        },
    )
}

/// The link to the other language, named in that language.
fn other_language(lang: Lang) -> Markup {
    match lang {
        Lang::Id => html! { a href="/lang/en" { "English" } },
        Lang::En => html! { a href="/lang/id" { "Bahasa Indonesia" } },
    }
}

/// The document around a page's `content`: language, viewport, title, and the style sheet and
/// script served by [`super::assets`] (no inline style or script, so the content security policy
/// can forbid them).
fn document(lang: Lang, title: &str, content: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " · Hadir" }
                link rel="stylesheet" href="/assets/hadir.css";
                script src="/assets/hadir.js" defer {}
            }
            body { (content) }
        }
    }
    .into_string()
}

/// A role's name.
pub fn role_label(lang: Lang, r: crate::storage::accounts::Role) -> &'static str {
    match r {
        crate::storage::accounts::Role::Admin => lang.tr("admin"),
        crate::storage::accounts::Role::Supervisor => lang.tr("supervisor"),
        crate::storage::accounts::Role::Operator => lang.tr("operator"),
        crate::storage::accounts::Role::Leadership => lang.tr("leadership"),
        crate::storage::accounts::Role::Employee => lang.tr("employee"),
    }
}

/// A page without a user (login, errors).
pub fn bare(lang: Lang, title: &str, body: Markup) -> String {
    document(
        lang,
        title,
        html! {
            header { span.brand { "Hadir" } }
            main.narrow {
                h1 { (title) }
                (body)
            }
        },
    )
}

/// The hidden CSRF field of a form.
pub fn csrf_input(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_escapes_the_title_and_keeps_the_body() {
        let page = bare(Lang::En, "<script>x</script> & co", html! { p id="b" { "body" } });
        assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{page}");
        assert!(page.contains("<title>&lt;script&gt;x&lt;/script&gt; &amp; co · Hadir</title>"), "{page}");
        assert!(page.contains("<h1>&lt;script&gt;x&lt;/script&gt; &amp; co</h1><p id=\"b\">body</p>"), "{page}");
        assert!(!page.contains("<script>x"), "{page}");
        assert_eq!(csrf_input("a\"b").into_string(), r#"<input type="hidden" name="csrf" value="a&quot;b">"#);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_escape("a b&c/é"), "a%20b%26c%2F%C3%A9");
        assert_eq!(url_escape("BM-2_x.y"), "BM-2_x.y");
    }
}
