//! The account system's users over FASJSON (`/v1/users/`), page by page.

use super::get_json;
use crate::compose_source::SourceError;
use serde_json::Value;

/// Every username.
pub fn usernames(base: &str) -> Result<Vec<String>, SourceError> {
    let base = base.trim_end_matches('/');
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let url = format!("{base}/v1/users/?page_size=1000&page_number={page}");
        let answer = get_json(&url)?;
        let users = answer["result"]
            .as_array()
            .ok_or_else(|| SourceError::Unreadable {
                location: url.clone(),
                message: "not a FASJSON users page: no result".into(),
            })?;
        out.extend(
            users
                .iter()
                .filter_map(|u| u["username"].as_str())
                .map(str::to_string),
        );
        let pages = answer
            .pointer("/page/total_pages")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        if page >= pages || users.is_empty() {
            break;
        }
        page += 1;
    }
    Ok(out)
}
