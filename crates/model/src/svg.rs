//! A size-over-time line chart as a standalone SVG document: one image's
//! size across a series of composes, each point a link to its compose.
//!
//! The chart scales with its container (a `viewBox`, no fixed size), follows
//! the reader's light or dark colour scheme through CSS custom properties,
//! and escapes every caller-supplied text for XML. Its y axis starts at a
//! rounded bound below the smallest size, so a change of a few megabytes on a
//! two-gigabyte image is visible. Pure string building, no I/O.

use std::fmt::Write as _;

use crate::compose_diff::human_size;

/// One measurement: an image's size in one compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// The compose id, shown in the point's tooltip.
    pub label: String,
    /// `YYYY-MM-DD`, shown under the x axis.
    pub date: String,
    /// The size in bytes.
    pub value: u64,
    /// Where clicking the point leads: the compose's page.
    pub href: String,
}

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 44.0;
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;
/// The room one x label needs: `2026-11-01` at 11px is about 62 units wide,
/// plus a gap.
const X_LABEL_WIDTH: f64 = 74.0;

const STYLE: &str = "
.almanac-size-chart{--chart-bg:#ffffff;--chart-fg:#1f2328;--chart-muted:#59636e;--chart-grid:#d1d9e0;--chart-line:#0969da;--chart-hover:#cf222e}
@media (prefers-color-scheme: dark){.almanac-size-chart{--chart-bg:#0d1117;--chart-fg:#e6edf3;--chart-muted:#9198a1;--chart-grid:#30363d;--chart-line:#4493f8;--chart-hover:#ff7b72}}
.almanac-size-chart .bg{fill:var(--chart-bg)}
.almanac-size-chart text{fill:var(--chart-fg);font:11px system-ui,sans-serif}
.almanac-size-chart .title{font-size:14px;font-weight:600}
.almanac-size-chart .empty{fill:var(--chart-muted);font-size:14px}
.almanac-size-chart .y-label,.almanac-size-chart .x-label{fill:var(--chart-muted)}
.almanac-size-chart .grid{stroke:var(--chart-grid);stroke-width:1}
.almanac-size-chart .axis{stroke:var(--chart-muted);stroke-width:1}
.almanac-size-chart .line{fill:none;stroke:var(--chart-line);stroke-width:2;stroke-linejoin:round}
.almanac-size-chart .point{fill:var(--chart-line);stroke:var(--chart-bg);stroke-width:1;cursor:pointer}
.almanac-size-chart a:hover .point,.almanac-size-chart a:focus .point{fill:var(--chart-hover)}
";

/// Renders `points`, in the given order and equally spaced, as a line chart
/// titled `title`. Each point is one `<a href>` holding one
/// `<circle class="point" data-compose="…">` and a `<title>` tooltip with the
/// compose id, the date and the size. With no points the chart says "no
/// data".
pub fn size_chart(title: &str, points: &[Point]) -> String {
    let mut svg = String::with_capacity(2048 + points.len() * 300);
    push(
        &mut svg,
        format_args!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"almanac-size-chart\" \
             viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" \
             preserveAspectRatio=\"xMidYMid meet\">\n"
        ),
    );
    let title = escape(title);
    push(&mut svg, format_args!("<title>{title}</title>\n"));
    push(&mut svg, format_args!("<style>{STYLE}</style>\n"));
    push(
        &mut svg,
        format_args!("<rect class=\"bg\" width=\"{WIDTH}\" height=\"{HEIGHT}\"/>\n"),
    );
    push(
        &mut svg,
        format_args!("<text class=\"title\" x=\"{LEFT}\" y=\"24\">{title}</text>\n"),
    );

    let (Some(min), Some(max)) = (
        points.iter().map(|p| p.value).min(),
        points.iter().map(|p| p.value).max(),
    ) else {
        push(
            &mut svg,
            format_args!(
                "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>\n",
                WIDTH / 2.0,
                HEIGHT / 2.0
            ),
        );
        svg.push_str("</svg>\n");
        return svg;
    };

    let axis = YAxis::new(min, max);
    let bottom = TOP + PLOT_HEIGHT;
    for tick in axis.ticks() {
        let y = axis.y(tick.value);
        push(
            &mut svg,
            format_args!(
                "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\"/>\n\
                 <text class=\"y-label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
                LEFT + PLOT_WIDTH,
                LEFT - 8.0,
                y + 4.0,
                tick.label
            ),
        );
    }
    push(
        &mut svg,
        format_args!(
            "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\"/>\n",
            LEFT + PLOT_WIDTH
        ),
    );

    let n = points.len();
    let step = x_label_step(n);
    for (i, point) in points.iter().enumerate().step_by(step) {
        push(
            &mut svg,
            format_args!(
                "<text class=\"x-label\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                x(i, n),
                bottom + 18.0,
                escape(&point.date)
            ),
        );
    }

    if n > 1 {
        svg.push_str("<polyline class=\"line\" points=\"");
        for (i, point) in points.iter().enumerate() {
            if i > 0 {
                svg.push(' ');
            }
            push(
                &mut svg,
                format_args!("{:.1},{:.1}", x(i, n), axis.y(point.value as f64)),
            );
        }
        svg.push_str("\"/>\n");
    }

    let r = radius(n);
    for (i, point) in points.iter().enumerate() {
        let label = escape(&point.label);
        push(
            &mut svg,
            format_args!(
                "<a href=\"{}\"><circle class=\"point\" data-compose=\"{label}\" \
                 cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\"/><title>{label} {} {} ({} bytes)</title></a>\n",
                escape(&point.href),
                x(i, n),
                axis.y(point.value as f64),
                escape(&point.date),
                human_size(point.value),
                point.value
            ),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn push(svg: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing to a String cannot fail.
    let _ = svg.write_fmt(args);
}

/// The x of the `i`th of `n` points: equally spaced edge to edge, a single
/// point in the middle.
fn x(i: usize, n: usize) -> f64 {
    if n < 2 {
        LEFT + PLOT_WIDTH / 2.0
    } else {
        LEFT + i as f64 * PLOT_WIDTH / (n - 1) as f64
    }
}

/// Every how many points an x label is written, so that labels are at least
/// [`X_LABEL_WIDTH`] apart.
fn x_label_step(n: usize) -> usize {
    if n < 2 {
        return 1;
    }
    let spacing = PLOT_WIDTH / (n - 1) as f64;
    (X_LABEL_WIDTH / spacing).ceil().max(1.0) as usize
}

/// Smaller dots when they crowd, never below a size that can be clicked.
fn radius(n: usize) -> f64 {
    match n {
        0..=40 => 4.5,
        41..=150 => 3.5,
        _ => 3.0,
    }
}

/// The y axis: a binary unit, a "nice" step in that unit (1, 2, 2.5 or 5
/// times a power of ten) and the tick range, chosen so that 4 to 6 ticks
/// cover every value.
#[derive(Debug, Clone, PartialEq)]
struct YAxis {
    /// Bytes per unit.
    unit: f64,
    unit_name: &'static str,
    /// In units.
    step: f64,
    /// The first and last tick, as multiples of `step`.
    first: i64,
    last: i64,
    decimals: usize,
}

struct Tick {
    /// In bytes.
    value: f64,
    label: String,
}

impl YAxis {
    fn new(min: u64, max: u64) -> YAxis {
        const UNITS: [(&str, f64); 5] = [
            ("B", 1.0),
            ("KiB", 1024.0),
            ("MiB", 1048576.0),
            ("GiB", 1073741824.0),
            ("TiB", 1099511627776.0),
        ];
        let (unit_name, unit) = UNITS
            .iter()
            .rev()
            .find(|(_, size)| max as f64 >= *size)
            .copied()
            .unwrap_or(UNITS[0]);
        let mut lo = min as f64 / unit;
        let mut hi = max as f64 / unit;
        if unit_name == "B" && hi - lo < 4.0 {
            // Whole bytes only: at least four of them.
            lo = (lo - 2.0).max(0.0).floor();
            hi = lo + 4.0;
        } else if hi - lo <= hi * 1e-9 {
            // All values (nearly) equal: a band of ±1% around them.
            lo -= hi * 0.01;
            hi += hi * 0.01;
        }

        let range = (hi - lo).max(f64::MIN_POSITIVE);
        let exponent = range.log10().floor() as i32;
        let mut best: Option<(u64, YAxis)> = None;
        for e in (exponent - 2)..=(exponent + 1) {
            for (mantissa, extra_decimals) in [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0)] {
                let step = mantissa * 10f64.powi(e);
                if unit_name == "B" && step < 1.0 {
                    continue;
                }
                let first = (lo / step + 1e-9).floor() as i64;
                let last = (hi / step - 1e-9).ceil() as i64;
                let ticks = last - first + 1;
                if ticks < 2 {
                    continue;
                }
                // Closest to 5 ticks, and inside 4..=6 when possible.
                let miss =
                    (ticks - 5).unsigned_abs() + if (4..=6).contains(&ticks) { 0 } else { 100 };
                let decimals = (extra_decimals - e).max(0) as usize;
                let candidate = YAxis {
                    unit,
                    unit_name,
                    step,
                    first,
                    last,
                    decimals,
                };
                if best.as_ref().is_none_or(|(m, _)| miss < *m) {
                    best = Some((miss, candidate));
                }
            }
        }
        // Not reached (one of the steps always gives at least two ticks), but
        // a plain axis over the range if it were.
        best.map(|(_, axis)| axis).unwrap_or(YAxis {
            unit,
            unit_name,
            step: range,
            first: (lo / range).floor() as i64,
            last: (lo / range).floor() as i64 + 1,
            decimals: 2,
        })
    }

    fn ticks(&self) -> impl Iterator<Item = Tick> + '_ {
        (self.first..=self.last).map(|k| {
            let in_units = k as f64 * self.step;
            Tick {
                value: in_units * self.unit,
                label: format!("{in_units:.*} {}", self.decimals, self.unit_name),
            }
        })
    }

    /// The y of a size in bytes.
    fn y(&self, bytes: f64) -> f64 {
        let lo = self.first as f64 * self.step * self.unit;
        let hi = self.last as f64 * self.step * self.unit;
        TOP + PLOT_HEIGHT * (1.0 - (bytes - lo) / (hi - lo))
    }
}

/// Text for an XML attribute or element: the five special characters as
/// entities, and characters XML 1.0 cannot hold at all (most control
/// characters) dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' => out.push(c),
            c if c >= '\u{10000}' => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;

    fn points(n: usize, value: impl Fn(usize) -> u64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                label: format!("Fedora-41-2026{:04}.n.0", i),
                date: format!("2026-{:02}-{:02}", 1 + i / 28 % 12, 1 + i % 28),
                value: value(i),
                href: format!("/composes/Fedora-41-2026{:04}.n.0", i),
            })
            .collect()
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    /// A small well-formedness check: tags nest and close, attribute values
    /// are quoted, and text holds no raw `<` or stray `&`.
    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            check_text(&rest[..start]);
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "'<' inside tag {tag}");
            assert_eq!(count(tag, "\"") % 2, 0, "unbalanced quotes in {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "closing {name}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or("");
                open.push(name);
            }
            rest = &rest[end + 1..];
        }
        check_text(rest);
        assert!(open.is_empty(), "left open: {open:?}");
    }

    fn check_text(text: &str) {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                "stray & in {text:?}"
            );
        }
    }

    fn labels<'s>(svg: &'s str, class: &str) -> Vec<&'s str> {
        let open = format!("<text class=\"{class}\"");
        svg.lines()
            .filter(|l| l.starts_with(&open))
            .filter_map(|l| {
                l.split_once('>')
                    .and_then(|(_, t)| t.strip_suffix("</text>"))
            })
            .collect()
    }

    #[test]
    fn five_points_give_five_linked_points_and_five_date_labels() {
        let svg = size_chart(
            "Server dvd x86_64",
            &points(5, |i| 2 * GIB + i as u64 * MIB),
        );
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "class=\"point\""), 5);
        assert_eq!(count(&svg, "<a href="), 5);
        assert_eq!(count(&svg, "</a>"), 5);
        assert_eq!(
            labels(&svg, "x-label"),
            [
                "2026-01-01",
                "2026-01-02",
                "2026-01-03",
                "2026-01-04",
                "2026-01-05"
            ]
        );
        assert!(svg.contains(
            "<a href=\"/composes/Fedora-41-20260002.n.0\"><circle class=\"point\" \
             data-compose=\"Fedora-41-20260002.n.0\" cx=\"422.0\""
        ));
        assert!(svg.contains(
            "<title>Fedora-41-20260002.n.0 2026-01-03 2.0 GiB (2149580800 bytes)</title></a>"
        ));
        assert!(svg.contains("viewBox=\"0 0 800 320\""));
        assert!(svg.contains("@media (prefers-color-scheme: dark)"));
        assert!(svg.contains("<polyline class=\"line\""));
    }

    #[test]
    fn five_hundred_points_keep_every_point_but_thin_the_labels() {
        let pts = points(500, |i| GIB + (i as u64 % 7) * 3 * MIB);
        let svg = size_chart("Workstation live", &pts);
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "class=\"point\""), 500);
        assert_eq!(count(&svg, "<a href="), 500);
        let x_labels = count(&svg, "<text class=\"x-label\"");
        assert_eq!(x_labels, 10);
        assert!(svg.contains("r=\"3\""));
    }

    #[test]
    fn x_labels_never_come_closer_than_their_width() {
        for n in 1..=1200 {
            let step = x_label_step(n);
            let shown = n.div_ceil(step);
            if shown > 1 {
                let gap = x(step, n) - x(0, n);
                assert!(gap >= X_LABEL_WIDTH, "{n} points: labels {gap} apart");
            }
            // And no more thinning than needed.
            if step > 1 {
                assert!(x(step - 1, n) - x(0, n) < X_LABEL_WIDTH, "{n} points");
            }
        }
    }

    #[test]
    fn text_is_escaped_for_xml() {
        let pts = [Point {
            label: "a<b>&\"c\"'d'".to_string(),
            date: "2026-11-01\u{1}".to_string(),
            value: 5 * MIB,
            href: "/composes?id=1&x=\"2\"".to_string(),
        }];
        let svg = size_chart("Sizes <of> \"Tom & Jerry's\"", &pts);
        assert_well_formed(&svg);
        assert!(svg.contains("<title>Sizes &lt;of&gt; &quot;Tom &amp; Jerry&apos;s&quot;</title>"));
        assert!(svg.contains("data-compose=\"a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;\""));
        assert!(svg.contains("<a href=\"/composes?id=1&amp;x=&quot;2&quot;\">"));
        assert!(!svg.contains('\u{1}'));
        assert!(!svg.contains("Tom & Jerry"));
    }

    #[test]
    fn no_points_give_a_valid_chart_saying_no_data() {
        let svg = size_chart("Nothing yet", &[]);
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "class=\"point\""), 0);
        assert_eq!(labels(&svg, "empty"), ["no data"]);
        assert!(!svg.contains("<polyline"));
    }

    #[test]
    fn the_y_axis_starts_at_a_round_bound_below_the_smallest_value() {
        // 1.90 GiB to 1.95 GiB: ticks every 0.01 GiB.
        let low = (1.90 * GIB as f64).ceil() as u64;
        let high = (1.95 * GIB as f64) as u64;
        let svg = size_chart("dvd", &points(3, |i| [low, high, low + 10 * MIB][i]));
        assert_well_formed(&svg);
        assert_eq!(
            labels(&svg, "y-label"),
            [
                "1.90 GiB", "1.91 GiB", "1.92 GiB", "1.93 GiB", "1.94 GiB", "1.95 GiB"
            ]
        );

        // 900 MiB to 1.2 GiB.
        let axis = YAxis::new(900 * MIB, GIB + GIB / 5);
        let ticks: Vec<String> = axis.ticks().map(|t| t.label).collect();
        assert_eq!(
            ticks,
            ["0.8 GiB", "0.9 GiB", "1.0 GiB", "1.1 GiB", "1.2 GiB"]
        );

        // Small images in MiB.
        let axis = YAxis::new(310 * MIB, 480 * MIB);
        let ticks: Vec<String> = axis.ticks().map(|t| t.label).collect();
        assert_eq!(
            ticks,
            ["300 MiB", "350 MiB", "400 MiB", "450 MiB", "500 MiB"]
        );
    }

    #[test]
    fn equal_values_still_get_a_sane_axis() {
        let svg = size_chart("flat", &points(4, |_| 2 * GIB));
        assert_well_formed(&svg);
        assert_eq!(
            labels(&svg, "y-label"),
            ["1.98 GiB", "1.99 GiB", "2.00 GiB", "2.01 GiB", "2.02 GiB"]
        );
        // The line runs through the middle of the plot.
        assert!(svg.contains("cy=\"160.0\""), "{svg}");

        let zeros = YAxis::new(0, 0);
        let ticks: Vec<String> = zeros.ticks().map(|t| t.label).collect();
        assert_eq!(ticks, ["0 B", "1 B", "2 B", "3 B", "4 B"]);
    }

    #[test]
    fn every_axis_has_four_to_six_ticks_covering_the_values() {
        let cases = [
            (1, 1),
            (1, 2),
            (0, 1023),
            (1000, 1030),
            (5 * MIB, 6 * MIB),
            (GIB - 1, GIB + 1),
            (GIB, 4 * GIB),
            (123_456_789, 987_654_321),
            (0, 3 * GIB),
            (u64::MAX / 2, u64::MAX),
        ];
        for (min, max) in cases {
            let axis = YAxis::new(min, max);
            let ticks: Vec<Tick> = axis.ticks().collect();
            assert!(
                (4..=6).contains(&ticks.len()),
                "{min}..{max}: {:?}",
                ticks.iter().map(|t| &t.label).collect::<Vec<_>>()
            );
            let (first, last) = (ticks[0].value, ticks[ticks.len() - 1].value);
            assert!(first <= min as f64 && last >= max as f64, "{min}..{max}");
            let mut seen: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
            seen.dedup();
            assert_eq!(seen.len(), ticks.len(), "{min}..{max}: repeated labels");
            for y in [axis.y(min as f64), axis.y(max as f64)] {
                assert!(
                    (TOP - 0.01..=TOP + PLOT_HEIGHT + 0.01).contains(&y),
                    "{min}..{max}: y {y}"
                );
            }
        }
    }

    #[test]
    fn one_point_sits_in_the_middle_without_a_line() {
        let svg = size_chart("one", &points(1, |_| 700 * MIB));
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "class=\"point\""), 1);
        assert!(svg.contains("cx=\"422.0\""));
        assert!(!svg.contains("<polyline"));
    }
}

/// One artifact of a drawing by tier: its column (negative: its inputs,
/// positive: its consumers, 0: the artifact itself), its name, where it
/// leads, and whether it is on a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Box_ {
    pub column: i32,
    pub name: String,
    pub href: String,
    pub on_cycle: bool,
}

const GRAPH_STYLE: &str = "
.almanac-graph{--g-bg:#ffffff;--g-fg:#1f2328;--g-muted:#59636e;--g-box:#f6f8fa;--g-line:#8c959f;--g-focus:#0969da;--g-cycle:#cf222e}
@media (prefers-color-scheme: dark){.almanac-graph{--g-bg:#0d1117;--g-fg:#e6edf3;--g-muted:#9198a1;--g-box:#161b22;--g-line:#6e7681;--g-focus:#4493f8;--g-cycle:#ff7b72}}
.almanac-graph .bg{fill:var(--g-bg)}
.almanac-graph text{fill:var(--g-fg);font:12px ui-monospace,monospace}
.almanac-graph .head{fill:var(--g-muted);font:12px system-ui,sans-serif}
.almanac-graph rect{fill:var(--g-box);stroke:var(--g-line);stroke-width:1}
.almanac-graph .focus rect{stroke:var(--g-focus);stroke-width:2}
.almanac-graph .cycle rect{stroke:var(--g-cycle);stroke-width:2;stroke-dasharray:4 2}
.almanac-graph .edge{stroke:var(--g-line);stroke-width:1;fill:none}
.almanac-graph a:hover rect,.almanac-graph a:focus rect{stroke:var(--g-focus);stroke-width:2}
";

/// Draws artifacts in columns by tier (inputs to the left, consumers to
/// the right) with the edges between them (`(input, artifact)` by name,
/// drawn when both ends are drawn). Each box is a link with the full name
/// as its tooltip; cycle members are outlined. Drawn at its natural size
/// (text stays legible however many tiers; the page scrolls). Pure string
/// building.
pub fn tier_drawing(boxes: &[Box_], edges: &[(String, String)]) -> String {
    const COL: f64 = 270.0;
    const BOX_W: f64 = 230.0;
    const ROW: f64 = 30.0;
    const BOX_H: f64 = 22.0;
    const TOP: f64 = 40.0;
    const CHARS: usize = 30;
    let min = boxes.iter().map(|b| b.column).min().unwrap_or(0);
    let max = boxes.iter().map(|b| b.column).max().unwrap_or(0);
    let mut rows: std::collections::BTreeMap<i32, usize> = std::collections::BTreeMap::new();
    let mut at: std::collections::HashMap<&str, (f64, f64)> = std::collections::HashMap::new();
    for b in boxes {
        let r = rows.entry(b.column).or_default();
        let x = 10.0 + f64::from(b.column - min) * COL;
        let y = TOP + *r as f64 * ROW;
        *r += 1;
        at.entry(b.name.as_str()).or_insert((x, y));
    }
    let height = TOP + rows.values().copied().max().unwrap_or(1) as f64 * ROW + 10.0;
    let width = 20.0 + f64::from(max - min) * COL + BOX_W;
    let mut svg = String::with_capacity(1024 + boxes.len() * 400);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"almanac-graph\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"artifacts by tier\">\
<style>{GRAPH_STYLE}</style><rect class=\"bg\" x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" style=\"stroke:none\"/>"
    );
    for c in min..=max {
        let label = match c {
            0 => "the artifact".to_string(),
            c if c < 0 => format!("inputs, depth {}", -c),
            c => format!("consumers, depth {c}"),
        };
        let x = 10.0 + f64::from(c - min) * COL;
        let _ = write!(
            svg,
            "<text class=\"head\" x=\"{x:.0}\" y=\"22\">{}</text>",
            escape(&label)
        );
    }
    for (input, artifact) in edges {
        if let (Some(&(x1, y1)), Some(&(x2, y2))) =
            (at.get(input.as_str()), at.get(artifact.as_str()))
        {
            let (sx, sy, ex, ey) = (x1 + BOX_W, y1 + BOX_H / 2.0, x2, y2 + BOX_H / 2.0);
            let mid = (sx + ex) / 2.0;
            let _ = write!(
                svg,
                "<path class=\"edge\" d=\"M{sx:.0},{sy:.0} C{mid:.0},{sy:.0} {mid:.0},{ey:.0} {ex:.0},{ey:.0}\"/>"
            );
        }
    }
    let mut drawn = std::collections::HashSet::new();
    for b in boxes {
        if !drawn.insert(b.name.as_str()) {
            continue;
        }
        let (x, y) = at[b.name.as_str()];
        let class = if b.column == 0 {
            "focus"
        } else if b.on_cycle {
            "cycle"
        } else {
            "node"
        };
        let shown: String = if b.name.chars().count() > CHARS {
            let head: String = b.name.chars().take(CHARS - 1).collect();
            format!("{head}…")
        } else {
            b.name.clone()
        };
        let _ = write!(
            svg,
            "<a href=\"{}\" class=\"{class}\" data-node=\"{}\"><title>{}{}</title><rect x=\"{x:.0}\" y=\"{y:.0}\" width=\"{BOX_W:.0}\" height=\"{BOX_H:.0}\" rx=\"4\"/><text x=\"{:.0}\" y=\"{:.0}\">{}</text></a>",
            escape(&b.href),
            escape(&b.name),
            escape(&b.name),
            if b.on_cycle { " (on a cycle)" } else { "" },
            x + 6.0,
            y + 15.0,
            escape(&shown)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tier_tests {
    use super::*;

    #[test]
    fn boxes_are_links_in_their_columns_and_cycles_are_marked() {
        let b = |column, name: &str, on_cycle| Box_ {
            column,
            name: name.into(),
            href: format!("/ui/graph?artifact={name}"),
            on_cycle,
        };
        let svg = tier_drawing(
            &[
                b(-1, "component:bash", false),
                b(0, "build:bash-1", false),
                b(1, "rpm:<bash>", true),
            ],
            &[
                ("component:bash".into(), "build:bash-1".into()),
                ("build:bash-1".into(), "rpm:<bash>".into()),
            ],
        );
        assert_eq!(svg.matches("<a href=").count(), 3);
        assert_eq!(svg.matches("class=\"edge\"").count(), 2);
        assert!(
            svg.contains("class=\"cycle\" data-node=\"rpm:&lt;bash&gt;\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"focus\" data-node=\"build:bash-1\""),
            "{svg}"
        );
        assert!(svg.contains("inputs, depth 1") && svg.contains("consumers, depth 1"));
    }
}
