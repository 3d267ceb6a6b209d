//! RPM package identifiers (`name-epoch:version-release.arch`) and rpm's own
//! ordering of versions, so "is this build newer" is answered as `rpm` and
//! `dnf` answer it.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ModelError;

/// A package's name, epoch, version, release and architecture, as productmd
/// keys its RPMs: `bash-0:5.2.26-3.fc41.x86_64`, or without the epoch
/// (`bash-5.2.26-3.fc41.x86_64`, read as epoch 0). Built only by
/// [`Nevra::parse`], so every part is present and well-formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nevra {
    name: String,
    epoch: u64,
    version: String,
    release: String,
    arch: String,
}

impl Nevra {
    /// Reads `name-[epoch:]version-release.arch`. The name may contain
    /// dashes; the version and release may not (rpm forbids it), so the last
    /// two dashes split the three. The epoch may also lead, as rpm prints it
    /// in some places (`1:openssl-3.2.2-3.fc41.x86_64`).
    pub fn parse(raw: &str) -> Result<Nevra, ModelError> {
        let refuse = |why: &str| {
            ModelError::new(
                "nevra",
                format!("'{raw}' is not name-[epoch:]version-release.arch: {why}"),
            )
        };
        if raw.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(refuse("white space and '/' are not allowed"));
        }
        let (rest, arch) = raw.rsplit_once('.').ok_or_else(|| refuse("no '.arch'"))?;
        let (rest, release) = rest
            .rsplit_once('-')
            .ok_or_else(|| refuse("no '-release'"))?;
        let (name, epoch_version) = rest
            .rsplit_once('-')
            .ok_or_else(|| refuse("no '-version'"))?;
        let (epoch, version) = match epoch_version.split_once(':') {
            Some((epoch, version)) => (Some(epoch), version),
            None => (None, epoch_version),
        };
        let (leading_epoch, name) = match name.split_once(':') {
            Some((epoch, name)) => (Some(epoch), name),
            None => (None, name),
        };
        let epoch = match (leading_epoch, epoch) {
            (Some(_), Some(_)) => return Err(refuse("two epochs")),
            (Some(e), None) | (None, Some(e)) => {
                let digits = !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit());
                if !digits {
                    return Err(refuse(&format!("epoch '{e}' is not a number")));
                }
                e.parse::<u64>()
                    .map_err(|_| refuse(&format!("epoch '{e}' is too large")))?
            }
            (None, None) => 0,
        };
        for (part, value) in [
            ("name", name),
            ("version", version),
            ("release", release),
            ("arch", arch),
        ] {
            if value.is_empty() {
                return Err(refuse(&format!("the {part} is empty")));
            }
            if part != "name" && value.contains(':') {
                return Err(refuse(&format!("the {part} '{value}' contains ':'")));
            }
        }
        Ok(Nevra {
            name: name.to_string(),
            epoch,
            version: version.to_string(),
            release: release.to_string(),
            arch: arch.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn release(&self) -> &str {
        &self.release
    }
    pub fn arch(&self) -> &str {
        &self.arch
    }

    /// `bash-5.2.26-3.fc41`: the build's name, version and release, as Koji
    /// names builds.
    pub fn nvr(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.release)
    }

    /// rpm's order of two packages' epoch, version and release: epoch as a
    /// number, then version, then release by [`rpmvercmp`]. Name and arch are
    /// not looked at.
    pub fn cmp_evr(&self, other: &Nevra) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| rpmvercmp(&self.release, &other.release))
    }
}

/// Always with the epoch, as PDC shows RPMs: `bash-0:5.2.26-3.fc41.x86_64`.
impl fmt::Display for Nevra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}:{}-{}.{}",
            self.name, self.epoch, self.version, self.release, self.arch
        )
    }
}

impl FromStr for Nevra {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Nevra, ModelError> {
        Nevra::parse(s)
    }
}

/// rpm's comparison of two version (or release) strings.
///
/// Both are cut into runs of ASCII digits and runs of ASCII letters; anything
/// else only separates runs. Runs are compared pairwise: numbers as numbers
/// (leading zeros do not count), letters byte by byte, and a number is newer
/// than letters. Two marks change the rule where they stand: `~` sorts before
/// everything, even the end of the string (`1.0~rc1` < `1.0`), and `^` sorts
/// after the end of the string but before anything else (`1.0` < `1.0^git1`
/// < `1.0.1`). When one side runs out first, the side with runs left is newer.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let mut one = a.as_bytes();
    let mut two = b.as_bytes();
    let is_separator = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';

    loop {
        one = skip_while(one, is_separator);
        two = skip_while(two, is_separator);

        let (c1, c2) = (one.first().copied(), two.first().copied());
        if c1 == Some(b'~') || c2 == Some(b'~') {
            match (c1 == Some(b'~'), c2 == Some(b'~')) {
                (true, true) => {
                    one = &one[1..];
                    two = &two[1..];
                    continue;
                }
                (true, false) => return Ordering::Less,
                _ => return Ordering::Greater,
            }
        }
        if c1 == Some(b'^') || c2 == Some(b'^') {
            match (c1, c2) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(b'^'), Some(b'^')) => {
                    one = &one[1..];
                    two = &two[1..];
                    continue;
                }
                (Some(b'^'), _) => return Ordering::Less,
                _ => return Ordering::Greater,
            }
        }
        if one.is_empty() || two.is_empty() {
            break;
        }

        let numeric = one[0].is_ascii_digit();
        let in_run = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let run1 = take_while(one, in_run);
        let run2 = take_while(two, in_run);
        one = &one[run1.len()..];
        two = &two[run2.len()..];

        if run2.is_empty() {
            // The other side has a run of the other kind here: digits win.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let order = if numeric {
            let n1 = skip_while(run1, |c| *c == b'0');
            let n2 = skip_while(run2, |c| *c == b'0');
            n1.len().cmp(&n2.len()).then_with(|| n1.cmp(n2))
        } else {
            run1.cmp(run2)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn skip_while(s: &[u8], pred: impl Fn(&u8) -> bool) -> &[u8] {
    let n = s.iter().take_while(|c| pred(c)).count();
    &s[n..]
}

fn take_while(s: &[u8], pred: impl Fn(&u8) -> bool) -> &[u8] {
    let n = s.iter().take_while(|c| pred(c)).count();
    &s[..n]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn nevras_read_with_and_without_epoch() {
        let n = Nevra::parse("bash-0:5.2.26-3.fc41.x86_64").unwrap();
        assert_eq!(
            (n.name(), n.epoch(), n.version(), n.release(), n.arch()),
            ("bash", 0, "5.2.26", "3.fc41", "x86_64")
        );
        assert_eq!(n, Nevra::parse("bash-5.2.26-3.fc41.x86_64").unwrap());
        assert_eq!(n.to_string(), "bash-0:5.2.26-3.fc41.x86_64");
        assert_eq!(n.nvr(), "bash-5.2.26-3.fc41");

        let n = Nevra::parse("kernel-debug-devel-2:6.11.4-301.fc41.aarch64").unwrap();
        assert_eq!(n.name(), "kernel-debug-devel");
        assert_eq!(n.epoch(), 2);
        assert_eq!(
            n.to_string(),
            "kernel-debug-devel-2:6.11.4-301.fc41.aarch64"
        );

        let n: Nevra = "1:openssl-3.2.2-3.fc41.src".parse().unwrap();
        assert_eq!((n.name(), n.epoch(), n.arch()), ("openssl", 1, "src"));
    }

    #[test]
    fn broken_nevras_are_refused_with_the_reason() {
        for (bad, why) in [
            ("", "no '.arch'"),
            ("bash", "no '.arch'"),
            ("bash.x86_64", "no '-release'"),
            ("bash-3.x86_64", "no '-version'"),
            ("bash-x:5.2-3.x86_64", "epoch 'x' is not a number"),
            ("bash-:5.2-3.x86_64", "epoch '' is not a number"),
            ("1:bash-1:5.2-3.x86_64", "two epochs"),
            ("-5.2-3.x86_64", "the name is empty"),
            ("bash--3.x86_64", "the version is empty"),
            ("bash-5.2-.x86_64", "the release is empty"),
            ("bash-5.2-3.", "the arch is empty"),
            ("bash-5.2-3.fc41 .x86_64", "white space"),
            ("Packages/bash-5.2-3.x86_64", "'/'"),
        ] {
            let err = Nevra::parse(bad).unwrap_err();
            assert_eq!(err.field, "nevra");
            assert!(err.message.contains(why), "{bad}: {}", err.message);
            assert!(err.message.contains(&format!("'{bad}'")), "{}", err.message);
        }
    }

    /// rpm's documented cases; each was checked against librpm's
    /// `rpm.labelCompare` when this table was written.
    const CASES: &[(&str, &str, Ordering)] = &[
        ("1.0", "1.0", Equal),
        ("1.0", "2.0", Less),
        ("2.0", "1.0", Greater),
        ("2.0.1", "2.0.1", Equal),
        ("2.0", "2.0.1", Less),
        ("1.0", "1.0.1", Less),
        ("2.0.1a", "2.0.1a", Equal),
        ("2.0.1a", "2.0.1", Greater),
        ("2.0.1", "2.0.1a", Less),
        ("1.0a", "1.0.1", Less),
        ("5.5p1", "5.5p1", Equal),
        ("5.5p1", "5.5p2", Less),
        ("5.5p10", "5.5p10", Equal),
        ("5.5p1", "5.5p10", Less),
        ("10xyz", "10.1xyz", Less),
        ("xyz10", "xyz10.1", Less),
        ("xyz.4", "xyz.4", Equal),
        ("xyz.4", "8", Less),
        ("8", "xyz.4", Greater),
        ("xyz.4", "2", Less),
        ("5.5p2", "5.6p1", Less),
        ("5.6p1", "6.5p1", Less),
        ("6.0.rc1", "6.0", Greater),
        ("6.0", "6.0.rc1", Less),
        ("10b2", "10a1", Greater),
        ("10a2", "10b2", Less),
        ("1.0aa", "1.0aa", Equal),
        ("1.0a", "1.0aa", Less),
        ("10.0001", "10.0001", Equal),
        ("10.0001", "10.1", Equal),
        ("10.1", "10.0001", Equal),
        ("10.0001", "10.0039", Less),
        ("4.999.9", "5.0", Less),
        ("20101121", "20101121", Equal),
        ("20101121", "20101122", Less),
        ("2_0", "2_0", Equal),
        ("2.0", "2_0", Equal),
        ("a", "a", Equal),
        ("a+", "a+", Equal),
        ("a+", "a_", Equal),
        ("+a", "_a", Equal),
        ("+_", "_+", Equal),
        ("+", "_", Equal),
        ("1.01", "1.1", Equal),
        ("10", "9", Greater),
        ("a", "1", Less),
        ("1.0~rc1", "1.0", Less),
        ("1.0~rc1", "1.0~rc1", Equal),
        ("1.0~rc1", "1.0~rc2", Less),
        ("1.0~rc1~git123", "1.0~rc1", Less),
        ("1.0", "1.0~rc1", Greater),
        ("2.0", "2.0~", Greater),
        ("1.0^", "1.0^", Equal),
        ("1.0^", "1.0", Greater),
        ("1.0", "1.0^", Less),
        ("1.0^git1", "1.0^git1", Equal),
        ("1.0^git1", "1.0", Greater),
        ("1.0^git1", "1.0^git2", Less),
        ("1.0^git1", "1.01", Less),
        ("1.0^git1", "1.0.1", Less),
        ("1.0^20160101", "1.0^20160101", Equal),
        ("1.0^20160101", "1.0.1", Less),
        ("1.0^20160101^git1", "1.0^20160101^git1", Equal),
        ("1.0^20160102", "1.0^20160101^git1", Greater),
        ("1.0~rc1^git1", "1.0~rc1^git1", Equal),
        ("1.0~rc1^git1", "1.0~rc1", Greater),
        ("1.0^git1~pre", "1.0^git1~pre", Equal),
        ("1.0^git1", "1.0^git1~pre", Greater),
        ("1.0^git1~pre", "1.0^git1", Less),
        ("1.0^1", "1.0~1", Greater),
        ("", "", Equal),
        ("", "1", Less),
        ("1", "", Greater),
    ];

    #[test]
    fn versions_order_as_rpm_orders_them() {
        for (a, b, expected) in CASES {
            assert_eq!(rpmvercmp(a, b), *expected, "rpmvercmp({a:?}, {b:?})");
        }
    }

    #[test]
    fn evr_compares_epoch_then_version_then_release() {
        let n = |s: &str| Nevra::parse(s).unwrap();
        let base = n("bash-0:5.2.26-3.fc41.x86_64");
        assert_eq!(base.cmp_evr(&n("bash-5.2.26-3.fc41.aarch64")), Equal);
        assert_eq!(base.cmp_evr(&n("bash-1:4.0-1.fc41.x86_64")), Less);
        assert_eq!(base.cmp_evr(&n("bash-0:5.2.9-9.fc41.x86_64")), Greater);
        assert_eq!(base.cmp_evr(&n("bash-0:5.2.26-10.fc41.x86_64")), Less);
        assert_eq!(base.cmp_evr(&n("bash-0:5.2.26~rc1-9.fc41.x86_64")), Greater);
    }

    fn part() -> impl Strategy<Value = String> {
        "[A-Za-z0-9._+~^]{1,12}"
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(
            name in "[A-Za-z0-9_+][A-Za-z0-9._+-]{0,20}",
            epoch in 0u64..100,
            version in part(),
            release in part(),
            arch in "[a-z0-9_]{1,8}",
        ) {
            let text = format!("{name}-{epoch}:{version}-{release}.{arch}");
            let n = Nevra::parse(&text).unwrap();
            prop_assert_eq!(n.to_string(), text.clone());
            prop_assert_eq!(Nevra::parse(&n.to_string()).unwrap(), n);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Nevra::parse(&s);
        }

        #[test]
        fn rpmvercmp_is_antisymmetric(a in "[0-9a-c.~^_]{0,8}", b in "[0-9a-c.~^_]{0,8}") {
            prop_assert_eq!(rpmvercmp(&a, &b), rpmvercmp(&b, &a).reverse());
            prop_assert_eq!(rpmvercmp(&a, &a), Equal);
        }

        #[test]
        fn rpmvercmp_is_transitive(
            a in "[0-9a-b.~^]{0,6}",
            b in "[0-9a-b.~^]{0,6}",
            c in "[0-9a-b.~^]{0,6}",
        ) {
            let mut v = [a, b, c];
            v.sort_by(|x, y| rpmvercmp(x, y));
            prop_assert_ne!(rpmvercmp(&v[0], &v[1]), Greater);
            prop_assert_ne!(rpmvercmp(&v[1], &v[2]), Greater);
            prop_assert_ne!(rpmvercmp(&v[0], &v[2]), Greater);
        }
    }
}
