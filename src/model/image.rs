//! Container image references: `registry:5000/team/app:1.2@sha256:...`.

use serde::Serialize;

/// A parsed image reference. A missing tag is kept as `None` (the runtime's implicit `latest`), so
/// "no tag" and an explicit `latest` stay distinguishable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ImageRef {
    /// Registry and path, e.g. `ghcr.io/acme/job-finder` or `postgres`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// When the reference has no tag and a Helm chart fills it in (`image.tag` absent or `""`
    /// defaults to the chart's `appVersion`, or to the tag in the chart's own values): what
    /// pins the chart. `None` when nothing does: the runtime pulls `latest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart_tag: Option<ChartTag>,
}

/// What supplies the tag a Helm image override leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "from", content = "value")]
pub enum ChartTag {
    /// A chart in the repository: its `appVersion`, which its templates use as the tag
    /// (`.Values.image.tag | default .Chart.AppVersion`).
    AppVersion(String),
    /// A chart pulled from a chart repository: the tag in its own values, as pinned as the
    /// chart's version (`27.0.12`, or a range `17.x`).
    ChartVersion(String),
    /// A chart pulled with no version: its tag moves with each chart release.
    Unpinned,
}

impl ImageRef {
    /// Parse an image reference as Docker does: the tag is after the last `:` that follows the
    /// last `/` (so a registry port is not a tag), the digest after `@`.
    pub fn parse(reference: &str) -> ImageRef {
        let reference = reference.trim();
        let (name, digest) = match reference.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (reference, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (
                &name[..last_slash + i],
                Some(name[last_slash + i + 1..].to_string()),
            ),
            None => (name, None),
        };
        ImageRef {
            repository: repository.to_string(),
            tag: tag.filter(|t| !t.is_empty()),
            digest,
            chart_tag: None,
        }
    }

    /// The last path component: `postgres` for `docker.io/library/postgres`.
    pub fn short_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repository_tag_and_digest() {
        let i = ImageRef::parse("registry.example.com:5000/team/app:1.2.3@sha256:abc");
        assert_eq!(i.repository, "registry.example.com:5000/team/app");
        assert_eq!(i.tag.as_deref(), Some("1.2.3"));
        assert_eq!(i.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(i.short_name(), "app");
        assert_eq!(
            i.to_string(),
            "registry.example.com:5000/team/app:1.2.3@sha256:abc"
        );
    }

    #[test]
    fn registry_port_is_not_a_tag_and_no_tag_is_none() {
        let i = ImageRef::parse("localhost:5000/app");
        assert_eq!(i.repository, "localhost:5000/app");
        assert_eq!(i.tag, None);
        let p = ImageRef::parse("postgres:15-alpine");
        assert_eq!(
            (p.repository.as_str(), p.tag.as_deref()),
            ("postgres", Some("15-alpine"))
        );
        assert_eq!(ImageRef::parse("redis").tag, None);
        assert_eq!(ImageRef::parse("").repository, "");
    }
}
