//! Users and their API tokens. A token is shown once, when created; the store
//! keeps only its SHA-256.

use crate::changes::{self, Actor, Change};
use crate::db::{Conn, Value};
use crate::error::{StoreError, StoreResult};
use almanac_model::{ModelError, Timestamp};
use sha2::{Digest, Sha256};

/// A user as authentication sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub groups: Vec<String>,
    pub is_superuser: bool,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_name(field: &str, value: &str) -> Result<(), ModelError> {
    let ok = !value.is_empty()
        && value.len() <= 150
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ModelError::new(
            field,
            format!("{field} '{value}' must be 1-150 letters, digits or . _ - @ +"),
        ))
    }
}

/// Creates the user if needed, adds `groups` (and superuser status when
/// asked), and answers a new token for them.
pub fn create_token(
    conn: &mut dyn Conn,
    username: &str,
    groups: &[String],
    superuser: bool,
    actor: &Actor,
) -> StoreResult<String> {
    check_name("username", username)?;
    for g in groups {
        check_name("group", g)?;
    }
    let now = Timestamp::now().micros();
    let existing = conn.query_opt(
        "SELECT id, is_superuser FROM users WHERE username = $1",
        &[username.into()],
    )?;
    let mut change_list = Vec::new();
    let user_id = match existing {
        Some(row) => {
            let id = row.int(0)?;
            if superuser && !row.bool(1)? {
                conn.execute(
                    "UPDATE users SET is_superuser = $1 WHERE id = $2",
                    &[true.into(), id.into()],
                )?;
                change_list.push(Change {
                    target_class: "user",
                    target_id: id,
                    old: Some(serde_json::json!({"username": username, "is_superuser": false})),
                    new: Some(serde_json::json!({"username": username, "is_superuser": true})),
                });
            }
            id
        }
        None => {
            let row = conn
                .query_opt(
                    "INSERT INTO users (username, is_superuser, created_at) VALUES ($1, $2, $3) RETURNING id",
                    &[username.into(), superuser.into(), now.into()],
                )?
                .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?;
            let id = row.int(0)?;
            change_list.push(Change {
                target_class: "user",
                target_id: id,
                old: None,
                new: Some(serde_json::json!({"username": username, "is_superuser": superuser})),
            });
            id
        }
    };
    for g in groups {
        crate::permissions::ensure_group(conn, g)?;
        let added = conn.execute(
            "INSERT INTO user_groups (user_id, group_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[user_id.into(), g.into()],
        )?;
        if added > 0 {
            change_list.push(Change {
                target_class: "user_group",
                target_id: user_id,
                old: None,
                new: Some(serde_json::json!({"username": username, "group": g})),
            });
        }
    }
    let mut raw = [0u8; 24];
    getrandom::fill(&mut raw).map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
    let token = format!("alm_{}", hex::encode(raw));
    conn.execute(
        "INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
        &[user_id.into(), hash(&token).into(), now.into()],
    )?;
    changes::record(conn, actor, change_list)?;
    Ok(token)
}

/// The user a token belongs to, if the token is known and not revoked.
pub fn authenticate(conn: &mut dyn Conn, token: &str) -> StoreResult<Option<User>> {
    let Some(mut row) = conn.query_opt(
        "SELECT u.id, u.username, u.is_superuser
           FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        &[hash(token).into()],
    )?
    else {
        return Ok(None);
    };
    let id = row.int(0)?;
    let groups = conn
        .query(
            "SELECT group_name FROM user_groups WHERE user_id = $1 ORDER BY group_name",
            &[Value::Int(id)],
        )?
        .into_iter()
        .map(|mut r| r.text(0))
        .collect::<Result<_, _>>()?;
    Ok(Some(User {
        id,
        username: row.text(1)?,
        groups,
        is_superuser: row.bool(2)?,
    }))
}

/// The groups Almanac knows `username` in (none for a user it does not know).
pub fn groups_of(conn: &mut dyn Conn, username: &str) -> StoreResult<Vec<String>> {
    conn.query(
        "SELECT g.group_name FROM user_groups g JOIN users u ON u.id = g.user_id
          WHERE u.username = $1 ORDER BY g.group_name",
        &[Value::from(username)],
    )?
    .into_iter()
    .map(|mut r| r.text(0).map_err(Into::into))
    .collect()
}
