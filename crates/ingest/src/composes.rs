//! Importing one compose from where it is published (`almanac import
//! compose PATH|URL`): its metadata is read from the source, then written
//! in one transaction by [`almanac_store::compose_import`], the same
//! operation PDC's import endpoints run, recorded as a changeset made by
//! the import.

use crate::compose_source::{ComposeSource, SourceError};
use almanac_model::productmd::{parse_composeinfo, parse_images};
use almanac_store::changes::{self, Actor};
use almanac_store::compose_import::{ComposeImport, ImportSummary, import_compose};
use almanac_store::{Store, StoreError};

/// Compose states whose metadata is complete.
pub const FINISHED: [&str; 2] = ["FINISHED", "FINISHED_INCOMPLETE"];

#[derive(Debug, Default, Clone)]
pub struct ImportOptions {
    /// The release to file the compose under; by default the one its
    /// composeinfo describes (created when missing).
    pub release_id: Option<String>,
    /// Import whatever the compose's STATUS says.
    pub any_status: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{location}: the compose's STATUS is {status}, not FINISHED or FINISHED_INCOMPLETE (import it anyway with --any-status)"
    )]
    NotFinished { location: String, status: String },
}

pub fn import_compose_from(
    store: &Store,
    location: &str,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let source = ComposeSource::open(location)?;
    if let Some(status) = source.status()?
        && !opts.any_status
        && !FINISHED.contains(&status.as_str())
    {
        return Err(ImportError::NotFinished {
            location: location.to_string(),
            status,
        });
    }
    let composeinfo = source.composeinfo()?;
    let info = parse_composeinfo(&composeinfo[..]).map_err(StoreError::from)?;
    let images = match source.images()? {
        Some(bytes) => Some(parse_images(&bytes[..]).map_err(StoreError::from)?),
        None => None,
    };
    let mut rpms = source.rpms()?;
    let composeinfo = String::from_utf8_lossy(&composeinfo).into_owned();
    let release_id = opts.release_id.clone();
    let actor = Actor {
        user: None,
        comment: Some(format!("imported from {location}")),
        source: "import".into(),
    };
    let summary = store.write_blocking(move |c| {
        let mut changes = Vec::new();
        let summary = import_compose(
            c,
            ComposeImport {
                info: &info,
                composeinfo_json: &composeinfo,
                release_id: release_id.as_deref(),
                rpms: rpms.as_mut().map(|r| r as &mut dyn std::io::Read),
                images: images.as_ref(),
                location: None,
            },
            &mut changes,
        )?;
        changes::record(c, &actor, changes)?;
        Ok::<_, StoreError>(summary)
    })?;
    tracing::info!(
        compose = %summary.compose.compose_id,
        created = summary.created,
        rpms = summary.rpms,
        new_rpms = summary.new_rpms,
        images = summary.images,
        "compose imported"
    );
    Ok(summary)
}
