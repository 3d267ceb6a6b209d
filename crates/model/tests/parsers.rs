//! Property tests of the parsers that read what others write: NEVRAs,
//! productmd's files (and the compose ids in them), Greenwave policy YAML.
//! Whatever the input, each answers a value or an error, never a panic;
//! what they accept reads back the same.

use almanac_model::policies::parse_policies;
use almanac_model::productmd::{Nevra, parse_composeinfo, parse_images, parse_rpms};
#[path = "support/json_strategy.rs"]
mod json_strategy;

use json_strategy::{any_json, replace_one};
use proptest::prelude::*;
use serde_json::{Value, json};

fn composeinfo(short: &str, version: &str, date: &str, kind: &str, respin: u32) -> Value {
    let t = match kind {
        "nightly" => "n",
        "test" => "t",
        "ci" => "ci",
        _ => "",
    };
    let id = if t.is_empty() {
        format!("{short}-{version}-{date}.{respin}")
    } else {
        format!("{short}-{version}-{date}.{t}.{respin}")
    };
    json!({
        "header": {"type": "productmd.composeinfo", "version": "1.2"},
        "payload": {
            "compose": {"id": id, "date": date, "type": kind, "respin": respin},
            "release": {"name": short, "short": short, "version": version, "type": "ga", "internal": false},
            "variants": {"Server": {"id": "Server", "uid": "Server", "name": "Server", "type": "variant",
                                    "arches": ["x86_64"], "paths": {"os_tree": {"x86_64": "Server/x86_64/os"}}}}
        }
    })
}

fn rpms_doc() -> Value {
    json!({
        "header": {"type": "productmd.rpms", "version": "1.2"},
        "payload": {
            "compose": {"id": "Fedora-41-20261101.n.0", "date": "20261101", "type": "nightly", "respin": 0},
            "rpms": {"Server": {"x86_64": {"bash-0:5.2.26-3.fc41.src": {
                "bash-0:5.2.26-3.fc41.x86_64": {"path": "Server/x86_64/os/Packages/b/bash-5.2.26-3.fc41.x86_64.rpm",
                                                 "sigkey": "a15b79cc", "category": "binary"}}}}}
        }
    })
}

fn images_doc() -> Value {
    json!({
        "header": {"type": "productmd.images", "version": "1.2"},
        "payload": {
            "compose": {"id": "Fedora-41-20261101.n.0", "date": "20261101", "type": "nightly", "respin": 0},
            "images": {"Server": {"x86_64": [{
                "path": "Server/x86_64/iso/Fedora-Server-dvd-x86_64-41.iso", "size": 2147483648u64,
                "type": "dvd", "format": "iso", "arch": "x86_64", "bootable": true,
                "checksums": {"sha256": "00"}, "disc_count": 1, "disc_number": 1,
                "implant_md5": null, "mtime": 1730419200, "subvariant": "Server", "volume_id": null}]}}
        }
    })
}

const POLICY: &str = "--- !Policy\nid: \"taskotron_release_critical_tasks\"\nproduct_versions:\n  - fedora-*\ndecision_context: bodhi_update_push_stable\nsubject_type: koji_build\nrules:\n  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}\n";

fn rpms_of(bytes: &[u8]) -> Result<usize, String> {
    let mut n = 0;
    parse_rpms(bytes, |_| {
        n += 1;
        Ok::<(), String>(())
    })
    .map(|_| n)
    .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_nevra_parses_or_is_refused_and_what_parses_prints_back(raw in "\\PC{0,40}") {
        if let Ok(n) = Nevra::parse(&raw) {
            prop_assert_eq!(Nevra::parse(&n.to_string()), Ok(n));
        }
    }

    #[test]
    fn nevra_shaped_text_with_odd_parts_never_panics(
        name in "[-A-Za-z0-9._+~^:]{0,12}", e in "[0-9:]{0,3}", v in "[-0-9A-Za-z.~^:]{0,8}",
        r in "[-0-9A-Za-z.~^]{0,8}", a in "[-a-z0-9_.]{0,8}",
    ) {
        let _ = Nevra::parse(&format!("{name}-{e}{v}-{r}.{a}"));
    }

    #[test]
    fn a_composeinfo_reads_back_its_compose_id(
        short in "[A-Z][A-Za-z]{0,8}", version in "[0-9]{1,2}|Rawhide",
        y in 2000u32..2100, m in 1u32..13, d in 1u32..29,
        kind in prop::sample::select(vec!["nightly", "test", "ci", "production"]), respin in 0u32..20,
    ) {
        let date = format!("{y}{m:02}{d:02}");
        let doc = composeinfo(&short, &version, &date, kind, respin);
        let info = parse_composeinfo(doc.to_string().as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(info.compose.id.as_str(), doc["payload"]["compose"]["id"].as_str().unwrap());
        prop_assert_eq!(info.compose.respin, respin);
    }

    #[test]
    fn a_composeinfo_with_any_value_anywhere_is_read_or_refused(pick in 0usize..40, with in any_json()) {
        let doc = replace_one(&composeinfo("Fedora", "41", "20261101", "nightly", 0), pick, &with);
        let _ = parse_composeinfo(doc.to_string().as_bytes());
    }

    #[test]
    fn productmd_files_of_any_bytes_are_refused_not_panicked_on(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_composeinfo(bytes.as_slice());
        let _ = parse_images(bytes.as_slice());
        let _ = rpms_of(&bytes);
    }

    #[test]
    fn rpms_and_images_with_any_value_anywhere_are_read_or_refused(pick in 0usize..30, with in any_json()) {
        let _ = rpms_of(replace_one(&rpms_doc(), pick, &with).to_string().as_bytes());
        let _ = parse_images(replace_one(&images_doc(), pick, &with).to_string().as_bytes());
    }

    #[test]
    fn a_cut_productmd_file_is_refused(cut in 1usize..200) {
        let full = rpms_doc().to_string();
        let cut = cut.min(full.len() - 1);
        prop_assert!(rpms_of(&full.as_bytes()[..cut]).is_err());
        let full = images_doc().to_string();
        let cut = cut.min(full.len() - 1);
        prop_assert!(parse_images(&full.as_bytes()[..cut]).is_err());
    }

    #[test]
    fn policy_yaml_of_any_text_is_read_or_refused(text in "\\PC{0,300}") {
        let _ = parse_policies("fuzz.yaml", &text);
    }

    #[test]
    fn a_policy_with_one_line_changed_is_read_or_refused(line in 0usize..8, with in "\\PC{0,40}") {
        let mut lines: Vec<String> = POLICY.lines().map(str::to_string).collect();
        let at = line % lines.len();
        lines[at] = with;
        let _ = parse_policies("fuzz.yaml", &lines.join("\n"));
    }
}

#[test]
fn the_fixtures_themselves_parse() {
    assert_eq!(rpms_of(rpms_doc().to_string().as_bytes()), Ok(1));
    parse_images(images_doc().to_string().as_bytes()).unwrap();
    parse_policies("policy.yaml", POLICY).unwrap();
    let info = parse_composeinfo(
        composeinfo("Fedora", "41", "20261101", "nightly", 0)
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(info.compose.id, "Fedora-41-20261101.n.0");
}
