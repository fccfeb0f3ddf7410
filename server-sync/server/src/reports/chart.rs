//! The lateness chart of a section: late arrivals per day of a month, as an inline SVG.
//!
//! Server-rendered so that it works on a phone without scripts; bars are the number of late
//! employees, the label above each bar the total minutes late.

use std::fmt::Write as _;

use time::Date;

/// One day of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateDay {
    /// The date.
    pub date: Date,
    /// Employees marked late (with a TL band).
    pub late: u32,
    /// Their minutes late, summed.
    pub minutes: u32,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The SVG of the chart; `title` is its accessible name.
pub fn late_chart_svg(title: &str, days: &[LateDay]) -> String {
    let w = 40.0 + 22.0 * days.len().max(1) as f64;
    let h = 220.0;
    let base = h - 30.0;
    let top = 20.0;
    let max = days.iter().map(|d| d.late).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{}" class="chart">"#,
        esc(title)
    );
    let _ = write!(s, r##"<line x1="30" y1="{base}" x2="{w}" y2="{base}" stroke="#888"/>"##);
    let _ = write!(s, r##"<text x="2" y="{}" font-size="10">{max}</text>"##, top + 8.0);
    for (i, d) in days.iter().enumerate() {
        let x = 34.0 + 22.0 * i as f64;
        let bh = (base - top) * f64::from(d.late) / f64::from(max);
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{:.1}" width="16" height="{bh:.1}" fill="#c0392b"><title>{}: {} / {} min</title></rect>"##,
            base - bh,
            d.date,
            d.late,
            d.minutes
        );
        if d.late > 0 {
            let _ = write!(s, r#"<text x="{:.1}" y="{:.1}" font-size="8" text-anchor="middle">{}</text>"#, x + 8.0, base - bh - 3.0, d.late);
        }
        let _ = write!(s, r#"<text x="{:.1}" y="{}" font-size="9" text-anchor="middle">{}</text>"#, x + 8.0, base + 14.0, d.date.day());
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn one_bar_per_day_scaled_to_the_maximum() {
        let days = [
            LateDay { date: date!(2026 - 03 - 02), late: 2, minutes: 130 },
            LateDay { date: date!(2026 - 03 - 03), late: 0, minutes: 0 },
            LateDay { date: date!(2026 - 03 - 04), late: 4, minutes: 300 },
        ];
        let svg = late_chart_svg("Bidang <Jalan>", &days);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("aria-label=\"Bidang &lt;Jalan&gt;\""));
        // The tallest bar spans the full height (170), the half one 85.
        assert!(svg.contains(r#"y="20.0" width="16" height="170.0""#));
        assert!(svg.contains(r#"height="85.0""#));
    }
}
