//! The account system: a new user is a person among the contacts
//! (pdc-updater's `NewPersonHandler`, which posted to an endpoint PDC no
//! longer had). The address is `<user>@<domain>`, the domain Fedora's by
//! default. A person already there is left as is.
//!
//! Shapes read: noggin's `fas.user.create` (`msg.user`), FAS2's
//! (`user.username`) and a bare `user`.

use super::handler::{HandlerError, Prepared, Write, text};
use almanac_store::contacts::{self, ContactKind};
use serde_json::Value;

/// The domain of the addresses of new people unless configured.
pub const DEFAULT_EMAIL_DOMAIN: &str = "fedoraproject.org";

/// The new user's name, from any of the shapes.
pub fn username(body: &Value) -> Option<&str> {
    text(body, "/msg/user")
        .or_else(|| text(body, "/user/username"))
        .or_else(|| text(body, "/user"))
        .or_else(|| text(body, "/msg/user/username"))
}

/// Whether a name is one the account system would have made.
fn plausible(name: &str) -> bool {
    name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn new_user(body: &Value, domain: &str) -> Result<Prepared, HandlerError> {
    let name = username(body)
        .ok_or_else(|| HandlerError::Failed("Missing field \"user\"".into()))?
        .to_string();
    if !plausible(&name) {
        return Err(HandlerError::Failed(format!(
            "{name:?} is not a username (letters, digits, '-', '_' and '.')"
        )));
    }
    let email = format!("{name}@{domain}");
    let write: Write = Box::new(move |c, changes| {
        if ensure_person(c, &name, &email, false, changes)? {
            Ok(format!("person {name} <{email}>"))
        } else {
            Ok(format!("person {name} was there already"))
        }
    });
    Ok(Prepared::Write(write))
}

/// Makes the person if missing (and, with `fix_email`, sets the address
/// when it differs); answers whether anything was written.
pub(crate) fn ensure_person(
    c: &mut dyn almanac_store::Conn,
    name: &str,
    email: &str,
    fix_email: bool,
    changes: &mut Vec<almanac_store::changes::Change>,
) -> Result<bool, almanac_store::StoreError> {
    let existing = contacts::contact_named(c, ContactKind::Person, name)?;
    match &existing {
        Some(p) if !fix_email || p.email == email => Ok(false),
        _ => {
            contacts::save_contact(
                c,
                existing.as_ref(),
                ContactKind::Person,
                name,
                email,
                changes,
            )?;
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_shape_names_the_user() {
        assert_eq!(
            username(&json!({"msg": {"agent": "admin", "user": "alice"}})),
            Some("alice")
        );
        assert_eq!(
            username(&json!({"user": {"username": "bob"}, "agent": {"username": "x"}})),
            Some("bob")
        );
        assert_eq!(username(&json!({"user": "carol"})), Some("carol"));
        assert_eq!(username(&json!({"agent": "x"})), None);
        assert!(matches!(
            new_user(&json!({"user": "a b"}), DEFAULT_EMAIL_DOMAIN),
            Err(HandlerError::Failed(_))
        ));
    }
}
