//! What release engineering is supposed to produce: products, their versions,
//! releases and base products, and the identifiers PDC derives for them
//! (productmd's rules).

use crate::ModelError;

/// A product, release or base product short name: lower-case letters and
/// digits in dash-separated parts, starting with a letter (`fedora`,
/// `fedora-epel`). Upper-case input is lower-cased first, as PDC does.
pub fn parse_short(field: &str, raw: &str) -> Result<String, ModelError> {
    let short = raw.to_lowercase();
    let valid = short.starts_with(|c: char| c.is_ascii_lowercase())
        && !short.ends_with('-')
        && !short.contains("--")
        && short
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(short)
    } else {
        Err(ModelError::new(
            field,
            format!(
                "Only accept lowercase letters, numbers or - (and starting with a letter), got '{raw}'"
            ),
        ))
    }
}

/// A version: either not starting with a digit (`rawhide`), or digits in
/// dot-separated parts (`24`, `7.1`).
pub fn parse_version(field: &str, raw: &str) -> Result<String, ModelError> {
    let numeric = !raw.is_empty()
        && raw
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let named = raw.chars().next().is_some_and(|c| !c.is_ascii_digit());
    if (numeric || named) && !raw.contains('/') {
        Ok(raw.to_string())
    } else {
        Err(ModelError::new(
            field,
            format!(
                "Only accept comma separated numbers or any text starting with a non-digit, got '{raw}'"
            ),
        ))
    }
}

/// `fedora-24`, `fedora-24-updates`, `sat-6.0@rhel-7`: short and version,
/// the release type unless it is `ga`, and the base product after `@`.
pub fn release_id(
    short: &str,
    version: &str,
    release_type: &str,
    base_product: Option<&str>,
) -> String {
    let mut id = format!("{short}-{version}");
    if release_type != "ga" {
        id.push('-');
        id.push_str(release_type);
    }
    if let Some(bp) = base_product {
        id.push('@');
        id.push_str(bp);
    }
    id
}

/// `fedora-24`: a product version's identifier (short and version, no type).
pub fn product_version_id(short: &str, version: &str) -> String {
    format!("{short}-{version}")
}

/// A text whose byte order is PDC's order of releases: by short, then by
/// version with numeric parts compared as numbers. Kept in a column, so the
/// database sorts (PDC sorted whole tables in Python).
pub fn sort_key(short: &str, version: &str) -> String {
    let parts: Vec<String> = version
        .split('.')
        .map(|part| match part.parse::<u64>() {
            Ok(n) => format!("0{n:020}"),
            Err(_) => format!("1{part}"),
        })
        .collect();
    format!("{short}\u{1}{}", parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorts_follow_productmd() {
        assert_eq!(parse_short("short", "Fedora").unwrap(), "fedora");
        assert_eq!(parse_short("short", "fedora-epel").unwrap(), "fedora-epel");
        for bad in [
            "",
            "1fedora",
            "fedora-",
            "fe--dora",
            "fedora_epel",
            "fedora 24",
        ] {
            assert!(parse_short("short", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_are_numbers_or_names() {
        for ok in ["24", "7.1", "rawhide", "Rawhide-2"] {
            assert!(parse_version("version", ok).is_ok(), "{ok}");
        }
        for bad in ["", "7.", "7..1", "24a", "1/2"] {
            assert!(parse_version("version", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn release_ids_are_derived_as_pdc_does() {
        assert_eq!(release_id("fedora", "24", "ga", None), "fedora-24");
        assert_eq!(
            release_id("fedora", "24", "updates", None),
            "fedora-24-updates"
        );
        assert_eq!(
            release_id("sat", "6.0", "ga", Some("rhel-7")),
            "sat-6.0@rhel-7"
        );
        assert_eq!(product_version_id("fedora", "rawhide"), "fedora-rawhide");
    }

    #[test]
    fn sort_keys_order_releases_as_pdc() {
        let mut v = vec![
            ("fedora", "10"),
            ("epel", "9"),
            ("fedora", "9"),
            ("fedora", "rawhide"),
            ("fedora", "9.1"),
        ];
        v.sort_by_key(|(s, ver)| sort_key(s, ver));
        assert_eq!(
            v,
            vec![
                ("epel", "9"),
                ("fedora", "9"),
                ("fedora", "9.1"),
                ("fedora", "10"),
                ("fedora", "rawhide")
            ]
        );
    }
}
