//! The product model `almanac demo` fills in: Fedora, EPEL and CentOS Stream
//! with their versions and releases (one past its end of life), variants and
//! arches, a few thousand components in four releases, rings, branches with
//! SLAs and release schedules. Written through the store's own operations.

use crate::sample::PACKAGES;
use almanac_store::changes::{self, Change};
use almanac_store::components::{self, GlobalComponent, ReleaseComponent, ReleaseRef, Srpm};
use almanac_store::lifecycle::{self, BranchInput};
use almanac_store::named_types::{self, TypeKind};
use almanac_store::products::{self, ProductInput, ProductVersionInput};
use almanac_store::releases::{self, DistGit, Release, ReleaseVariant};
use almanac_store::{Actor, Conn, Store, StoreError};

/// Components besides the real package names: families of generated names.
const FAMILIES: &[&str] = &[
    "python-",
    "perl-",
    "rubygem-",
    "golang-github-",
    "rust-",
    "nodejs-",
    "texlive-",
    "ghc-",
];
pub const COMPONENTS: usize = 3000;

fn component_names() -> Vec<String> {
    let mut names: Vec<String> = PACKAGES.iter().map(|s| s.to_string()).collect();
    let mut i = 0;
    while names.len() < COMPONENTS {
        names.push(format!("{}lib{:04}", FAMILIES[i % FAMILIES.len()], i));
        i += 1;
    }
    names
}

fn release(
    short: &str,
    version: &str,
    kind: &str,
    name: &str,
    pv: Option<&str>,
    branch: Option<&str>,
    active: bool,
) -> Release {
    Release {
        id: 0,
        release_id: almanac_model::product::release_id(short, version, kind, None),
        short: short.into(),
        version: version.into(),
        name: name.into(),
        base_product: None,
        active,
        product_version: pv.map(str::to_string),
        release_type: kind.into(),
        compose_set: Vec::new(),
        integrated_with: None,
        sigkey: None,
        allow_buildroot_push: false,
        allowed_debuginfo_services: Vec::new(),
        allowed_push_targets: Vec::new(),
        bugzilla: None,
        dist_git: branch.map(|b| DistGit { branch: b.into() }),
    }
}

fn fill(conn: &mut dyn Conn) -> Result<usize, StoreError> {
    let mut ch: Vec<Change> = Vec::new();
    for (short, name, versions) in [
        ("fedora", "Fedora", &["39", "40", "41", "42", "rawhide"][..]),
        ("epel", "Fedora EPEL", &["9", "10"][..]),
        ("centos-stream", "CentOS Stream", &["9", "10"][..]),
    ] {
        products::save_product(
            conn,
            None,
            &ProductInput {
                short: short.into(),
                name: name.into(),
                allowed_push_targets: vec![],
            },
            &mut ch,
        )?;
        for v in versions {
            let input = ProductVersionInput {
                name: format!("{name} {v}"),
                short: short.into(),
                version: v.to_string(),
                product: short.into(),
                allowed_push_targets: vec![],
            };
            products::save_product_version(conn, None, &input, &mut ch)?;
        }
    }
    let mut active_releases = Vec::new();
    for v in ["39", "40", "41", "42"] {
        let pv = format!("fedora-{v}");
        let eol = v == "39";
        releases::save_release(
            conn,
            None,
            &release(
                "fedora",
                v,
                "ga",
                "Fedora",
                Some(&pv),
                Some(&format!("f{v}")),
                !eol,
            ),
            &mut ch,
        )?;
        releases::save_release(
            conn,
            None,
            &release(
                "fedora",
                v,
                "updates",
                "Fedora Updates",
                Some(&pv),
                Some(&format!("f{v}")),
                !eol,
            ),
            &mut ch,
        )?;
        if !eol {
            active_releases.push(format!("fedora-{v}"));
        }
    }
    releases::save_release(
        conn,
        None,
        &release(
            "fedora",
            "rawhide",
            "ga",
            "Fedora Rawhide",
            Some("fedora-rawhide"),
            Some("rawhide"),
            true,
        ),
        &mut ch,
    )?;
    releases::save_release(
        conn,
        None,
        &release(
            "epel",
            "9",
            "ga",
            "EPEL",
            Some("epel-9"),
            Some("epel9"),
            true,
        ),
        &mut ch,
    )?;
    releases::save_release(
        conn,
        None,
        &release(
            "centos-stream",
            "10",
            "ga",
            "CentOS Stream",
            Some("centos-stream-10"),
            Some("c10s"),
            true,
        ),
        &mut ch,
    )?;
    for rel in ["fedora-41", "fedora-42", "fedora-rawhide"] {
        for (uid, arches) in [
            ("Everything", &["aarch64", "ppc64le", "s390x", "x86_64"][..]),
            ("Server", &["aarch64", "ppc64le", "s390x", "x86_64"][..]),
            ("Workstation", &["aarch64", "x86_64"][..]),
            ("Cloud", &["aarch64", "x86_64"][..]),
            ("Container", &["aarch64", "ppc64le", "s390x", "x86_64"][..]),
        ] {
            let v = ReleaseVariant {
                pk: 0,
                release: rel.into(),
                id: uid.into(),
                uid: uid.into(),
                name: uid.into(),
                variant_type: "variant".into(),
                arches: arches.iter().map(|a| a.to_string()).collect(),
                variant_version: None,
                variant_release: None,
                allowed_push_targets: vec![],
            };
            releases::save_variant(conn, None, &v, &mut ch)?;
        }
    }
    for sla in ["bug_fixes", "security_fixes", "stable_api"] {
        named_types::save(
            conn,
            TypeKind::Sla,
            None,
            sla,
            &sla.replace('_', " "),
            &mut ch,
        )?;
    }
    let today = almanac_model::Timestamp::now().date();
    for (rel, date) in [
        ("fedora-39", "2024-11-26"),
        ("fedora-40", "2025-05-13"),
        ("fedora-41", "2025-12-15"),
        ("fedora-42", "2026-05-13"),
        ("epel-9", "2032-05-31"),
    ] {
        for sla in ["bug_fixes", "security_fixes"] {
            lifecycle::save_schedule(conn, None, rel, sla, date, &today, &mut ch)?;
        }
    }
    let names = component_names();
    let mut created = 0;
    for (i, name) in names.iter().enumerate() {
        let gc = GlobalComponent {
            id: 0,
            name: name.clone(),
            dist_git_path: Some(format!("rpms/{name}")),
            dist_git_web_url: None,
            labels: vec![],
            upstream: None,
        };
        components::save_global_component(conn, None, &gc, &mut ch)?;
        for rel in ["fedora-41", "fedora-42", "fedora-rawhide", "epel-9"] {
            if rel == "epel-9" && i % 4 != 0 {
                continue;
            }
            let rc = ReleaseComponent {
                id: 0,
                release: ReleaseRef {
                    release_id: rel.into(),
                    active: true,
                },
                global_component: name.clone(),
                name: name.clone(),
                dist_git_branch: None,
                dist_git_web_url: None,
                bugzilla_component: None,
                bugzilla_component_id: None,
                brew_package: Some(name.clone()),
                active: true,
                component_type: "rpm".into(),
                srpm: Some(Srpm { name: name.clone() }),
                own_dist_git_branch: None,
            };
            components::save_release_component(conn, None, &rc, &mut ch)?;
            created += 1;
        }
        for (branch, eol) in [
            ("rawhide", "2222-01-01"),
            ("f42", "2026-05-13"),
            ("f41", "2025-12-15"),
            ("f39", "2024-11-26"),
        ] {
            let input = BranchInput {
                global_component: name.clone(),
                name: branch.into(),
                branch_type: "rpm".into(),
                critical_path: i < 12,
            };
            let b = lifecycle::save_branch(conn, None, &input, &today, &mut ch)?;
            lifecycle::save_sla_to_branch(conn, None, "bug_fixes", b.id, eol, &today, &mut ch)?;
        }
    }
    // Rings: ring 0 the base of the distribution, ring 1 what most depends on, ring 2 the rest.
    named_types::save(
        conn,
        TypeKind::ComponentGroup,
        None,
        "ring",
        "rings: how much of the distribution a component's change reaches",
        &mut ch,
    )?;
    for rel in &active_releases[1..] {
        let ids =
            |range: std::ops::Range<usize>, conn: &mut dyn Conn| -> Result<Vec<i64>, StoreError> {
                let mut out = Vec::new();
                for n in &names[range] {
                    if let Some(id) = components::release_component_id(conn, rel, n, Some("rpm"))? {
                        out.push(id);
                    }
                }
                Ok(out)
            };
        let ring0 = ids(0..12, conn)?;
        let ring1 = ids(12..60, conn)?;
        let ring2 = ids(60..400, conn)?;
        components::save_group(conn, None, "ring", rel, "ring 0", &ring0, &mut ch)?;
        components::save_group(conn, None, "ring", rel, "ring 1", &ring1, &mut ch)?;
        components::save_group(conn, None, "ring", rel, "ring 2", &ring2, &mut ch)?;
    }
    changes::record(conn, &Actor::anonymous("demo"), ch)?;
    Ok(created)
}

/// Fills the product model; answers the number of release components.
pub fn fill_product_model(store: &Store) -> Result<usize, StoreError> {
    store.write_blocking(fill)
}
