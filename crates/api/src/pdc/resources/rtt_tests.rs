//! `compose-tree-rtt-tests/` and `compose-image-rtt-tests/`: the release
//! testing state of each tree and each image of a compose.

use super::to_json;
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::composes::{self as store, ComposeFilter, ComposePatch};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `compose-tree-rtt-tests/`: the release testing state of each tree of a
/// compose (the same states as a compose's `rtt_tested_architectures`).
pub struct ComposeTreeRttTests;

impl Resource for ComposeTreeRttTests {
    fn prefix(&self) -> &'static str {
        "compose-tree-rtt-tests"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["compose", "variant", "arch", "test_result"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["compose", "variant", "arch", "test_result"]
    }
    fn writes(&self) -> Writes {
        Writes {
            create: false,
            update: true,
            delete: false,
        }
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = ComposeFilter {
            compose_ids: q.values("compose").to_vec(),
            ..Default::default()
        };
        let mut items = Vec::new();
        for c in store::list_composes(conn, &f, &[], None)?.1 {
            for (variant, arches) in &c.rtt_tested_architectures {
                for (arch, state) in arches {
                    let keep = |name: &str, v: &str| {
                        let want = q.values(name);
                        want.is_empty() || want.iter().any(|w| w == v)
                    };
                    if keep("variant", variant) && keep("arch", arch) && keep("test_result", state)
                    {
                        items.push(serde_json::json!({
                            "compose": c.compose_id, "variant": variant, "arch": arch, "test_result": state,
                        }));
                    }
                }
            }
        }
        let total = items.len() as i64;
        let items = match q.page {
            None => items,
            Some((page, size)) => items
                .into_iter()
                .skip(((page.max(1) - 1) * size) as usize)
                .take(size as usize)
                .collect(),
        };
        Ok((total, items))
    }

    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let parts: Vec<&str> = key.split('/').collect();
        let [compose, variant, arch] = parts.as_slice() else {
            return Ok(None);
        };
        let Some(c) = store::get_compose(conn, compose)? else {
            return Ok(None);
        };
        Ok(c.rtt_tested_architectures
            .get(*variant)
            .and_then(|a| a.get(*arch))
            .map(|state| {
                serde_json::json!({"compose": compose, "variant": variant, "arch": arch, "test_result": state})
            }))
    }

    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        _partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["test_result"], &["compose", "variant", "arch"])?;
        let parts: Vec<&str> = key.split('/').collect();
        let [compose, variant, arch] = parts.as_slice() else {
            return Err(PdcError::not_found());
        };
        let old = store::get_compose(conn, compose)?.ok_or_else(PdcError::not_found)?;
        if old
            .rtt_tested_architectures
            .get(*variant)
            .and_then(|a| a.get(*arch))
            .is_none()
        {
            return Err(PdcError::not_found());
        }
        let state = required_text(body, "test_result")?;
        let mut rtt = BTreeMap::new();
        rtt.insert(
            variant.to_string(),
            BTreeMap::from([(arch.to_string(), state.clone())]),
        );
        let patch = ComposePatch {
            rtt_tested_architectures: Some(rtt),
            ..Default::default()
        };
        store::update_compose(conn, &old, &patch, changes)?;
        Ok(
            serde_json::json!({"compose": compose, "variant": variant, "arch": arch, "test_result": state}),
        )
    }
}

// ---------------------------------------------------------------------------

/// `compose-image-rtt-tests/`: the release testing state of each image of
/// a compose, keyed `compose/variant/arch/file_name`.
pub struct ComposeImageRttTests;

fn image_test_key(key: &str) -> Option<store::ImageTestFilter> {
    let parts: Vec<&str> = key.splitn(4, '/').collect();
    let [compose, variant, arch, file_name] = parts.as_slice() else {
        return None;
    };
    Some(store::ImageTestFilter {
        composes: vec![compose.to_string()],
        variants: vec![variant.to_string()],
        arches: vec![arch.to_string()],
        file_names: vec![file_name.to_string()],
        test_results: Vec::new(),
    })
}

impl Resource for ComposeImageRttTests {
    fn prefix(&self) -> &'static str {
        "compose-image-rtt-tests"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["compose", "variant", "arch", "file_name", "test_result"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["compose", "variant", "arch", "file_name", "test_result"]
    }
    fn writes(&self) -> Writes {
        Writes {
            create: false,
            update: true,
            delete: false,
        }
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::ImageTestFilter {
            composes: q.values("compose").to_vec(),
            variants: q.values("variant").to_vec(),
            arches: q.values("arch").to_vec(),
            file_names: q.values("file_name").to_vec(),
            test_results: q.values("test_result").to_vec(),
        };
        let (count, items) = store::list_image_tests(conn, &f, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(f) = image_test_key(key) else {
            return Ok(None);
        };
        Ok(store::list_image_tests(conn, &f, None)?
            .1
            .pop()
            .as_ref()
            .map(to_json))
    }

    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        if !partial {
            return Err(PdcError::method_not_allowed("PUT"));
        }
        check_body(
            body,
            &["test_result"],
            &["compose", "variant", "arch", "file_name"],
        )?;
        let f = image_test_key(key).ok_or_else(PdcError::not_found)?;
        let old = store::list_image_tests(conn, &f, None)?
            .1
            .pop()
            .ok_or_else(PdcError::not_found)?;
        let state = required_text(body, "test_result")?;
        Ok(to_json(&store::set_image_test(
            conn, &old, &state, changes,
        )?))
    }
}
