//! Turning object fields into dotted settings, with units where Kubernetes defines them.

use std::collections::BTreeMap;

use crate::discover::is_env_word;
use crate::error::Result;
use crate::model::{Quantity, Setting, SettingValue};
use crate::sources::units::{k8s_bytes, k8s_millicores, parse_number};

use super::tree::{Kind, Val};

pub type Settings = BTreeMap<String, Setting>;

/// Flatten a value into dotted settings: mappings recurse, lists of scalars join with ", ", lists
/// of mappings are keyed by their `name` when every item has a distinct one, else indexed.
pub fn flatten(prefix: &str, value: &Val, out: &mut Settings) {
    match &value.kind {
        Kind::Null => insert(out, prefix, "", value),
        Kind::Str(s) => insert(out, prefix, s, value),
        Kind::Map(entries) => {
            if entries.is_empty() {
                insert(out, prefix, "{}", value);
            }
            for (k, v) in entries {
                flatten(&join(prefix, k), v, out);
            }
        }
        Kind::Seq(items) => {
            if items.iter().all(|i| i.str().is_some() || i.is_null()) {
                let joined: Vec<&str> = items.iter().map(|i| i.str().unwrap_or("")).collect();
                insert(out, prefix, &joined.join(", "), value);
                return;
            }
            let names: Vec<Option<&str>> = items.iter().map(|i| i.text(&["name"])).collect();
            let mut distinct: Vec<&str> = names.iter().flatten().copied().collect();
            distinct.sort_unstable();
            distinct.dedup();
            let by_name = distinct.len() == items.len();
            for (i, item) in items.iter().enumerate() {
                let key = match (by_name, names[i]) {
                    (true, Some(name)) => join(prefix, name),
                    _ => format!("{prefix}[{i}]"),
                };
                flatten(&key, item, out);
            }
        }
    }
}

/// `a` + `b` -> `a.b`; an empty prefix gives `b`.
pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Insert a setting whose key and value decide whether it is secret; the unit follows the key.
pub fn insert(out: &mut Settings, key: &str, text: &str, at: &Val) {
    let last = key.rsplit('.').next().unwrap_or(key);
    if REFERENCE_KEYS.contains(&last) {
        return insert_plain(out, key, text, at);
    }
    let mut setting = Setting::new(key, text, at.origin.clone());
    if !setting.is_secret() {
        setting.quantity = quantity_of(key, text);
    }
    out.insert(key.to_string(), setting);
}

/// Keys whose value names a Secret rather than holding one.
const REFERENCE_KEYS: &[&str] = &[
    "secretName",
    "existingSecret",
    "existingSecretName",
    "secretRef",
    "secretKeyRef",
];

/// A reference (`secretKeyRef:db/password`) or other text that is never a secret, whatever the
/// key says.
pub fn insert_plain(out: &mut Settings, key: &str, text: impl Into<String>, at: &Val) {
    let mut setting = Setting::new("", "", at.origin.clone());
    setting.value = SettingValue::Text(text.into().into());
    out.insert(key.to_string(), setting);
}

/// The unit of a value from its key's last segment: CPU in millicores, memory and storage in
/// bytes, other numbers as numbers. Text that does not parse has no quantity.
pub fn quantity_of(key: &str, text: &str) -> Option<Quantity> {
    let last = key.rsplit('.').next().unwrap_or(key);
    if last == "cpu" || last.ends_with("-cpu") {
        return k8s_millicores(text).ok().map(Quantity::Millicores);
    }
    if matches!(last, "memory" | "storage" | "ephemeral-storage" | "size")
        || last.ends_with("-memory")
    {
        return k8s_bytes(text).ok().map(Quantity::Bytes);
    }
    parse_number(text).map(Quantity::Number)
}

/// A CPU quantity at a value, or an error at its line.
pub fn millicores(v: &Val, what: &str) -> Result<u64> {
    let text = v.expect_str(what)?;
    k8s_millicores(text).map_err(|m| v.error(format!("`{what}`: {m}")))
}

/// A byte quantity at a value, or an error at its line.
pub fn bytes(v: &Val, what: &str) -> Result<u64> {
    let text = v.expect_str(what)?;
    k8s_bytes(text).map_err(|m| v.error(format!("`{what}`: {m}")))
}

/// An object name without environment words, for setting keys that line up across
/// environments (`quota-staging` -> `quota`). `None` when nothing else is left (`staging`).
pub fn stable_key_name(name: &str, env: &str) -> Option<String> {
    let kept: Vec<&str> = name
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty() && !is_env_word(w) && !w.eq_ignore_ascii_case(env))
        .collect();
    (!kept.is_empty()).then(|| kept.join("-"))
}

/// Whole-number text at a value, or an error at its line.
pub fn count(v: &Val, what: &str) -> Result<u32> {
    let text = v.expect_str(what)?;
    text.trim().parse::<u32>().map_err(|_| {
        v.error(format!(
            "`{what}` must be a whole number, found `{}`",
            text.chars().take(40).collect::<String>()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::yaml::{parse_document, Limits};

    fn val(text: &str) -> Val {
        super::super::tree::from_yaml(
            &parse_document(text, "t.yaml", Limits::default()).unwrap(),
            "t.yaml",
        )
    }

    #[test]
    fn flattening_keys_lists_by_name_and_units() {
        let mut out = Settings::new();
        let v = val("hard:\n  limits.cpu: '4'\n  limits.memory: 8Gi\n  pods: '20'\nlist: [a, b]\nports:\n- {name: http, port: 80}\n- {name: metrics, port: 9090}\nrules:\n- {x: 1}\n- {x: 2}\n");
        flatten("quota", &v, &mut out);
        assert_eq!(
            out["quota.hard.limits.cpu"].quantity,
            Some(Quantity::Millicores(4000))
        );
        assert_eq!(
            out["quota.hard.limits.memory"].quantity,
            Some(Quantity::Bytes(8 << 30))
        );
        assert_eq!(
            out["quota.hard.pods"].quantity,
            Some(Quantity::Number(20.0))
        );
        assert_eq!(out["quota.list"].display(), "a, b");
        assert_eq!(out["quota.ports.metrics.port"].display(), "9090");
        assert_eq!(out["quota.rules[1].x"].display(), "2");
        assert_eq!(
            out["quota.hard.limits.cpu"].origin,
            Origin::new("t.yaml", 2)
        );
    }

    #[test]
    fn secrets_are_masked_and_references_are_not() {
        let mut out = Settings::new();
        let v = val("auth:\n  password: hunter2hunter2\n");
        flatten("values", &v, &mut out);
        assert!(out["values.auth.password"].is_secret());
        insert_plain(&mut out, "env.DB_PASSWORD", "secretKeyRef:db/password", &v);
        insert(&mut out, "tls[0].secretName", "app-tls", &v);
        assert!(!out["tls[0].secretName"].is_secret());
        assert_eq!(out["env.DB_PASSWORD"].display(), "secretKeyRef:db/password");
    }

    #[test]
    fn env_words_leave_names() {
        assert_eq!(
            stable_key_name("quota-staging", "staging").as_deref(),
            Some("quota")
        );
        assert_eq!(stable_key_name("production", "production"), None);
        assert_eq!(
            stable_key_name("eu-west-app", "eu-west").as_deref(),
            Some("eu-west-app")
        );
    }
}
