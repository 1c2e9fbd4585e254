//! `envparity history`: the parity score and finding counts of each first-parent commit that
//! changed configuration, newest first (a quarterly parity audit in one command). Which commits
//! to judge is decided here; judging one is the ordinary pipeline, run on the commit's snapshot.

pub mod snapshot;

use crate::error::Result;
use crate::policy::Date;
use snapshot::{CommitInfo, Repo};

/// Where the walk stops (that commit, or the first one older than that day, is not judged).
#[derive(Debug, Clone)]
pub enum Since {
    Date(Date),
    Revision(gix::ObjectId),
}

impl Since {
    /// `YYYY-MM-DD` is a date; anything else a revision of `repo`.
    pub fn parse(repo: &Repo, text: &str) -> Result<Since> {
        match Date::parse(text).filter(|_| text.len() == 10) {
            Some(d) => Ok(Since::Date(d)),
            None => Ok(Since::Revision(repo.commit(text)?.id)),
        }
    }
}

/// Commits walked at most, whatever `--max-count` says: a walk through a long history that
/// rarely touches configuration stays bounded.
pub const MAX_WALKED: usize = 10_000;

/// One commit's judgement, as `check` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub environments: Vec<String>,
    pub score: f64,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub waived: usize,
    pub passed: bool,
}

impl Judgement {
    /// The counts `check` prints: unwaived findings per severity, and the waived ones.
    pub fn of(analysis: &crate::check::Analysis, environments: &[String]) -> Judgement {
        use crate::policy::Severity;
        let count = |sev: Severity| {
            analysis
                .findings
                .iter()
                .filter(|f| f.severity == sev && f.waived.is_none())
                .count()
        };
        Judgement {
            environments: environments.to_vec(),
            score: analysis.score.overall,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notes: count(Severity::Note),
            waived: analysis
                .findings
                .iter()
                .filter(|f| f.waived.is_some())
                .count(),
            passed: analysis.passed,
        }
    }
}

/// A commit of the history and how it was judged, or why it could not be.
#[derive(Debug, Clone)]
pub struct Row {
    pub commit: CommitInfo,
    pub outcome: std::result::Result<Judgement, String>,
}

/// The history: rows newest first, and whether the walk stopped at `MAX_WALKED`.
#[derive(Debug, Clone)]
pub struct History {
    pub rows: Vec<Row>,
    pub truncated: bool,
}

/// The date of a commit (its committer time, in UTC).
pub fn commit_date(c: &CommitInfo) -> Date {
    Date::from_days(c.time.div_euclid(86_400))
}

/// First-parent commits from `head` (included) whose configuration differs from their
/// parent's (a root commit counts when it has any), newest first, until `since` or
/// `max_count` of them. Returns the commits and whether `MAX_WALKED` cut the walk short.
pub fn commits_to_judge(
    repo: &Repo,
    head: CommitInfo,
    since: Option<&Since>,
    max_count: usize,
) -> Result<(Vec<CommitInfo>, bool)> {
    let mut picked = Vec::new();
    let mut current = head;
    let mut files = repo.configuration(current.id)?;
    for _ in 0..MAX_WALKED {
        let stop = match since {
            Some(Since::Revision(id)) => current.id == *id,
            Some(Since::Date(d)) => commit_date(&current) < *d,
            None => false,
        };
        if stop || picked.len() >= max_count {
            return Ok((picked, false));
        }
        let parent = repo.first_parent(current.id)?;
        let parent_files = match &parent {
            Some(p) => repo.configuration(p.id)?,
            None => Default::default(),
        };
        if files != parent_files {
            picked.push(current);
        }
        match parent {
            Some(p) => {
                current = p;
                files = parent_files;
            }
            None => return Ok((picked, false)),
        }
    }
    Ok((picked, true))
}
