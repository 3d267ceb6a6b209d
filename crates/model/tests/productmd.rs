//! The productmd readers against files productmd itself wrote
//! (`tests/data/productmd/`, made by `generate.py` there), and against the
//! ways such files go wrong.

use std::convert::Infallible;
use std::fs;
use std::path::PathBuf;

use almanac_model::productmd::{
    Nevra, ParseError, ProductmdError, RpmEntry, parse_composeinfo, parse_images, parse_rpms,
};

fn sample(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/data/productmd", name]
        .iter()
        .collect();
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn all_rpms(text: &str) -> Result<Vec<RpmEntry>, ProductmdError> {
    let mut entries = Vec::new();
    parse_rpms(text.as_bytes(), |entry| {
        entries.push(entry);
        Ok::<(), Infallible>(())
    })
    .map_err(ParseError::into_productmd)?;
    Ok(entries)
}

#[test]
fn composeinfo_sample_reads_release_compose_and_nested_variants() {
    let info = parse_composeinfo(sample("composeinfo.json").as_bytes()).unwrap();
    assert_eq!(info.compose.id, "Fedora-41-20261101.0");
    assert_eq!(info.compose.date, "20261101");
    assert_eq!(info.compose.compose_type, "production");
    assert_eq!(info.compose.respin, 0);
    assert_eq!(info.compose.label.as_deref(), Some("RC-1.0"));
    assert!(info.compose.final_);
    assert_eq!(info.release.name, "Fedora");
    assert_eq!(info.release.release_type, "ga");
    assert!(!info.release.is_layered);
    assert_eq!(info.base_product, None);
    assert_eq!(info.release_id(), "fedora-41");

    let top: Vec<&str> = info.variants.iter().map(|v| v.uid.as_str()).collect();
    assert_eq!(top, ["Server", "Workstation"]);
    let server = &info.variants[0];
    assert_eq!(server.name, "Fedora Server");
    assert_eq!(server.arches, ["aarch64", "x86_64"]);
    assert_eq!(
        server.paths["packages"]["x86_64"],
        "Server/x86_64/os/Packages"
    );
    let optional = &server.children[0];
    assert_eq!(
        (
            optional.id.as_str(),
            optional.uid.as_str(),
            optional.variant_type.as_str()
        ),
        ("optional", "Server-optional", "optional")
    );
    assert!(info.variants[1].children.is_empty());
}

#[test]
fn layered_release_id_names_the_base_product() {
    let info = parse_composeinfo(sample("composeinfo-layered.json").as_bytes()).unwrap();
    assert_eq!(info.compose.compose_type, "ci");
    assert_eq!(info.compose.respin, 2);
    assert!(info.release.is_layered);
    let base = info.base_product.as_ref().unwrap();
    assert_eq!((base.short.as_str(), base.version.as_str()), ("RHEL", "9"));
    assert_eq!(info.release_id(), "epel-9-updates@rhel-9");
}

#[test]
fn an_unknown_compose_type_is_refused_by_name() {
    let text = sample("composeinfo.json").replace("\"production\"", "\"weird\"");
    let err = parse_composeinfo(text.as_bytes()).unwrap_err();
    assert_eq!(err.file, "composeinfo.json");
    assert_eq!(err.place, "payload.compose.type");
    assert!(err.message.contains("'weird'"), "{err}");
    assert!(
        err.message.contains("ci, nightly, production, test"),
        "{err}"
    );
}

#[test]
fn truncated_files_are_placed_by_file_line_and_column() {
    for name in ["composeinfo.json", "rpms.json", "images.json"] {
        let text = sample(name);
        let cut = &text[..text.len() / 2];
        let err = match name {
            "composeinfo.json" => parse_composeinfo(cut.as_bytes()).unwrap_err(),
            "rpms.json" => all_rpms(cut).unwrap_err(),
            _ => parse_images(cut.as_bytes()).unwrap_err(),
        };
        assert_eq!(err.file, name);
        let lines = cut.lines().count();
        assert!(
            err.place.starts_with(&format!("line {lines} column ")),
            "{name}: {err}"
        );
        assert!(err.message.contains("ends too early"), "{name}: {err}");
        assert!(
            err.to_string().starts_with(&format!("{name}: line ")),
            "{err}"
        );
    }
}

#[test]
fn a_file_of_another_type_is_refused() {
    let err = parse_images(sample("rpms.json").as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "images.json: header.type: this is a 'productmd.rpms' file, expected 'productmd.images'"
    );
    let err = all_rpms(&sample("images.json")).unwrap_err();
    assert!(err.place.starts_with("header.type (line "), "{err}");
    let err = parse_composeinfo(sample("images.json").as_bytes()).unwrap_err();
    assert_eq!(err.place, "header.type");
}

#[test]
fn rpms_sample_streams_every_entry_with_its_srpm() {
    let entries = all_rpms(&sample("rpms.json")).unwrap();
    assert_eq!(entries.len(), 21);
    let kernel: Vec<&RpmEntry> = entries
        .iter()
        .filter(|e| e.rpm.name() == "kernel-core")
        .collect();
    assert_eq!(kernel.len(), 3);
    assert_eq!(kernel[0].arch, "x86_64");
    assert_eq!(kernel[0].rpm.epoch(), 2);
    assert_eq!(kernel[0].srpm.to_string(), "kernel-2:6.11.4-301.fc41.src");
    assert_eq!(kernel[0].srpm.nvr(), "kernel-6.11.4-301.fc41");

    let debug = entries.iter().find(|e| e.category == "debug").unwrap();
    assert_eq!(debug.sigkey, None);
    let source = entries.iter().find(|e| e.category == "source").unwrap();
    assert_eq!(source.rpm, source.srpm);
    assert_eq!(source.sigkey.as_deref(), Some("a15b79cc"));
    assert!(entries.iter().any(|e| e.variant == "Server-optional"));
}

#[test]
fn rpms_header_is_returned() {
    let compose = parse_rpms(sample("rpms.json").as_bytes(), |_| Ok::<(), Infallible>(()))
        .map_err(ParseError::into_productmd)
        .unwrap();
    assert_eq!(compose.id, "Fedora-41-20261101.0");
    assert_eq!(compose.label, None);
}

#[test]
fn images_sample_lists_every_image_in_order() {
    let manifest = parse_images(sample("images.json").as_bytes()).unwrap();
    assert_eq!(manifest.compose.id, "Fedora-41-20261101.0");
    assert_eq!(manifest.images.len(), 6);
    let order: Vec<(&str, &str, &str)> = manifest
        .images
        .iter()
        .map(|i| (i.variant.as_str(), i.arch.as_str(), i.file_name.as_str()))
        .collect();
    assert_eq!(
        order[..3],
        [
            ("Server", "aarch64", "Fedora-Server-dvd-aarch64-41-1.4.iso"),
            ("Server", "x86_64", "Fedora-Server-41-1.4.x86_64.qcow2"),
            ("Server", "x86_64", "Fedora-Server-dvd-x86_64-41-1.4.iso"),
        ]
    );
    let qcow2 = &manifest.images[1];
    assert_eq!(qcow2.format, "qcow2");
    assert_eq!(qcow2.volume_id, None);
    assert_eq!(qcow2.implant_md5, None);
    assert!(!qcow2.bootable);
    assert_eq!(qcow2.size, 567_803_904);
    let dvd = &manifest.images[2];
    assert_eq!(dvd.image_type, "dvd");
    assert_eq!(dvd.volume_id.as_deref(), Some("Fedora-S-dvd-x86_64-41"));
    assert_eq!(dvd.mtime, 1_730_419_200);
    assert_eq!((dvd.disc_number, dvd.disc_count), (1, 1));
    assert_eq!(dvd.checksums["sha256"].len(), 64);
    assert_eq!(dvd.subvariant, "Server");
}

/// A compose-sized `rpms.json`: 2 variants × 2 arches × `srpms` source RPMs
/// × 5 RPMs each.
fn big_rpms_json(srpms: usize) -> String {
    let mut text = String::from(
        r#"{"header": {"type": "productmd.rpms", "version": "1.2"}, "payload": {"compose": {"id": "Fedora-Rawhide-20261101.n.0", "date": "20261101", "type": "nightly", "respin": 0}, "rpms": {"#,
    );
    for (v, variant) in ["Everything", "Server"].iter().enumerate() {
        if v > 0 {
            text.push(',');
        }
        text.push_str(&format!("\"{variant}\": {{"));
        for (a, arch) in ["x86_64", "aarch64"].iter().enumerate() {
            if a > 0 {
                text.push(',');
            }
            text.push_str(&format!("\"{arch}\": {{"));
            for s in 0..srpms {
                if s > 0 {
                    text.push(',');
                }
                text.push_str(&format!("\"pkg{s}-0:1.{s}-1.fc42.src\": {{"));
                for r in 0..5 {
                    if r > 0 {
                        text.push(',');
                    }
                    text.push_str(&format!(
                        "\"pkg{s}-sub{r}-1:1.{s}-1.fc42.{arch}\": {{\"path\": \"{variant}/{arch}/os/Packages/p/pkg{s}-sub{r}-1.{s}-1.fc42.{arch}.rpm\", \"sigkey\": \"a15b79cc\", \"category\": \"binary\"}}"
                    ));
                }
                text.push('}');
            }
            text.push('}');
        }
        text.push('}');
    }
    text.push_str("}}}");
    text
}

#[test]
fn a_compose_sized_rpms_json_streams_through() {
    let text = big_rpms_json(2_500);
    let mut count = 0usize;
    let mut newest: Option<Nevra> = None;
    let compose = parse_rpms(text.as_bytes(), |entry| {
        count += 1;
        if newest.as_ref().is_none_or(|n| entry.rpm.cmp_evr(n).is_gt()) {
            newest = Some(entry.rpm);
        }
        Ok::<(), Infallible>(())
    })
    .map_err(ParseError::into_productmd)
    .unwrap();
    assert_eq!(compose.compose_type, "nightly");
    assert_eq!(count, 50_000);
    assert_eq!(newest.unwrap().version(), "1.2499");
}

/// What a store would return from its callback.
#[derive(Debug, thiserror::Error)]
#[error("store refused {0}")]
struct StoreError(String);

fn import(text: &str, limit: usize) -> Result<usize, ParseError<StoreError>> {
    let mut stored = 0;
    parse_rpms(text.as_bytes(), |entry| {
        if stored == limit {
            return Err(StoreError(entry.rpm.to_string()));
        }
        stored += 1;
        Ok(())
    })?;
    Ok(stored)
}

#[test]
fn a_callback_error_stops_the_stream_and_comes_back_unchanged() {
    let text = big_rpms_json(10);
    assert_eq!(import(&text, usize::MAX).unwrap(), 200);
    match import(&text, 3) {
        Err(ParseError::Callback(StoreError(rpm))) => {
            assert_eq!(rpm, "pkg0-sub3-1:1.0-1.fc42.x86_64")
        }
        other => panic!("{other:?}"),
    }
    let err = import(&text, 3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "store refused pkg0-sub3-1:1.0-1.fc42.x86_64"
    );
    assert!(std::error::Error::source(&err).is_some());
}
