//! `images.json`: the ISOs and disk images of a compose, by variant and arch,
//! with their sizes, checksums and media details.

use std::collections::BTreeMap;
use std::io::Read;

use super::ProductmdError;
use super::composeinfo::{ComposeHeader, compose_header};
use super::walk::{Node, check_header};

const FILE: &str = "images.json";

/// Everything `images.json` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesManifest {
    pub compose: ComposeHeader,
    /// Sorted by variant, arch and path.
    pub images: Vec<ImageEntry>,
}

/// One image file of the compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    /// The variant's uid it is listed under.
    pub variant: String,
    /// The compose arch it is listed under.
    pub arch: String,
    /// The image's own `arch` field: the same as `arch`, except `src` for a
    /// source image listed under each binary arch.
    pub image_arch: String,
    /// Relative to the compose's top directory.
    pub path: String,
    /// The last part of `path`.
    pub file_name: String,
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
    pub volume_id: Option<String>,
    /// `dvd`, `boot`, `live`, `qcow2`, `raw-xz`, ...
    pub image_type: String,
    /// `iso`, `qcow2`, `raw.xz`, ...; `iso` when a 1.0 file leaves it out.
    pub format: String,
    pub disc_number: u32,
    pub disc_count: u32,
    /// Checksum type (`sha256`, `md5`) to the hex digest.
    pub checksums: BTreeMap<String, String>,
    pub implant_md5: Option<String>,
    pub bootable: bool,
    /// `Server`, `KDE`, ...; empty when a 1.0 file leaves it out.
    pub subvariant: String,
    /// Whether the image holds packages of several variants.
    pub unified: bool,
    /// The other variants a unified image holds.
    pub additional_variants: Vec<String>,
}

/// Reads `images.json`. A file older than 1.2 that lists images under the
/// `src` arch has them listed under each binary arch of their variant, as
/// productmd does when it reads such a file.
pub fn parse_images(mut reader: impl Read) -> Result<ImagesManifest, ProductmdError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| ProductmdError::from_io(FILE, &e))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| ProductmdError::from_json(FILE, &e))?;
    let root = Node::root(FILE, &doc);
    let version = check_header(&root.field("header")?, "productmd.images")?;

    let payload = root.field("payload")?;
    let compose = compose_header(&payload.field("compose")?)?;
    let mut images = Vec::new();
    for (variant, arches) in payload.field("images")?.entries()? {
        let arch_nodes = arches.entries()?;
        for (arch, list) in &arch_nodes {
            let listed_under: Vec<&str> = if *arch == "src" && version != "1.2" {
                arch_nodes
                    .iter()
                    .map(|(a, _)| *a)
                    .filter(|a| *a != "src")
                    .collect()
            } else {
                vec![arch]
            };
            for item in list.items()? {
                let image = image(variant, arch, &item, &version)?;
                for under in &listed_under {
                    images.push(ImageEntry {
                        arch: under.to_string(),
                        ..image.clone()
                    });
                }
            }
        }
    }
    images.sort_by(|a, b| (&a.variant, &a.arch, &a.path).cmp(&(&b.variant, &b.arch, &b.path)));
    Ok(ImagesManifest { compose, images })
}

fn image(
    variant: &str,
    arch: &str,
    node: &Node<'_>,
    version: &str,
) -> Result<ImageEntry, ProductmdError> {
    let path_node = node.field("path")?;
    let path = path_node.text()?;
    if path.starts_with('/') {
        return Err(path_node.error(format!("path '{path}' must be relative to the compose")));
    }
    let file_name = path.rsplit('/').next().unwrap_or(&path).to_string();
    if file_name.is_empty() {
        return Err(path_node.error(format!("path '{path}' does not name a file")));
    }

    let opt_string = |key: &str| -> Result<Option<String>, ProductmdError> {
        node.opt_field(key)?.map(|n| n.string()).transpose()
    };
    let format = opt_string("format")?.unwrap_or_else(|| "iso".to_string());
    let subvariant = if version == "1.0" {
        opt_string("subvariant")?.unwrap_or_default()
    } else {
        node.field("subvariant")?.string()?
    };

    let mut checksums = BTreeMap::new();
    for (kind, digest) in node.field("checksums")?.entries()? {
        checksums.insert(kind.to_string(), digest.text()?);
    }

    let disc_number = node.field("disc_number")?.u32()?;
    let disc_count = node.field("disc_count")?.u32()?;

    Ok(ImageEntry {
        variant: variant.to_string(),
        arch: arch.to_string(),
        image_arch: node.field("arch")?.text()?,
        path,
        file_name,
        size: node.field("size")?.u64()?,
        mtime: node.field("mtime")?.i64()?,
        volume_id: opt_string("volume_id")?,
        image_type: node.field("type")?.text()?,
        format,
        disc_number,
        disc_count,
        checksums,
        implant_md5: opt_string("implant_md5")?,
        bootable: node.field("bootable")?.bool()?,
        subvariant,
        unified: match node.opt_field("unified")? {
            Some(u) => u.bool()?,
            None => false,
        },
        additional_variants: match node.opt_field("additional_variants")? {
            Some(list) => list.strings()?,
            None => Vec::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image_json() -> serde_json::Value {
        json!({"path": "Server/x86_64/iso/Fedora-Server-dvd-x86_64-41-1.4.iso",
               "mtime": 1730419200, "size": 2463006720u64, "volume_id": "Fedora-S-dvd-x86_64-41",
               "type": "dvd", "format": "iso", "arch": "x86_64", "disc_number": 1,
               "disc_count": 1, "checksums": {"sha256": "ab12"}, "implant_md5": null,
               "bootable": true, "subvariant": "Server"})
    }

    fn doc(version: &str, images: serde_json::Value) -> String {
        json!({
            "header": {"type": "productmd.images", "version": version},
            "payload": {
                "compose": {"id": "F-41-20261101.0", "date": "20261101",
                            "type": "production", "respin": 0},
                "images": images
            }
        })
        .to_string()
    }

    #[test]
    fn images_carry_their_file_name_and_media_details() {
        let text = doc("1.2", json!({"Server": {"x86_64": [image_json()]}}));
        let manifest = parse_images(text.as_bytes()).unwrap();
        assert_eq!(manifest.compose.compose_type, "production");
        let image = &manifest.images[0];
        assert_eq!(image.file_name, "Fedora-Server-dvd-x86_64-41-1.4.iso");
        assert_eq!(image.size, 2_463_006_720);
        assert_eq!(image.implant_md5, None);
        assert_eq!(image.checksums["sha256"], "ab12");
        assert!(image.bootable);
        assert!(!image.unified);
        assert!(image.additional_variants.is_empty());
    }

    #[test]
    fn old_files_get_productmds_defaults() {
        let mut old = image_json();
        old.as_object_mut().unwrap().remove("format");
        old.as_object_mut().unwrap().remove("subvariant");
        let text = doc("1.0", json!({"Server": {"x86_64": [old.clone()]}}));
        let image = &parse_images(text.as_bytes()).unwrap().images[0];
        assert_eq!(image.format, "iso");
        assert_eq!(image.subvariant, "");

        let text = doc("1.1", json!({"Server": {"x86_64": [old]}}));
        let err = parse_images(text.as_bytes()).unwrap_err();
        assert_eq!(err.place, "payload.images.Server.x86_64[0].subvariant");
    }

    #[test]
    fn old_source_images_are_listed_under_each_binary_arch() {
        let mut src = image_json();
        src["arch"] = json!("src");
        src["path"] = json!("Server/source/iso/Fedora-Server-source-41.iso");
        let images = json!({"Server": {"src": [src], "x86_64": [image_json()],
                                       "aarch64": []}});
        let manifest = parse_images(doc("1.1", images.clone()).as_bytes()).unwrap();
        let listed: Vec<(&str, &str)> = manifest
            .images
            .iter()
            .map(|i| (i.arch.as_str(), i.image_arch.as_str()))
            .collect();
        assert_eq!(
            listed,
            [("aarch64", "src"), ("x86_64", "src"), ("x86_64", "x86_64")]
        );

        let manifest = parse_images(doc("1.2", images).as_bytes()).unwrap();
        assert_eq!(manifest.images.len(), 2);
    }

    #[test]
    fn wrong_values_are_named_by_path() {
        let mut bad = image_json();
        bad["size"] = json!(-1);
        let text = doc("1.2", json!({"Server": {"x86_64": [image_json(), bad]}}));
        let err = parse_images(text.as_bytes()).unwrap_err();
        assert_eq!(err.place, "payload.images.Server.x86_64[1].size");
        assert!(err.message.contains("the number -1"), "{err}");

        let mut bad = image_json();
        bad["path"] = json!("/mnt/koji/compose/x.iso");
        let text = doc("1.2", json!({"Server": {"x86_64": [bad]}}));
        let err = parse_images(text.as_bytes()).unwrap_err();
        assert!(err.message.contains("must be relative"), "{err}");
    }
}
