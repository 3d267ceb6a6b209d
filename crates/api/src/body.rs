//! Reading a request body (raw, or as JSON) within the size limit.

use axum::body::Body;

/// Why a body could not be read as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    TooLarge(usize),
    Unreadable(String),
    Malformed(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(limit) => {
                write!(f, "request body is larger than the limit of {limit} bytes")
            }
            BodyError::Unreadable(e) => write!(f, "could not read the request body: {e}"),
            BodyError::Malformed(e) => {
                write!(f, "Malformed request: the body is not valid JSON: {e}")
            }
        }
    }
}

/// Reads the whole body (at most `limit` bytes) and parses it as JSON.
pub async fn read_json(body: Body, limit: usize) -> Result<serde_json::Value, BodyError> {
    let bytes = read_bytes(body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Malformed("the body is empty".into()));
    }
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))
}

/// Reads the whole body, at most `limit` bytes.
pub async fn read_bytes(body: Body, limit: usize) -> Result<axum::body::Bytes, BodyError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let inner = e.into_inner();
        if inner
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            BodyError::TooLarge(limit)
        } else {
            BodyError::Unreadable(inner.to_string())
        }
    })
}
