//! Realistic sample results, deterministic from a seed: Fedora-like builds
//! with the checks CI and openQA run on them. Used by `demo` and `bench`.

use almanac_model::results::NewResult;
use almanac_model::{Outcomes, Timestamp};
use serde_json::{Value, json};

/// A small, fast, deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

pub const PACKAGES: &[&str] = &[
    "bash",
    "glibc",
    "systemd",
    "kernel",
    "python3",
    "firefox",
    "gcc",
    "rpm",
    "dnf",
    "openssl",
    "curl",
    "coreutils",
    "util-linux",
    "NetworkManager",
    "gnome-shell",
    "mesa",
    "llvm",
    "rust",
    "golang",
    "nodejs",
    "perl",
    "ruby",
    "httpd",
    "nginx",
    "postgresql",
    "mariadb",
    "podman",
    "buildah",
    "skopeo",
    "containers-common",
    "selinux-policy",
    "anaconda",
    "pungi",
    "koji",
    "bodhi-server",
    "fedora-release",
    "grub2",
    "shim",
    "dracut",
    "xorg-x11-server",
    "pipewire",
    "wireplumber",
    "flatpak",
    "ostree",
    "rpm-ostree",
    "cockpit",
    "sssd",
    "freeipa",
    "samba",
    "vim",
    "emacs",
    "git",
    "cmake",
    "meson",
    "ninja-build",
    "python-requests",
    "python-urllib3",
    "libreoffice",
    "thunderbird",
    "qemu",
];
const DISTS: &[&str] = &["fc40", "fc41", "fc42"];
pub const CI_CHECKS: &[&str] = &[
    "dist.rpmdeplint",
    "dist.rpmlint",
    "dist.abicheck",
    "dist.upgradepath",
    "fedora-ci.koji-build.tier0.functional",
    "fedora-ci.koji-build.rpminspect.static-analysis",
];
pub const OPENQA_TESTS: &[&str] = &[
    "update.install_default_update_netinst",
    "update.base_selinux",
    "update.desktop_login",
];
const ARCHES: &[&str] = &["x86_64", "aarch64"];

/// The NVR of build number `i`: every package in turn, versions rising.
pub fn build_nvr(i: u64) -> String {
    let pkg = PACKAGES[(i % PACKAGES.len() as u64) as usize];
    let round = i / PACKAGES.len() as u64;
    let dist = DISTS[(round % DISTS.len() as u64) as usize];
    format!(
        "{pkg}-{}.{}.{}-{}.{dist}",
        1 + round / 97 % 9,
        round / 7 % 40,
        round % 7,
        1 + round % 3
    )
}

fn outcome(rng: &mut Rng) -> &'static str {
    match rng.below(100) {
        0..=79 => "PASSED",
        80..=89 => "FAILED",
        90..=92 => "INFO",
        93..=94 => "NEEDS_INSPECTION",
        95..=96 => "ERROR",
        97..=98 => "RUNNING",
        _ => "QUEUED",
    }
}

/// The results CI and openQA report for one build, as ResultsDB JSON bodies,
/// submitted from `start` on (milliseconds since the epoch).
pub fn build_results_json(rng: &mut Rng, nvr: &str, start_ms: i64) -> Vec<Value> {
    let run = rng.next_u64();
    let group = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        run >> 32,
        run & 0xffff,
        run >> 20 & 0xfff,
        run >> 8 & 0xfff,
        run & 0xffff_ffff_ffff
    );
    let component = nvr.rsplitn(3, '-').last().unwrap_or(nvr).to_string();
    let mut out = Vec::new();
    let mut t = start_ms;
    for check in CI_CHECKS {
        t += 1000 + rng.below(600_000) as i64;
        out.push(json!({
            "testcase": {"name": check, "ref_url": format!("https://docs.fedoraproject.org/en-US/ci/tests/{check}")},
            "outcome": outcome(rng),
            "ref_url": format!("https://ci.example.org/job/{check}/{}", run % 100_000),
            "submit_time": t,
            "groups": [{"uuid": group, "description": format!("fedora-ci.koji-build/{nvr}")}],
            "data": {"item": nvr, "type": "koji_build", "component": component, "ci_name": "Fedora CI", "ci_team": "CI"},
        }));
    }
    for test in OPENQA_TESTS {
        for arch in ARCHES {
            t += 1000 + rng.below(900_000) as i64;
            out.push(json!({
                "testcase": test,
                "outcome": outcome(rng),
                "ref_url": format!("https://openqa.example.org/tests/{}", rng.below(9_000_000)),
                "submit_time": t,
                "data": {"item": nvr, "type": "koji_build", "scenario": format!("fedora.updates-everything-boot-iso.{arch}.64bit"),
                         "arch": arch, "source": "openqa"},
            }));
        }
    }
    out
}

/// [`build_results_json`], parsed as the API would parse it.
pub fn build_results(rng: &mut Rng, nvr: &str, start_ms: i64) -> Vec<NewResult> {
    let outcomes = Outcomes::default();
    build_results_json(rng, nvr, start_ms)
        .iter()
        .map(|v| NewResult::from_json(v, &outcomes).expect("sample results are valid"))
        .collect()
}

/// Milliseconds since the epoch of `days_ago` days before now.
pub fn days_ago_ms(days_ago: f64) -> i64 {
    Timestamp::now().micros() / 1000 - (days_ago * 86_400_000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_valid_and_deterministic() {
        let a = build_results(&mut Rng::new(7), &build_nvr(3), 1_700_000_000_000);
        let b = build_results(&mut Rng::new(7), &build_nvr(3), 1_700_000_000_000);
        assert_eq!(a, b);
        assert_eq!(a.len(), CI_CHECKS.len() + OPENQA_TESTS.len() * ARCHES.len());
        assert_eq!(build_nvr(0), "bash-1.0.0-1.fc40");
        assert_ne!(build_nvr(0), build_nvr(PACKAGES.len() as u64));
    }
}
