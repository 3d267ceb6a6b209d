//! Where a compose's productmd metadata is read from: a directory on disk
//! or an HTTP URL, laid out as pungi writes a compose (`<top>/STATUS`,
//! `<top>/compose/metadata/{composeinfo,rpms,images}.json`). The location
//! may name the compose's top, its `compose/` directory, or the metadata
//! directory itself.
//!
//! Small files are read whole; `rpms.json` is handed over as a reader (a
//! file on disk, or for a URL the download spooled to a temporary file), so
//! it is never held in memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A source that could not be read, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{location}: {message}")]
    Unreadable { location: String, message: String },
    #[error("{0}: no composeinfo.json there, nor under compose/metadata/ or metadata/")]
    NotACompose(String),
    #[error("{url}: only http:// URLs are supported by this build (no TLS)")]
    NoTls { url: String },
}

fn unreadable(location: &str, message: impl ToString) -> SourceError {
    SourceError::Unreadable {
        location: location.to_string(),
        message: message.to_string(),
    }
}

/// A compose found at a location.
pub struct ComposeSource {
    /// The location as given.
    pub location: String,
    base: Base,
}

enum Base {
    /// The metadata directory, and the compose's top when known.
    Dir {
        metadata: PathBuf,
        top: Option<PathBuf>,
    },
    /// The metadata URL (ending in `/`), and the top's.
    Url {
        metadata: String,
        top: Option<String>,
    },
}

impl ComposeSource {
    pub fn open(location: &str) -> Result<ComposeSource, SourceError> {
        let base = if location.starts_with("http://") || location.starts_with("https://") {
            if location.starts_with("https://") {
                return Err(SourceError::NoTls {
                    url: location.to_string(),
                });
            }
            let top = format!("{}/", location.trim_end_matches('/'));
            let candidates = [
                (format!("{top}compose/metadata/"), Some(top.clone())),
                (format!("{top}metadata/"), top_of_compose_dir(&top)),
                (top.clone(), None),
            ];
            let mut found = None;
            for (metadata, top) in candidates {
                if crate::http::exists(&format!("{metadata}composeinfo.json"))? {
                    found = Some(Base::Url { metadata, top });
                    break;
                }
            }
            found.ok_or_else(|| SourceError::NotACompose(location.to_string()))?
        } else {
            let top = Path::new(location);
            let candidates = [
                (
                    top.join("compose").join("metadata"),
                    Some(top.to_path_buf()),
                ),
                (top.join("metadata"), top.parent().map(Path::to_path_buf)),
                (top.to_path_buf(), None),
            ];
            candidates
                .into_iter()
                .find(|(m, _)| m.join("composeinfo.json").is_file())
                .map(|(metadata, top)| Base::Dir { metadata, top })
                .ok_or_else(|| SourceError::NotACompose(location.to_string()))?
        };
        Ok(ComposeSource {
            location: location.to_string(),
            base,
        })
    }

    /// `composeinfo.json`, whole.
    pub fn composeinfo(&self) -> Result<Vec<u8>, SourceError> {
        self.small("composeinfo.json")?
            .ok_or_else(|| SourceError::NotACompose(self.location.clone()))
    }

    /// `images.json`, whole; `None` when the compose has none.
    pub fn images(&self) -> Result<Option<Vec<u8>>, SourceError> {
        self.small("images.json")
    }

    /// `rpms.json` as a reader; `None` when the compose has none.
    pub fn rpms(&self) -> Result<Option<Box<dyn Read + Send>>, SourceError> {
        match &self.base {
            Base::Dir { metadata, .. } => {
                let path = metadata.join("rpms.json");
                match File::open(&path) {
                    Ok(f) => Ok(Some(Box::new(io::BufReader::with_capacity(1 << 16, f)))),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(unreadable(&path.display().to_string(), e)),
                }
            }
            Base::Url { metadata, .. } => {
                let url = format!("{metadata}rpms.json");
                Ok(crate::http::spool(&url)?.map(|f| Box::new(f) as Box<dyn Read + Send>))
            }
        }
    }

    /// The compose's `STATUS` (`FINISHED`, `DOOMED`...), trimmed; `None` when
    /// the location is the metadata directory itself or has no such file.
    pub fn status(&self) -> Result<Option<String>, SourceError> {
        let text = match &self.base {
            Base::Dir { top: Some(top), .. } => match std::fs::read_to_string(top.join("STATUS")) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(unreadable(&self.location, e)),
            },
            Base::Url { top: Some(top), .. } => crate::http::get_small(&format!("{top}STATUS"))?
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        };
        Ok(text.map(|t| t.trim().to_string()))
    }

    fn small(&self, name: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match &self.base {
            Base::Dir { metadata, .. } => {
                let path = metadata.join(name);
                match std::fs::read(&path) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(unreadable(&path.display().to_string(), e)),
                }
            }
            Base::Url { metadata, .. } => crate::http::get_small(&format!("{metadata}{name}")),
        }
    }
}

/// `http://host/Fedora-41-X/compose/` names the compose dir; its top is one up.
fn top_of_compose_dir(url: &str) -> Option<String> {
    let trimmed = url.trim_end_matches('/');
    trimmed
        .strip_suffix("/compose")
        .map(|top| format!("{top}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compose_dir_url_has_its_top_one_up() {
        assert_eq!(
            top_of_compose_dir("http://h/c/Fedora-41-1.n.0/compose/"),
            Some("http://h/c/Fedora-41-1.n.0/".to_string())
        );
        assert_eq!(top_of_compose_dir("http://h/c/Fedora-41-1.n.0/"), None);
    }

    #[test]
    fn a_directory_without_metadata_is_not_a_compose() {
        let dir =
            std::env::temp_dir().join(format!("almanac-not-a-compose-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = ComposeSource::open(dir.to_str().unwrap()).err().unwrap();
        assert!(matches!(err, SourceError::NotACompose(_)), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn https_is_refused_clearly() {
        let err = ComposeSource::open("https://kojipkgs.example/compose/x")
            .err()
            .unwrap();
        assert!(err.to_string().contains("only http://"), "{err}");
    }
}
