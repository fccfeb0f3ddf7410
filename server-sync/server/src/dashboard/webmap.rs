//! The interactive map of the confirmation queue and the field staff's day: Leaflet, installed
//! from its npm package by `cargo xtask setup` and served by this server (nothing is loaded
//! from elsewhere), over the tile source an administrator sets, or over a blank ground without
//! one (an office network without internet, and the tests).
//!
//! A map's data travels in a `data-map` attribute (JSON) on the element that also carries the
//! drawing of [`super::map`]: a browser without the library or without script shows the
//! drawing, the map script replaces it. The tile source's origin is added to the content
//! security policy's images, and nowhere else.
//!
//! It owns the library's files once read and the tile setting. It must not: read the store or
//! decide what a map shows (the pages pass the points and areas).

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::AppState;

/// Where the map comes from and what it lies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapConfig {
    /// The folder holding `leaflet.js` and `leaflet.css` (`cargo xtask setup` installs them).
    pub library_dir: PathBuf,
    /// A tile URL template (`https://…/{z}/{x}/{y}.png`, `{s}` for subdomains); `None`: no tiles.
    pub tiles: Option<String>,
    /// The tile source's attribution, shown on the map (its licence usually requires it).
    pub attribution: String,
}

impl Default for MapConfig {
    fn default() -> Self {
        MapConfig { library_dir: default_library_dir(), tiles: None, attribution: String::new() }
    }
}

/// `HADIR_MAP_DIR` if set, else the folder of this source tree where `cargo xtask setup`
/// installs the library.
pub fn default_library_dir() -> PathBuf {
    match std::env::var_os("HADIR_MAP_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("web").join("leaflet"),
    }
}

/// The library's files, read once at start.
#[derive(Debug, Clone)]
pub struct MapLibrary {
    js: Bytes,
    css: Bytes,
}

/// Why the library could not be read.
#[derive(Debug, thiserror::Error)]
#[error("map library {path}: {source} (run `cargo xtask setup`, or set dashboard.map_library_dir)")]
pub struct LibraryError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl MapLibrary {
    /// Reads `leaflet.js` and `leaflet.css` from `dir`.
    pub fn load(dir: &Path) -> Result<MapLibrary, LibraryError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map(Bytes::from).map_err(|source| LibraryError { path, source })
        };
        Ok(MapLibrary { js: read("leaflet.js")?, css: read("leaflet.css")? })
    }
}

/// Checks a tile URL template: `http(s)://host/…` with `{z}`, `{x}` and `{y}`, and nothing that
/// could leave an attribute or a policy (quotes, spaces, `;`, `<`, `>`).
pub fn check_tiles(url: &str) -> Result<(), String> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>;,\\`".contains(c));
    if scheme_ok && placeholders && clean && origin(url).is_some() {
        Ok(())
    } else {
        Err(format!("dashboard.map_tiles: {url:?} is not a tile URL template (https://host/{{z}}/{{x}}/{{y}}.png)"))
    }
}

/// The origin a tile template loads from, as a content security policy source: `{s}`
/// subdomains become a wildcard.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    let host = match host.strip_prefix("{s}.") {
        Some(parent) => format!("*.{parent}"),
        None => host.to_owned(),
    };
    (!host.contains(['{', '}'])).then(|| format!("{scheme}://{host}"))
}

/// The content security policy: [`super::headers::CSP`], with the tile source's origin among
/// the image sources when there is one.
pub fn csp(tiles: Option<&str>) -> String {
    match tiles.and_then(origin) {
        Some(o) => super::headers::CSP.replacen("img-src 'self'", &format!("img-src 'self' {o}"), 1),
        None => super::headers::CSP.to_owned(),
    }
}

/// A circle on a map: a place, its radius in metres, and what it is (in the reader's language).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Radius, metres (the accuracy of a fix; the size of an area).
    pub radius_m: f64,
    /// Its label.
    pub label: String,
}

/// The `data-map` attribute's value: the areas, the fixes in time order (joined by a line when
/// `path`) and what the legend calls them, the tiles; `None` without the library.
pub fn map_data(st: &AppState, areas: &[Mark], fixes: &[Mark], fixes_legend: &str, path: bool) -> Option<String> {
    st.map_library.as_ref()?;
    let marks = |m: &[Mark]| -> Vec<serde_json::Value> {
        m.iter().map(|m| serde_json::json!({ "lat": m.lat, "lon": m.lon, "r": m.radius_m, "label": m.label })).collect()
    };
    let data = serde_json::json!({
        "areas": marks(areas),
        "fixes": marks(fixes),
        "fixes_legend": fixes_legend,
        "path": path,
        "tiles": st.config.map.tiles,
        "attribution": st.config.map.attribution,
    });
    Some(data.to_string())
}

/// The tags that load the map (none without the library), at the end of a page with maps.
pub fn script_tags(st: &AppState) -> Markup {
    html! {
        @if st.map_library.is_some() {
            link rel="stylesheet" href="/assets/leaflet.css";
            script src="/assets/leaflet.js" defer {}
            script src="/assets/hadir-map.js" defer {}
        }
    }
}

/// The script that turns each `data-map` element into a map. Labels are set as text, never
/// as markup: an assignment's label is typed by a person.
pub const SCRIPT: &str = r##""use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (!window.L) { return; }
  var text = function (s) { var t = document.createElement("span"); t.textContent = s; return t; };
  document.querySelectorAll("[data-map]").forEach(function (box) {
    var d;
    try { d = JSON.parse(box.getAttribute("data-map")); } catch (e) { return; }
    var el = document.createElement("div");
    el.className = "leaflet-map";
    box.insertBefore(el, box.firstChild);
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: !!d.tiles });
    if (d.tiles) { L.tileLayer(d.tiles, { maxZoom: 19, attribution: d.attribution || "" }).addTo(map); }
    // The view first (a vector layer needs one), from the circles themselves.
    var bounds = L.latLngBounds([]);
    var layers = [];
    (d.areas || []).forEach(function (a) {
      bounds.extend(L.latLng(a.lat, a.lon).toBounds(2 * a.r));
      layers.push(L.circle([a.lat, a.lon], { radius: a.r, color: "#1b6e3c", weight: 2, fillOpacity: 0.08, className: "map-area" }).bindTooltip(text(a.label)));
    });
    var line = [];
    (d.fixes || []).forEach(function (p) {
      bounds.extend(L.latLng(p.lat, p.lon).toBounds(2 * Math.max(p.r, 10)));
      layers.push(L.circle([p.lat, p.lon], { radius: p.r, color: "#b3261e", weight: 1, dashArray: "4 3", fillOpacity: 0.1, className: "map-accuracy" }));
      layers.push(L.circleMarker([p.lat, p.lon], { radius: 5, color: "#b3261e", fillOpacity: 1, className: "map-fix" }).bindTooltip(text(p.label)));
      line.push([p.lat, p.lon]);
    });
    if (d.path && line.length > 1) { layers.push(L.polyline(line, { color: "#b3261e", weight: 2, opacity: 0.6, className: "map-path" })); }
    if (!layers.length) { return; }
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 });
    L.featureGroup(layers).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    var legend = L.control({ position: "topright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      var item = function (cls, label) { var s = L.DomUtil.create("span", cls, div); s.textContent = label; };
      (d.areas || []).forEach(function (a) { item("legend-area", a.label); });
      if ((d.fixes || []).length) { item("legend-fix", d.fixes_legend); }
      return div;
    };
    legend.addTo(map);
    box.classList.add("has-map");
  });
});
"##;

fn library_file(st: &AppState, pick: fn(&MapLibrary) -> &Bytes, content_type: &'static str) -> Response {
    match &st.map_library {
        // A shared buffer: each response takes a reference, not a copy.
        Some(lib) => ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], pick(lib).clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "map library not installed: run `cargo xtask setup`\n").into_response(),
    }
}

/// `GET /assets/leaflet.js`
pub async fn library_js(State(st): State<AppState>) -> Response {
    library_file(&st, |l| &l.js, "text/javascript; charset=utf-8")
}

/// `GET /assets/leaflet.css`
pub async fn library_css(State(st): State<AppState>) -> Response {
    library_file(&st, |l| &l.css, "text/css; charset=utf-8")
}

/// `GET /assets/hadir-map.js`
pub async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], SCRIPT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_templates_and_their_origin_in_the_policy() {
        let cases = [
            ("https://tiles.example.net/{z}/{x}/{y}.png", Some("https://tiles.example.net")),
            ("https://{s}.tiles.example.net/{z}/{x}/{y}.png", Some("https://*.tiles.example.net")),
            ("http://10.0.0.5:8080/osm/{z}/{x}/{y}.png", Some("http://10.0.0.5:8080")),
            ("https://tiles.example.net/{z}/{x}.png", None),
            ("ftp://tiles.example.net/{z}/{x}/{y}.png", None),
            ("https://tiles.example.net/{z}/{x}/{y}.png; script-src *", None),
            ("https://tiles.example.net/{z}/{x}/{y}.png\" onload=\"x", None),
            ("https:///{z}/{x}/{y}.png", None),
            ("https://{z}/{x}/{y}.png", None),
        ];
        for (url, want) in cases {
            assert_eq!(check_tiles(url).is_ok(), want.is_some(), "{url}");
            if let Some(o) = want {
                let policy = csp(Some(url));
                assert!(policy.contains(&format!("img-src 'self' {o} data:")), "{policy}");
                assert_eq!(policy.matches(o).count(), 1, "the origin goes to images only: {policy}");
            }
        }
        assert_eq!(csp(None), super::super::headers::CSP);
    }

    #[test]
    fn a_missing_library_names_the_fix() {
        let dir = std::env::temp_dir().join("hadir-no-such-map-library");
        let e = MapLibrary::load(&dir).unwrap_err().to_string();
        assert!(e.contains("leaflet.js") && e.contains("cargo xtask setup"), "{e}");
    }
}
