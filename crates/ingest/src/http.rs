//! The HTTP client the sources are read with: plain GETs with bounded
//! timeouts, a 404 answered as "not there", any other failure an error that
//! names the URL. Large bodies are spooled to a temporary file, which is
//! removed as soon as it is dropped (it is unlinked once opened).

use crate::compose_source::SourceError;
use std::fs::File;
use std::io::{self, Seek};
use std::sync::OnceLock;
use std::time::Duration;

/// Most bytes a small file (composeinfo, images, STATUS) may have.
const SMALL_LIMIT: u64 = 64 * 1024 * 1024;

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .build()
            .into()
    })
}

fn failed(url: &str, e: impl ToString) -> SourceError {
    SourceError::Unreadable {
        location: url.to_string(),
        message: e.to_string(),
    }
}

fn get(url: &str) -> Result<Option<ureq::http::Response<ureq::Body>>, SourceError> {
    let response = agent().get(url).call().map_err(|e| failed(url, e))?;
    match response.status().as_u16() {
        200 => Ok(Some(response)),
        404 | 410 => Ok(None),
        other => Err(failed(url, format!("the server answered HTTP {other}"))),
    }
}

/// Whether `url` answers 200.
pub fn exists(url: &str) -> Result<bool, SourceError> {
    Ok(get(url)?.is_some())
}

/// The body of `url`, read whole; `None` for a 404.
pub fn get_small(url: &str) -> Result<Option<Vec<u8>>, SourceError> {
    match get(url)? {
        None => Ok(None),
        Some(r) => r
            .into_body()
            .with_config()
            .limit(SMALL_LIMIT)
            .read_to_vec()
            .map(Some)
            .map_err(|e| failed(url, e)),
    }
}

/// The body of `url` in a temporary file, read from its start; `None` for
/// a 404.
pub fn spool(url: &str) -> Result<Option<io::BufReader<File>>, SourceError> {
    let Some(r) = get(url)? else {
        return Ok(None);
    };
    let path = std::env::temp_dir().join(format!(
        "almanac-download-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let mut file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| failed(url, format!("cannot spool to {}: {e}", path.display())))?;
    // Unlinked at once: the open handle keeps the data, nothing is left behind.
    let _ = std::fs::remove_file(&path);
    let mut body = r.into_body().into_reader();
    io::copy(&mut body, &mut file).map_err(|e| failed(url, e))?;
    file.rewind().map_err(|e| failed(url, e))?;
    Ok(Some(io::BufReader::with_capacity(1 << 16, file)))
}
