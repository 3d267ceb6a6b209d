//! Writing productmd files: `rpms.json` streamed, one RPM at a time in
//! variant, arch and source RPM order (as a compose's rows come out of the
//! store, or out of a generator), and `images.json` whole. What is written
//! reads back with productmd and with [`super::parse_rpms`] /
//! [`super::parse_images`] to the same entries.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{ComposeHeader, ImageEntry, RpmEntry};

/// The header productmd 1.2 writes for `kind` (`productmd.rpms`...).
fn header(kind: &str) -> Value {
    json!({"type": kind, "version": "1.2"})
}

/// Writes `rpms.json` entry by entry. Entries must come grouped: all of one
/// variant together, inside it all of one arch, inside that all of one
/// source RPM (any order of the groups themselves).
pub struct RpmsWriter<W: Write> {
    out: W,
    /// The variant, arch and source RPM of the open groups.
    open: Option<(String, String, String)>,
    first_rpm: bool,
}

impl<W: Write> RpmsWriter<W> {
    pub fn new(mut out: W, compose: &ComposeHeader) -> io::Result<Self> {
        write!(
            out,
            "{{\"header\":{},\"payload\":{{\"compose\":{},\"rpms\":{{",
            header("productmd.rpms"),
            compose.to_json()
        )?;
        Ok(RpmsWriter {
            out,
            open: None,
            first_rpm: true,
        })
    }

    pub fn push(&mut self, e: &RpmEntry) -> io::Result<()> {
        let srpm = e.srpm.to_string();
        let (same_variant, same_arch, same_srpm) = match &self.open {
            None => (false, false, false),
            Some((v, a, s)) => {
                let sv = *v == e.variant;
                let sa = sv && *a == e.arch;
                (sv, sa, sa && *s == srpm)
            }
        };
        if self.open.is_some() && !same_srpm {
            self.out.write_all(b"}")?;
            if !same_arch {
                self.out.write_all(b"}")?;
                if !same_variant {
                    self.out.write_all(b"}")?;
                }
            }
            self.out.write_all(b",")?;
        }
        if !same_variant {
            write!(self.out, "{}:{{", Value::String(e.variant.clone()))?;
        }
        if !same_arch {
            write!(self.out, "{}:{{", Value::String(e.arch.clone()))?;
        }
        if !same_srpm {
            write!(self.out, "{}:{{", Value::String(srpm.clone()))?;
            self.first_rpm = true;
        }
        if !self.first_rpm {
            self.out.write_all(b",")?;
        }
        self.first_rpm = false;
        write!(
            self.out,
            "{}:{}",
            Value::String(e.rpm.to_string()),
            json!({"path": e.path, "sigkey": e.sigkey, "category": e.category})
        )?;
        self.open = Some((e.variant.clone(), e.arch.clone(), srpm));
        Ok(())
    }

    /// Closes the document; answers the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.open.is_some() {
            self.out.write_all(b"}}}")?;
        }
        self.out.write_all(b"}}}")?;
        Ok(self.out)
    }
}

/// `images.json` for `images` (grouped by variant and arch in the output
/// whatever their order).
pub fn images_json(compose: &ComposeHeader, images: &[ImageEntry]) -> Value {
    let mut by_tree = serde_json::Map::new();
    for i in images {
        let variant = by_tree
            .entry(i.variant.clone())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        let list = variant
            .as_object_mut()
            .expect("variants are objects")
            .entry(i.arch.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        let mut image = json!({
            "path": i.path,
            "mtime": i.mtime,
            "size": i.size,
            "volume_id": i.volume_id,
            "type": i.image_type,
            "format": i.format,
            "arch": i.image_arch,
            "disc_number": i.disc_number,
            "disc_count": i.disc_count,
            "checksums": i.checksums,
            "implant_md5": i.implant_md5,
            "bootable": i.bootable,
            "subvariant": i.subvariant,
        });
        if i.unified {
            image["unified"] = Value::Bool(true);
            image["additional_variants"] = json!(i.additional_variants);
        }
        if let Value::Array(l) = list {
            l.push(image);
        }
    }
    json!({
        "header": header("productmd.images"),
        "payload": {"compose": compose.to_json(), "images": by_tree},
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Nevra, parse_images, parse_rpms};
    use super::*;

    fn compose() -> ComposeHeader {
        ComposeHeader {
            id: "Fedora-41-20261101.n.0".into(),
            date: "20261101".into(),
            compose_type: "nightly".into(),
            respin: 0,
            label: None,
            final_: false,
        }
    }

    fn entry(variant: &str, arch: &str, srpm: &str, rpm: &str) -> RpmEntry {
        RpmEntry {
            variant: variant.into(),
            arch: arch.into(),
            srpm: Nevra::parse(srpm).unwrap(),
            rpm: Nevra::parse(rpm).unwrap(),
            path: format!("{variant}/{arch}/os/Packages/{rpm}.rpm"),
            sigkey: Some("e99d6ad1".into()),
            category: "binary".into(),
        }
    }

    #[test]
    fn rpms_written_read_back_the_same() {
        let entries = vec![
            entry(
                "Everything",
                "aarch64",
                "bash-0:5.2-1.src",
                "bash-0:5.2-1.aarch64",
            ),
            entry(
                "Everything",
                "aarch64",
                "bash-0:5.2-1.src",
                "bash-doc-0:5.2-1.noarch",
            ),
            entry(
                "Everything",
                "aarch64",
                "zsh-0:5.9-1.src",
                "zsh-0:5.9-1.aarch64",
            ),
            entry(
                "Everything",
                "x86_64",
                "bash-0:5.2-1.src",
                "bash-0:5.2-1.x86_64",
            ),
            entry(
                "Server",
                "x86_64",
                "bash-0:5.2-1.src",
                "bash-0:5.2-1.x86_64",
            ),
        ];
        let mut w = RpmsWriter::new(Vec::new(), &compose()).unwrap();
        for e in &entries {
            w.push(e).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut read = Vec::new();
        let header = parse_rpms(&bytes[..], |e| {
            read.push(e);
            Ok::<_, std::convert::Infallible>(())
        })
        .map_err(|e| e.into_productmd())
        .unwrap();
        assert_eq!(header, compose());
        read.sort_by_key(|e| (e.variant.clone(), e.arch.clone(), e.rpm.to_string()));
        assert_eq!(read, entries);
    }

    #[test]
    fn an_empty_rpms_file_is_valid() {
        let bytes = RpmsWriter::new(Vec::new(), &compose())
            .unwrap()
            .finish()
            .unwrap();
        let header = parse_rpms(&bytes[..], |_| Ok::<_, std::convert::Infallible>(()))
            .map_err(|e| e.into_productmd())
            .unwrap();
        assert_eq!(header.id, "Fedora-41-20261101.n.0");
    }

    #[test]
    fn images_written_read_back_the_same() {
        let image = ImageEntry {
            variant: "Server".into(),
            arch: "x86_64".into(),
            image_arch: "x86_64".into(),
            path: "Server/x86_64/iso/Fedora-Server-dvd.iso".into(),
            file_name: "Fedora-Server-dvd.iso".into(),
            size: 2_463_006_720,
            mtime: 1_730_419_200,
            volume_id: Some("Fedora-S-dvd-x86_64-41".into()),
            image_type: "dvd".into(),
            format: "iso".into(),
            disc_number: 1,
            disc_count: 1,
            checksums: [("sha256".to_string(), "ab".repeat(32))].into(),
            implant_md5: None,
            bootable: true,
            subvariant: "Server".into(),
            unified: false,
            additional_variants: Vec::new(),
        };
        let doc = images_json(&compose(), std::slice::from_ref(&image));
        let read = parse_images(doc.to_string().as_bytes()).unwrap();
        assert_eq!(read.images, vec![image]);
        assert_eq!(read.compose, compose());
    }
}
