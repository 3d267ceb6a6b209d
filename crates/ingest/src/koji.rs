//! Koji's hub, over its XML-RPC protocol: the few calls Almanac reads
//! builds with (`getBuild`, `listRPMs`, `listArchives`, `listTagged`),
//! answered in koji's documented shapes.

use crate::xmlrpc::{self, RpcError};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// What went wrong asking the hub.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KojiError {
    /// The hub cannot be reached or answers nonsense: try again later.
    #[error("koji hub {url} is unavailable: {message}")]
    Unavailable { url: String, message: String },
    /// The hub answered a fault (an unknown tag, a bad argument...).
    #[error("koji hub {url} answered {method}: {message}")]
    Fault {
        url: String,
        method: String,
        message: String,
    },
}

/// A build as `getBuild` and `listTagged` answer it (the fields read).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Build {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub release: String,
    #[serde(default)]
    pub epoch: Option<i64>,
    #[serde(default)]
    pub nvr: String,
    /// 0 building, 1 complete, 2 deleted, 3 failed, 4 canceled.
    #[serde(default)]
    pub state: Option<i64>,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(default)]
    pub extra: Option<Value>,
    /// The tag, when `listTagged` answered it.
    #[serde(default)]
    pub tag_name: Option<String>,
}

impl Build {
    pub fn nvr(&self) -> String {
        if self.nvr.is_empty() {
            format!("{}-{}-{}", self.name, self.version, self.release)
        } else {
            self.nvr.clone()
        }
    }

    fn extra(&self, pointer: &str) -> Option<&Value> {
        self.extra
            .as_ref()
            .and_then(|e| e.pointer(pointer))
            .filter(|v| !v.is_null())
    }

    /// What kind of build this is, from its `extra` as koji and OSBS write it.
    pub fn kind(&self) -> BuildKind {
        if self.extra("/container_koji_task_id").is_some()
            || self.extra("/osbs_build").is_some()
            || self.extra("/image/parent_build_id").is_some()
            || self.extra("/image/parent_builds").is_some()
        {
            BuildKind::Container
        } else if self.extra("/typeinfo/image").is_some() || self.extra("/image").is_some() {
            BuildKind::Image
        } else if self.extra("/typeinfo/module").is_some() {
            BuildKind::Module
        } else {
            BuildKind::Rpm
        }
    }

    /// The build ids of a container build's parent images: `parent_build_id`
    /// (the base image) first, then those of `parent_builds`.
    pub fn parent_build_ids(&self) -> Vec<i64> {
        let mut ids = Vec::new();
        if let Some(id) = self.extra("/image/parent_build_id").and_then(Value::as_i64) {
            ids.push(id);
        }
        if let Some(parents) = self
            .extra("/image/parent_builds")
            .and_then(Value::as_object)
        {
            for p in parents.values() {
                if let Some(id) = p.get("id").and_then(Value::as_i64)
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
        }
        ids
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildKind {
    Rpm,
    Image,
    Container,
    Module,
}

/// Koji's build states.
pub const COMPLETE: i64 = 1;

/// An rpm as `listRPMs` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rpm {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub release: String,
    #[serde(default)]
    pub epoch: Option<i64>,
    pub arch: String,
    #[serde(default)]
    pub build_id: Option<i64>,
}

impl Rpm {
    pub fn nvra(&self) -> String {
        format!(
            "{}-{}-{}.{}",
            self.name, self.version, self.release, self.arch
        )
    }
}

/// An archive (an image file, a container image...) as `listArchives` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Archive {
    pub id: i64,
    pub filename: String,
    #[serde(default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub btype: Option<String>,
}

impl Archive {
    /// Whether the archive is a log or a config, not an artifact (as
    /// pdc-updater skipped ks, cfg and xml files).
    pub fn is_metadata(&self) -> bool {
        matches!(
            self.type_name.as_deref(),
            Some("ks" | "cfg" | "xml" | "log" | "txt" | "json")
        ) || self.filename.ends_with(".log")
    }
}

/// A koji hub at `url` (`.../kojihub`).
#[derive(Debug, Clone)]
pub struct Koji {
    url: String,
    agent: ureq::Agent,
}

/// Most bytes one answer may have (a big tag's `listTagged`).
const ANSWER_LIMIT: u64 = 1024 * 1024 * 1024;

impl Koji {
    pub fn new(url: &str) -> Koji {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .build()
            .into();
        Koji {
            url: url.to_string(),
            agent,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// One call, answering the decoded value.
    pub fn call(&self, method: &str, params: &[Value]) -> Result<Value, KojiError> {
        let down = |message: String| KojiError::Unavailable {
            url: self.url.clone(),
            message,
        };
        let body = xmlrpc::encode_call(method, params);
        let response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "text/xml")
            .send(&body)
            .map_err(|e| down(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(down(format!("HTTP {status} to {method}")));
        }
        let text = response
            .into_body()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_string()
            .map_err(|e| down(e.to_string()))?;
        xmlrpc::decode_response(&text).map_err(|e| match e {
            RpcError::Fault { message, .. } => KojiError::Fault {
                url: self.url.clone(),
                method: method.to_string(),
                message,
            },
            RpcError::Malformed(m) => down(format!("{method}: {m}")),
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        v: Value,
    ) -> Result<T, KojiError> {
        serde_json::from_value(v).map_err(|e| KojiError::Unavailable {
            url: self.url.clone(),
            message: format!("{method} answered an unexpected shape: {e}"),
        })
    }

    /// `getBuild(id)`: the build, or `None` when koji has none by that id.
    pub fn get_build(&self, id: i64) -> Result<Option<Build>, KojiError> {
        let v = self.call("getBuild", &[json!(id)])?;
        if v.is_null() {
            return Ok(None);
        }
        self.decode("getBuild", v).map(Some)
    }

    /// `method(key=id)`, decoded.
    fn by_id<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        key: &str,
        id: i64,
    ) -> Result<T, KojiError> {
        let v = self.call(method, &[xmlrpc::kwargs(&[(key, json!(id))])])?;
        self.decode(method, v)
    }

    /// `listRPMs(buildID=id)`: the rpms a build made.
    pub fn build_rpms(&self, build_id: i64) -> Result<Vec<Rpm>, KojiError> {
        self.by_id("listRPMs", "buildID", build_id)
    }

    /// `listRPMs(imageID=id)`: the rpms an image archive contains.
    pub fn image_rpms(&self, archive_id: i64) -> Result<Vec<Rpm>, KojiError> {
        self.by_id("listRPMs", "imageID", archive_id)
    }

    /// `listArchives(buildID=id)`: a build's archives.
    pub fn archives(&self, build_id: i64) -> Result<Vec<Archive>, KojiError> {
        self.by_id("listArchives", "buildID", build_id)
    }

    /// The rpms of many builds, asked in batches with `system.multicall`
    /// (one HTTP request for up to 500 builds); answered in the order given.
    pub fn builds_rpms(&self, build_ids: &[i64]) -> Result<Vec<Vec<Rpm>>, KojiError> {
        let mut out = Vec::with_capacity(build_ids.len());
        for chunk in build_ids.chunks(500) {
            let calls: Vec<Value> = chunk
                .iter()
                .map(|id| {
                    json!({"methodName": "listRPMs",
                           "params": [xmlrpc::kwargs(&[("buildID", json!(id))])]})
                })
                .collect();
            let answers = self.call("system.multicall", &[Value::Array(calls)])?;
            let answers = answers.as_array().cloned().unwrap_or_default();
            if answers.len() != chunk.len() {
                return Err(KojiError::Unavailable {
                    url: self.url.clone(),
                    message: format!(
                        "system.multicall answered {} of {} calls",
                        answers.len(),
                        chunk.len()
                    ),
                });
            }
            for (id, a) in chunk.iter().zip(answers) {
                match a {
                    // Each success is a one-element array.
                    Value::Array(mut one) if one.len() == 1 => {
                        out.push(self.decode("listRPMs", one.remove(0))?);
                    }
                    fault => {
                        return Err(KojiError::Fault {
                            url: self.url.clone(),
                            method: format!("listRPMs(buildID={id})"),
                            message: fault["faultString"]
                                .as_str()
                                .unwrap_or("an unexpected answer")
                                .to_string(),
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// `listTagged(tag, latest=...)`: the builds in a tag (not inherited).
    pub fn tagged(&self, tag: &str, latest: bool) -> Result<Vec<Build>, KojiError> {
        let v = self.call(
            "listTagged",
            &[
                json!(tag),
                xmlrpc::kwargs(&[("latest", json!(latest)), ("inherit", json!(false))]),
            ],
        )?;
        self.decode("listTagged", v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(extra: Value) -> Build {
        serde_json::from_value(json!({
            "id": 1, "name": "n", "version": "1", "release": "1", "nvr": "n-1-1", "extra": extra
        }))
        .unwrap()
    }

    #[test]
    fn a_build_says_its_kind_from_its_extra() {
        assert_eq!(build(Value::Null).kind(), BuildKind::Rpm);
        assert_eq!(build(json!({"source": {}})).kind(), BuildKind::Rpm);
        assert_eq!(
            build(json!({"typeinfo": {"image": {}}})).kind(),
            BuildKind::Image
        );
        assert_eq!(
            build(json!({"container_koji_task_id": 5, "image": {}})).kind(),
            BuildKind::Container
        );
        assert_eq!(
            build(json!({"typeinfo": {"module": {"name": "m"}}})).kind(),
            BuildKind::Module
        );
        let c = build(json!({"image": {"parent_build_id": 9,
            "parent_builds": {"reg/fedora:40": {"id": 9, "nvr": "f-40-1"}, "reg/x:1": {"id": 11}}}}));
        assert_eq!(c.kind(), BuildKind::Container);
        assert_eq!(c.parent_build_ids(), vec![9, 11]);
    }

    #[test]
    fn a_hub_that_cannot_be_reached_is_unavailable() {
        // Nothing listens on port 9 of loopback.
        let k = Koji::new("http://127.0.0.1:9/kojihub");
        assert!(matches!(k.get_build(1), Err(KojiError::Unavailable { .. })));
    }
}
