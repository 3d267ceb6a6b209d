//! ResultsDB's pagination: `{"prev", "next", "data"}`, links made from the
//! request's own URL with `page` replaced, `callback` dropped.

use almanac_model::results::Page;
use axum::http::Uri;
use serde::Serialize;

#[derive(Serialize)]
pub struct PageJson<T> {
    pub prev: Option<String>,
    pub next: Option<String>,
    pub data: Vec<T>,
}

/// Builds a page from `limit + 1` fetched rows.
pub fn page<T>(mut rows: Vec<T>, page: Page, base: &str, uri: &Uri) -> PageJson<T> {
    let has_next = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    PageJson {
        prev: (page.page > 0).then(|| link(base, uri, page.page - 1)),
        next: has_next.then(|| link(base, uri, page.page + 1)),
        data: rows,
    }
}

fn link(base: &str, uri: &Uri, page: u64) -> String {
    let mut parts: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| {
            !p.is_empty() && !p.starts_with("callback=") && !p.starts_with("page=") && *p != "page"
        })
        .map(str::to_string)
        .collect();
    parts.push(format!("page={page}"));
    format!("{base}{}?{}", uri.path(), parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_replace_page_and_keep_the_rest() {
        let uri: Uri = "/api/v2.0/results?item=a%2Cb&page=1&callback=x&limit=2"
            .parse()
            .unwrap();
        let p = page(vec![1, 2, 3], Page { page: 1, limit: 2 }, "http://h", &uri);
        assert_eq!(p.data, vec![1, 2]);
        assert_eq!(
            p.prev.as_deref(),
            Some("http://h/api/v2.0/results?item=a%2Cb&limit=2&page=0")
        );
        assert_eq!(
            p.next.as_deref(),
            Some("http://h/api/v2.0/results?item=a%2Cb&limit=2&page=2")
        );
        let uri: Uri = "/api/v2.0/results".parse().unwrap();
        let p = page(vec![1], Page { page: 0, limit: 2 }, "http://h", &uri);
        assert_eq!((p.prev, p.next), (None, None));
    }
}
