//! The pieces every page is made of: escaping, the layout (one embedded
//! stylesheet, light and dark), links that carry their filters, tables and
//! pagers. Pure string building.

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment, percent-encoded.
pub fn seg(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `path?k=v&...` with the pairs whose value is not empty.
pub fn url(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs {
        if !v.is_empty() {
            q.append_pair(k, v);
            any = true;
        }
    }
    if any {
        format!("{path}?{}", q.finish())
    } else {
        path.to_string()
    }
}

/// `<a href>` with escaped text.
pub fn a(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

/// A table; cells are HTML already.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\" class=\"muted\">nothing here</td></tr>",
            headers.len().max(1)
        );
    }
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A status word as a coloured badge.
pub fn badge(status: &str) -> String {
    let class = match status.to_ascii_uppercase().as_str() {
        "PASSED" | "OK" | "APPLIED" | "FINISHED" | "SATISFIED" | "TRUE" => "good",
        "FAILED" | "CRITICAL" | "ERROR" | "UNSATISFIED" | "FALSE" => "bad",
        "WARNING" | "NEEDS_INSPECTION" | "WAIVED" | "IGNORED" | "FINISHED_INCOMPLETE" => "warn",
        _ => "neutral",
    };
    format!("<span class=\"badge {class}\">{}</span>", esc(status))
}

/// Previous and next links for 1-based `page` of `per` items, `more` when a
/// next page exists; `link` makes the URL of a page.
pub fn pager(page: u64, more: bool, link: impl Fn(u64) -> String) -> String {
    let mut out = String::from("<nav class=\"pager\">");
    if page > 1 {
        let _ = write!(out, "{} ", a(&link(page - 1), "← previous"));
    }
    let _ = write!(out, "<span class=\"muted\">page {page}</span>");
    if more {
        let _ = write!(out, " {}", a(&link(page + 1), "next →"));
    }
    out.push_str("</nav>");
    out
}

/// A GET form of text inputs (name, label, value) that keeps the filters in the URL.
pub fn filters(action: &str, fields: &[(&str, &str, &str)]) -> String {
    let mut out = format!(
        "<form class=\"filters\" method=\"get\" action=\"{}\">",
        esc(action)
    );
    for (name, label, value) in fields {
        let _ = write!(
            out,
            "<label>{} <input name=\"{}\" value=\"{}\"></label>",
            esc(label),
            esc(name),
            esc(value)
        );
    }
    out.push_str("<button type=\"submit\">Filter</button></form>");
    out
}

const NAV: &[(&str, &str)] = &[
    ("/ui/", "Home"),
    ("/ui/products", "Products"),
    ("/ui/releases", "Releases"),
    ("/ui/components", "Components"),
    ("/ui/composes", "Composes"),
    ("/ui/results", "Results"),
    ("/ui/gating", "Gating"),
    ("/ui/graph", "Graph"),
    ("/ui/journal", "Bus journal"),
    ("/ui/changesets", "Changesets"),
    ("/ui/sign-in", "Sign in"),
];

const STYLE: &str = "
:root{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--head:#f6f8fa;--link:#0969da;--good:#1a7f37;--bad:#cf222e;--warn:#9a6700}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--head:#161b22;--link:#4493f8;--good:#3fb950;--bad:#f85149;--warn:#d29922}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,sans-serif}
header{display:flex;gap:1.2em;align-items:center;padding:.6em 1.2em;border-bottom:1px solid var(--line);background:var(--head);flex-wrap:wrap}
header .brand{font-weight:700}
header a{color:var(--fg);text-decoration:none}
header a.here{border-bottom:2px solid var(--link)}
main{padding:1em 1.2em;max-width:80em}
a{color:var(--link)}
h1{font-size:1.4em;margin:.3em 0 .6em}
h2{font-size:1.1em;margin:1.4em 0 .5em}
table{border-collapse:collapse;width:100%;margin:.4em 0}
th,td{border-bottom:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
th{background:var(--head);font-weight:600}
td.num,th.num{text-align:right}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 .5em;border-radius:1em;border:1px solid currentColor;font-size:.85em}
.badge.good{color:var(--good)}.badge.bad{color:var(--bad)}.badge.warn{color:var(--warn)}.badge.neutral{color:var(--muted)}
.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:6px;padding:.6em 1em;min-width:9em}
.card .n{font-size:1.6em;font-weight:600}
form.filters{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin:.4em 0 .8em}
input,button,select{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:.2em .4em}
.pager{margin:.6em 0}
.chart{max-width:60em}
.drawing{overflow-x:auto;max-width:100%}
code,pre{font-family:ui-monospace,monospace;font-size:.92em}
pre{background:var(--head);padding:.6em;overflow:auto}
";

/// The whole page: `title`, the navigation with `here` marked, `body`.
pub fn page(title: &str, here: &str, body: &str) -> String {
    let mut nav = String::new();
    for (href, label) in NAV {
        let class = if *href == here { " class=\"here\"" } else { "" };
        let _ = write!(nav, "<a href=\"{href}\"{class}>{label}</a>");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"color-scheme\" content=\"light dark\"><link rel=\"icon\" href=\"data:,\"><title>{} · Almanac</title><style>{STYLE}</style></head>\
<body><header><span class=\"brand\">Almanac</span>{nav}</header><main><h1>{}</h1>{body}</main></body></html>\n",
        esc(title),
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_urls_keep_their_filters() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(
            url(
                "/ui/results",
                &[("item", "bash-1.0 x"), ("outcome", ""), ("page", "2")]
            ),
            "/ui/results?item=bash-1.0+x&page=2"
        );
        assert_eq!(url("/ui/results", &[("item", "")]), "/ui/results");
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
        assert!(page("T <x>", "/ui/", "").contains("<title>T &lt;x&gt; · Almanac</title>"));
    }
}
