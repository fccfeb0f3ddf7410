//! The place of a record drawn without a map service: the site's area, the record's position
//! with the receiver's accuracy circle, and a scale bar, as an SVG the page carries inline (no
//! script, no tiles, nothing fetched: it works on an office network without internet and under
//! the content security policy). North is up; the projection is flat around the drawing's
//! centre, exact enough for the tens of kilometres a record can be off.
//!
//! It must not: read the store (the caller passes the area and the fix).

use maud::{Markup, html};

/// Mean Earth radius, metres (as the rulebook's distances).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A circle on the ground: centre in degrees, radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Radius, metres.
    pub radius_m: f64,
}

/// Width and height of the drawing, pixels.
const SIZE: f64 = 320.0;

/// A round length for the scale bar: the largest 1, 2 or 5 × 10ⁿ metres not above `m`.
fn round_length(m: f64) -> f64 {
    let p = 10f64.powf(m.max(1.0).log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|k| k * p).find(|l| *l <= m).unwrap_or(p)
}

fn length_text(m: f64) -> String {
    if m >= 1000.0 { format!("{} km", m / 1000.0) } else { format!("{m} m") }
}

/// The drawing of `area` (the site's, if it has one) and `fix` (the record's position and
/// accuracy), with `labels` for the two (already in the reader's language).
pub fn svg(area: Option<Circle>, fix: Option<Circle>, labels: (&str, &str)) -> Option<Markup> {
    let shapes: Vec<Circle> = area.into_iter().chain(fix).collect();
    let first = shapes.first()?;
    // Centre of the drawing: the middle of everything's extent, in metres east/north of the
    // first shape's centre.
    let k = EARTH_RADIUS_M.to_radians();
    let cos = first.lat.to_radians().cos();
    let local = |c: &Circle| ((c.lon - first.lon) * k * cos, (c.lat - first.lat) * k);
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for c in &shapes {
        let (x, y) = local(c);
        let r = c.radius_m.max(10.0);
        min_x = min_x.min(x - r);
        max_x = max_x.max(x + r);
        min_y = min_y.min(y - r);
        max_y = max_y.max(y + r);
    }
    let span = (max_x - min_x).max(max_y - min_y) * 1.15;
    let scale = SIZE / span; // pixels per metre
    let (cx, cy) = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0);
    let px = |c: &Circle| {
        let (x, y) = local(c);
        (SIZE / 2.0 + (x - cx) * scale, SIZE / 2.0 - (y - cy) * scale)
    };
    let f1 = |v: f64| format!("{v:.1}");
    let bar_m = round_length(span / 4.0);
    let aria = format!("{} / {}", labels.0, labels.1);
    // Every element is closed (`{}`): inside HTML, an SVG element left open would hold the next.
    Some(html! {
        svg.map viewBox=(format!("0 0 {SIZE} {SIZE}")) width=(SIZE) height=(SIZE) role="img" aria-label=(aria) {
            rect width=(SIZE) height=(SIZE) fill="#eef3f6" {}
            @if let Some(a) = area {
                @let (x, y) = px(&a);
                circle.area cx=(f1(x)) cy=(f1(y)) r=(f1((a.radius_m * scale).max(2.0))) fill="#1e7b3430" stroke="#1e7b34" stroke-width="2" {}
                text x=(f1(x)) y=(f1((y - a.radius_m * scale - 4.0).max(12.0))) text-anchor="middle" font-size="12" fill="#1e7b34" { (labels.0) }
            }
            @if let Some(f) = fix {
                @let (x, y) = px(&f);
                circle.accuracy cx=(f1(x)) cy=(f1(y)) r=(f1((f.radius_m * scale).max(5.0))) fill="#a61b0f25" stroke="#a61b0f" stroke-dasharray="4 3" {}
                circle.fix cx=(f1(x)) cy=(f1(y)) r="4" fill="#a61b0f" {}
                text x=(f1((x + 8.0).min(SIZE - 60.0))) y=(f1(y)) font-size="12" fill="#a61b0f" { (labels.1) }
            }
            path d=(format!("M10 {} h{}", SIZE - 12.0, f1(bar_m * scale))) stroke="#1d2731" stroke-width="3" {}
            text.scale x="10" y=(SIZE - 18.0) font-size="11" fill="#1d2731" { (length_text(bar_m)) }
            text x=(SIZE - 30.0) y="18" font-size="12" fill="#1d2731" { "N ↑" }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_lengths_are_round() {
        for (m, want) in [(0.5, 1.0), (7.0, 5.0), (12.0, 10.0), (180.0, 100.0), (260.0, 200.0), (7_400.0, 5_000.0)] {
            assert_eq!(round_length(m), want, "{m}");
        }
        assert_eq!(length_text(5_000.0), "5 km");
        assert_eq!(length_text(200.0), "200 m");
    }

    #[test]
    fn a_fix_30_km_north_of_the_area_is_drawn_above_it() {
        let area = Circle { lat: -8.58, lon: 115.17, radius_m: 500.0 };
        let fix = Circle { lat: -8.58 + 0.27, lon: 115.17, radius_m: 5.0 };
        let s = svg(Some(area), Some(fix), ("Area <kantor>", "Rekaman")).expect("drawn").into_string();
        let cy = |class: &str| -> f64 {
            let i = s.find(&format!(r#"class="{class}""#)).unwrap();
            let rest = &s[i..];
            let j = rest.find(r#"cy=""#).unwrap() + 4;
            rest[j..j + rest[j..].find('"').unwrap()].parse().unwrap()
        };
        assert!(cy("fix") < cy("area"), "north is up");
        assert!(s.contains("10 km") || s.contains("5 km"), "a scale bar in km: {s}");
        assert!(s.contains("Area &lt;kantor&gt;") && !s.contains("<kantor>"), "labels are escaped");
        assert!(!s.contains("style="), "no inline style (CSP)");
    }

    #[test]
    fn nothing_to_draw() {
        assert!(svg(None, None, ("a", "b")).is_none());
    }
}
