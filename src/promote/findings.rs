//! Findings before and after the promotion, compared by what they are about.

use std::collections::BTreeSet;

use crate::rules::Finding;

/// What a finding is about: rule, environment, service and setting. The message and the line
/// may move with the promoted values; the fact stays the same.
type Key<'a> = (
    &'static str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn key(f: &Finding) -> Key<'_> {
    (
        f.rule,
        f.environment.as_deref(),
        f.service.as_deref(),
        f.setting.as_deref(),
    )
}

/// `(introduced, cleared)`: findings of `after` whose fact is not among `before`'s, and
/// findings of `before` whose fact is gone from `after`.
pub fn diff(before: &[Finding], after: &[Finding]) -> (Vec<Finding>, Vec<Finding>) {
    let keys_before: BTreeSet<Key> = before.iter().map(key).collect();
    let keys_after: BTreeSet<Key> = after.iter().map(key).collect();
    let introduced = after
        .iter()
        .filter(|f| !keys_before.contains(&key(f)))
        .cloned()
        .collect();
    let cleared = before
        .iter()
        .filter(|f| !keys_after.contains(&key(f)))
        .cloned()
        .collect();
    (introduced, cleared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::find;

    fn finding(rule: &str, service: &str, message: &str) -> Finding {
        Finding::new(find(rule).unwrap(), message)
            .env("production")
            .service(service)
            .setting("image")
    }

    #[test]
    fn the_same_fact_with_another_message_is_neither_introduced_nor_cleared() {
        let before = [
            finding("EP006", "web", "image `web:latest` uses the mutable tag"),
            finding("EP012", "web", "repository differs"),
        ];
        let after = [
            finding("EP006", "web", "image `web:main` names a branch"),
            finding("EP001", "web", "names staging"),
        ];
        let (introduced, cleared) = diff(&before, &after);
        assert_eq!(
            introduced.iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["EP001"]
        );
        assert_eq!(
            cleared.iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["EP012"]
        );
    }
}
