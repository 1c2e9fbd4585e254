//! Command line: parse arguments, run the pipeline, print, choose the exit code.
//!
//! Exit codes: 0 success; 1 `check` failed (a finding at or above `fail_on`, or the score below
//! `min_score`) or `promote` is blocked; 2 usage or input error (a file that cannot be read or
//! understood).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod docs;
mod outputs;
mod projects;
mod ui;

use projects::Scope;

use crate::align::align;
use crate::check;
use crate::compare::compare;
use crate::discover::{self, Plan};
use crate::error::{Error, Result};
use crate::escape;
use crate::live::run::LiveArgs;
use crate::live::LiveComparison;
use crate::model::Scan;
use crate::policy::{self, Date};
use crate::report::history::HistoryFormat;
use crate::report::promote::{PromoteFormat, PromoteInput};
use crate::report::{self, Format, ReportInput};
use crate::rules;
use crate::sources::{self, Workspace};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_INPUT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "envparity",
    version = env!("ENVPARITY_VERSION"),
    about = "Tells how your environments (staging, production, dev) differ, from the configuration itself",
    long_about = "envparity reads the configuration in a repository (Docker Compose, Kubernetes manifests, \
Kustomize overlays, Helm values, Flux and CloudNativePG resources, Terraform, dotenv, app config, nginx, \
postgresql.conf and redis.conf files) and shows \
how each environment differs: service by service, setting by setting, with resource totals and the \
reduction of each environment against production. Every value points back to its file and line; \
secrets are masked in every output.",
    after_help = "Examples:\n  envparity discover .                      which environments and files are found\n  \
envparity compare examples/obcms          side-by-side tables in the terminal\n  \
envparity report . -o ENVIRONMENTS.md     the Markdown document to check in\n  \
envparity report . --format json          the stable JSON (docs/json-schema.md)\n  \
envparity report . -f html -o report.html one self-contained page to open or attach\n  \
envparity check .                         gate CI: exit 1 on failing findings or a low score\n  \
envparity baseline .                      record today's findings; then `check . --baseline .envparity-baseline.json` fails only on new ones\n  \
envparity promote . --from staging --to production   what production becomes, and the checklist\n  \
envparity explain EP001                   what a rule finds, why it matters, how to fix it\n  \
envparity init .                          write a commented envparity.toml to start from\n  \
envparity completions bash                a shell completion script (bash, zsh, fish, powershell)\n  \
envparity man > envparity.1               the manual page\n  \
envparity compare . --env staging=compose.yml,compose.stg.yml --env production=compose.yml,compose.prd.yml\n\n\
Exit codes: 0 success; 1 `check` failed or `promote` is blocked; 2 usage or input error (the message names the file and line).\n\
Colour: --color, or NO_COLOR=1 to disable; off when output is not a terminal."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print nothing but errors: the exit code tells the result (files named with -o are still
    /// written).
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also tell, on standard error, which files were read and how long each stage took.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the environments found and the files behind each.
    Discover {
        #[command(flatten)]
        scan: ScanArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiscoverFormat::Text)]
        format: DiscoverFormat,
    },
    /// Show side-by-side tables of every service, setting and resource total.
    Compare {
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Write the comparison as a Markdown document, JSON, plain text, or an HTML page.
    Report {
        #[command(flatten)]
        scan: ScanArgs,
        #[command(flatten)]
        live: LiveArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write to this file instead of standard output (`-` is standard output). A symlink
        /// there is refused, never written through.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Judge the environments for CI: hazards and drift against the policy, and the parity
    /// score. Exit 0 when nothing fails, 1 when a finding at or above `fail_on` is not waived
    /// or the score is below `min_score`, 2 on bad input.
    Check {
        #[command(flatten)]
        scan: ScanArgs,
        #[command(flatten)]
        live: LiveArgs,
        /// Output format (default text). Repeat with -o for several outputs of one run:
        /// `-f sarif -o x.sarif -f md -o comment.md`.
        #[arg(long, short = 'f', value_enum)]
        format: Vec<CheckFormat>,
        /// Write the format given in the same position to this file instead of standard output
        /// (`-` is standard output). A symlink there is refused, never written through.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Vec<PathBuf>,
        /// Exit 0 even when the gate fails (soft fail, e.g. to upload SARIF first); bad input
        /// still exits 2.
        #[arg(long)]
        exit_zero: bool,
        /// Findings recorded in this baseline file (`envparity baseline`) are shown as
        /// baselined and do not fail the gate; only new ones do.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Compare with the repository at this git revision (`origin/main`), read from git's
        /// objects: findings added and fixed, the score before and after, differences
        /// introduced and closed, ahead of the text and Markdown outputs, `delta` in JSON.
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// With --base: fail only on new findings at or above `fail_on`.
        #[arg(long, requires = "base")]
        fail_on_new: bool,
    },
    /// Record today's findings by content fingerprint, so that `check --baseline FILE` fails
    /// only on new ones (adopting the gate without fixing the past first).
    Baseline {
        #[command(flatten)]
        scan: ScanArgs,
        /// The baseline file to write, relative to the current directory (`-` is standard
        /// output). A symlink there is refused, never written through.
        #[arg(long, short = 'o', value_name = "FILE", default_value = crate::baseline::DEFAULT_FILE)]
        output: PathBuf,
    },
    /// Read the running PostgreSQL and Redis servers of each environment (read-only) and
    /// compare them with each other and with what the repository declares. Exit 0 when every
    /// server was read, 2 when one could not be (the others are still reported).
    Live {
        #[command(flatten)]
        scan: ScanArgs,
        #[command(flatten)]
        live: LiveArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// What the target environment becomes when the source's images and versions are
    /// promoted into it, and the promotion checklist. Exit 0 when nothing blocks the
    /// promotion, 1 when it would introduce an error-level finding or leave a must-match item
    /// different, 2 on bad input.
    Promote {
        #[command(flatten)]
        scan: ScanArgs,
        /// The environment promoted from (default: the one just below --to).
        #[arg(long, value_name = "ENV")]
        from: Option<String>,
        /// The environment promoted to (default: the reference, the highest environment).
        #[arg(long, value_name = "ENV")]
        to: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = PromoteFormat::Text)]
        format: PromoteFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The parity score and finding counts of each commit that changed configuration,
    /// newest first, following first parents from HEAD. Each commit is read from git's object
    /// database (no checkout, nothing written into the repository) and judged as `check` would.
    History {
        #[command(flatten)]
        scan: ScanArgs,
        /// Stop at this revision (not judged) or before this date (YYYY-MM-DD).
        #[arg(long, value_name = "REV|DATE")]
        since: Option<String>,
        /// Judge at most this many commits.
        #[arg(long, short = 'n', value_name = "N", default_value_t = 20)]
        max_count: usize,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = HistoryFormat::Text)]
        format: HistoryFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a rule's documentation: what it finds, why it matters, how to fix it.
    Explain {
        /// Rule ID or name (`EP001`, `cross-environment-reference`).
        rule: Option<String>,
        /// List every rule.
        #[arg(long)]
        list: bool,
    },
    /// Write a commented envparity.toml for the environments found at PATH.
    Init {
        #[command(flatten)]
        scan: ScanArgs,
        /// Replace an existing envparity.toml.
        #[arg(long)]
        force: bool,
        /// Print the file instead of writing it.
        #[arg(long)]
        stdout: bool,
    },
    /// Print a shell completion script, e.g. `envparity completions bash >
    /// ~/.local/share/bash-completion/completions/envparity`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `envparity man | man -l -`; `envparity man check`
    /// prints the page of one subcommand.
    Man {
        /// The subcommand whose page is printed (default: the main page).
        subcommand: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// Findings grouped by severity, and the score.
    Text,
    /// The judgement as JSON: summary, differences, findings, score and gate (schema version
    /// 2, docs/json-schema.md); `report --format json` is the full document.
    Json,
    /// SARIF 2.1.0, for code-scanning uploads.
    Sarif,
    /// JUnit XML: per environment pair, one test case per finding (a passing one per rule
    /// that found nothing).
    Junit,
    /// Markdown for a pull-request comment: summary first, details folded, at most 65,000
    /// characters.
    Md,
    /// One self-contained HTML page: gate, heat map, filterable findings, charts.
    Html,
    /// GitHub Actions annotations (`::error file=...,line=...::message`), one per finding.
    Github,
    /// GitLab Code Quality report (JSON), for `artifacts: reports: codequality`.
    Gitlab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiscoverFormat {
    Text,
    Json,
}

#[derive(Args, Debug, Clone)]
struct ScanArgs {
    /// The repository to read (default: the current directory). Nothing in it is written or run.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// State an environment and its files instead of discovering them, base file first:
    /// NAME=FILE[,FILE...], paths relative to PATH. Repeat for each environment.
    #[arg(long = "env", value_name = "NAME=FILES")]
    envs: Vec<String>,
    /// The policy file (default: envparity.toml at PATH, if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Largest file read, in bytes; bigger files are an error.
    #[arg(long, value_name = "BYTES", default_value_t = sources::DEFAULT_MAX_FILE_BYTES)]
    max_file_size: u64,
    /// Most bytes read by the whole run, every read counted (README "Safety": the run budget).
    #[arg(long, value_name = "BYTES", default_value_t = sources::BudgetLimits::default().bytes_read)]
    max_total_size: u64,
    /// Let `${VAR}` interpolation (Compose, dotenv) read this process's environment, as Compose
    /// does; values from it are always masked. Off by default: a scan does not depend on who
    /// runs it, and a CI runner's tokens never reach a report.
    #[arg(long)]
    env_from_process: bool,
    /// With `[[projects]]` in envparity.toml: only this project (needed by html, promote,
    /// history and live, which show one project at a time).
    #[arg(long, value_name = "NAME")]
    project: Option<String>,
    /// A project without an envparity.toml of its own: the root's, relative to the project
    /// (`../../envparity.toml`), so that it is found in a revision's snapshot too.
    #[arg(skip)]
    inherited_policy: Option<String>,
}

/// Run the command line and return the process exit code.
pub fn main() -> i32 {
    guard_panics(run_cli)
}

/// Runs `body`, turning any panic into a short internal error (exit 2): a panic message may
/// quote the input (a pattern, a value), so it is cut short and never followed by a backtrace.
fn guard_panics(body: impl FnOnce() -> i32 + std::panic::UnwindSafe) -> i32 {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("{}", internal_error_message(&message));
    }));
    // Rayon hands a worker's panic to the thread that waits for it, so one catch here is enough.
    std::panic::catch_unwind(body).unwrap_or(EXIT_INPUT_ERROR)
}

/// Longest part of a panic message shown.
const PANIC_MESSAGE_CHARS: usize = 200;

fn internal_error_message(message: &str) -> String {
    let mut shown: String = message
        .chars()
        .take(PANIC_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().count() > PANIC_MESSAGE_CHARS {
        shown.push_str("...");
    }
    format!("error: internal error: {shown}")
}

fn run_cli() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_INPUT_ERROR
            } else {
                EXIT_OK
            };
        }
    };
    let color = use_color(cli.color);
    ui::set(match (cli.quiet, cli.verbose) {
        (true, _) => ui::Level::Quiet,
        (false, true) => ui::Level::Verbose,
        (false, false) => ui::Level::Normal,
    });
    match run(cli.command, color) {
        Ok(code) => code,
        Err(e) => {
            let prefix = if color {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            eprintln!("{prefix}: {e}");
            EXIT_INPUT_ERROR
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn run(command: Command, color: bool) -> Result<i32> {
    match command {
        Command::Discover { scan, format } => {
            let scan = match projects::scope(&scan)? {
                Scope::One(scan, _) => scan,
                Scope::Projects(units) => return projects::discover(&units, format),
            };
            let (_, plan) = plan(&scan)?;
            let text = match format {
                DiscoverFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&plan)
                        .map_err(|e| Error::msg(e.to_string()))?;
                    s.push('\n');
                    s
                }
                DiscoverFormat::Text => escape::document(&discover_text(&plan), false).into_owned(),
            };
            print(&text)?;
            Ok(EXIT_OK)
        }
        Command::Compare { scan } => {
            let scan = match projects::scope(&scan)? {
                Scope::One(scan, _) => scan,
                Scope::Projects(units) => return projects::compare(&units, color),
            };
            let p = pipeline(&scan, None, color)?;
            print(&escape::document(
                &report::render(Format::Text, &p.input(), color),
                color,
            ))?;
            Ok(EXIT_OK)
        }
        Command::Check {
            scan,
            live,
            format,
            output,
            exit_zero,
            baseline,
            base,
            fail_on_new,
        } => {
            let renderings = outputs::pair(&format, &output, CheckFormat::Text)?;
            let gate = GateOptions {
                baseline: baseline.as_deref(),
                base: base.as_deref(),
                fail_on_new,
                exit_zero,
            };
            match projects::scope(&scan)? {
                Scope::One(scan, project) => {
                    check_command(&scan, project.as_deref(), &live, &renderings, &gate, color)
                }
                Scope::Projects(units) => projects::check(&units, &live, &renderings, &gate, color),
            }
        }
        Command::Baseline { scan, output } => match projects::scope(&scan)? {
            Scope::One(scan, project) => write_baseline(&scan, project.as_deref(), &output, color),
            Scope::Projects(units) => projects::baseline(&units, &output, color),
        },
        Command::Explain { rule, list } => explain(rule.as_deref(), list),
        Command::History {
            scan,
            since,
            max_count,
            format,
            output,
        } => history(
            &projects::single(&scan, "history")?,
            since.as_deref(),
            max_count,
            format,
            output.as_deref(),
        ),
        Command::Completions { shell } => {
            print(&docs::completions(shell))?;
            Ok(EXIT_OK)
        }
        Command::Man { subcommand, output } => {
            let page = docs::man_page(subcommand.as_deref())?;
            write_output(output.as_deref(), |w| w.write_all(&page))?;
            Ok(EXIT_OK)
        }
        Command::Promote {
            scan,
            from,
            to,
            format,
            output,
        } => promote(
            &projects::single(&scan, "promote")?,
            (from.as_deref(), to.as_deref()),
            format,
            output.as_deref(),
            color,
        ),
        Command::Init {
            scan,
            force,
            stdout,
        } => init(&projects::single(&scan, "init")?, force, stdout),
        Command::Live {
            scan,
            live,
            format,
            output,
        } => live_command(
            &projects::single(&scan, "live")?,
            &live,
            format,
            output.as_deref(),
        ),
        Command::Report {
            scan,
            live,
            format,
            output,
        } => {
            let scan = match projects::scope(&scan)? {
                Scope::One(scan, _) => scan,
                Scope::Projects(units) => {
                    return projects::report(&units, &live, format, output.as_deref())
                }
            };
            let p = match pipeline(&scan, Some(&live), color) {
                Ok(p) => p,
                Err(e) => {
                    if format == Format::Json {
                        write_output(output.as_deref(), |w| report::json::write_error(&e, w))?;
                    }
                    return Err(e);
                }
            };
            let color = color && output.is_none() && format == Format::Text;
            write_output(output.as_deref(), |w| match format {
                Format::Json => report::write(format, &p.input(), color, w),
                _ => {
                    let text = report::render(format, &p.input(), color);
                    w.write_all(escape::document(&text, color).as_bytes())
                }
            })?;
            exit_without_freeing(p);
            Ok(EXIT_OK)
        }
    }
}

/// `check --baseline FILE`: the findings compared with the baseline, the gate judged again.
fn with_baseline(
    mut p: Pipeline,
    file: Option<&std::path::Path>,
    max_file_size: u64,
    project: Option<&str>,
) -> Result<Pipeline> {
    if let Some(file) = file {
        let baseline = crate::baseline::Baseline::read(file, max_file_size)?.of_project(project);
        crate::baseline::apply(&baseline, &file.display().to_string(), &mut p.analysis);
    }
    Ok(p)
}

/// `envparity baseline`: today's unwaived findings, written to `output`.
fn write_baseline(
    args: &ScanArgs,
    project: Option<&str>,
    output: &std::path::Path,
    color: bool,
) -> Result<i32> {
    let p = pipeline(args, None, color)?;
    let baseline = crate::baseline::Baseline::record(&p.analysis.findings);
    let baseline = match project {
        Some(name) => baseline.for_project(name),
        None => baseline,
    };
    write_baseline_file(&baseline, output)?;
    exit_without_freeing(p);
    Ok(EXIT_OK)
}

/// The baseline's file, and on standard error how many findings it holds.
fn write_baseline_file(
    baseline: &crate::baseline::Baseline,
    output: &std::path::Path,
) -> Result<()> {
    let text = baseline.to_json();
    write_output(Some(output), |w| w.write_all(text.as_bytes()))?;
    if output.as_os_str() != "-" {
        eprintln!(
            "wrote {} ({} finding{})",
            escape::control(&output.display().to_string()),
            baseline.findings.len(),
            if baseline.findings.len() == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    Ok(())
}

/// `envparity check`: one analysis, rendered in each format to its output; the exit code
/// says whether the gate passed.
/// What decides `check`'s gate besides the policy.
struct GateOptions<'a> {
    baseline: Option<&'a std::path::Path>,
    base: Option<&'a str>,
    fail_on_new: bool,
    exit_zero: bool,
}

/// The pipeline, quietly, on a commit's snapshot, with the same arguments as the working tree.
fn judge_revision(
    repo: &crate::history::snapshot::Repo,
    commit: gix::ObjectId,
    args: &ScanArgs,
) -> Result<Pipeline> {
    let snap = repo.snapshot(
        commit,
        crate::history::snapshot::SnapshotLimits {
            max_file_bytes: args.max_file_size,
            max_total_bytes: args.max_total_size,
        },
    )?;
    let at = ScanArgs {
        path: snap.path(),
        ..args.clone()
    };
    pipeline_with(&at, None, false, false)
}

/// `check --base REV`: the same judgement on the revision's snapshot, and what changed.
fn base_delta(scan: &ScanArgs, rev: &str, head: &Pipeline) -> Result<crate::delta::Delta> {
    let (base, name) = judge_base(scan, rev)?;
    Ok(delta_between(&name, &base, head))
}

/// The pipeline on the snapshot of `rev`, and the name the delta gives it (`origin/main
/// (1a2b3c4)`).
fn judge_base(scan: &ScanArgs, rev: &str) -> Result<(Pipeline, String)> {
    use crate::history::snapshot;
    let repo = snapshot::Repo::discover(&scan.path)?;
    let commit = repo.commit(rev)?;
    let base = judge_revision(&repo, commit.id, scan)
        .map_err(|e| Error::msg(format!("--base {rev}: {e}")))?;
    Ok((base, format!("{rev} ({})", commit.short_id())))
}

fn delta_between(name: &str, base: &Pipeline, head: &Pipeline) -> crate::delta::Delta {
    fn side(p: &Pipeline) -> crate::delta::Side<'_> {
        crate::delta::Side {
            analysis: &p.analysis,
            comparison: &p.comparison,
        }
    }
    crate::delta::delta(name, &side(base), &side(head))
}

/// A check rendering with the delta ahead of it (text, Markdown: after the comment's hidden
/// marker; GitHub: a summary line) or inside it (JSON: a `delta` object; SARIF: each result's
/// `baselineState` and the run's `properties.delta`).
fn with_delta(format: CheckFormat, rendered: Vec<u8>, delta: &crate::delta::Delta) -> Vec<u8> {
    let text = String::from_utf8_lossy(&rendered).into_owned();
    let out = match format {
        CheckFormat::Text => {
            escape::document(&report::delta::text(delta), false).into_owned() + &text
        }
        CheckFormat::Md => {
            let section = escape::document(&report::delta::markdown(delta), false).into_owned();
            match text.split_once('\n') {
                Some((first, rest)) if first.starts_with("<!--") => {
                    format!("{first}\n{section}{rest}")
                }
                _ => section + &text,
            }
        }
        CheckFormat::Json => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(mut doc) => {
                doc["delta"] = report::delta::json(delta);
                let mut s = serde_json::to_string_pretty(&doc).unwrap_or(text);
                s.push('\n');
                s
            }
            Err(_) => text,
        },
        CheckFormat::Sarif => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(mut doc) => {
                report::delta::sarif(&mut doc, delta);
                let mut s = serde_json::to_string_pretty(&doc).unwrap_or(text);
                s.push('\n');
                s
            }
            Err(_) => text,
        },
        CheckFormat::Github => {
            escape::document(&report::delta::summary_line(delta), false).into_owned() + &text
        }
        // JUnit is one run's tests; GitLab tells new from fixed itself, by fingerprint.
        _ => text,
    };
    out.into_bytes()
}

fn check_command(
    scan: &ScanArgs,
    project: Option<&str>,
    live: &LiveArgs,
    renderings: &[(CheckFormat, Option<PathBuf>)],
    gate: &GateOptions,
    color: bool,
) -> Result<i32> {
    let judged = judge_check(scan, live, gate, project, color).and_then(|p| {
        let delta = gate.base.map(|rev| base_delta(scan, rev, &p)).transpose()?;
        Ok((p, delta))
    });
    let (p, delta) = match judged {
        Ok(judged) => judged,
        Err(e) => {
            for (_, output) in renderings.iter().filter(|(f, _)| *f == CheckFormat::Json) {
                write_output(output.as_deref(), |w| {
                    report::json::write_check_error(&e, w)
                })?;
            }
            return Err(e);
        }
    };
    for (format, output) in renderings {
        let colour = color && output.is_none();
        match &delta {
            None => write_output(output.as_deref(), |w| match format {
                CheckFormat::Json => report::json::write_check(&p.input(), w),
                _ => w.write_all(render_check(*format, &p.input(), scan, colour).as_bytes()),
            })?,
            Some(delta) => {
                let rendered = render_check_bytes(
                    *format,
                    &p,
                    Some(delta),
                    scan,
                    (colour, report::comment::MAX_LEN),
                )?;
                write_output(output.as_deref(), |w| w.write_all(&rendered))?;
            }
        }
    }
    let code = check_exit_code(&p, delta.as_ref(), gate);
    exit_without_freeing(p);
    Ok(code)
}

/// `check`'s judgement of one application: the pipeline and, with `--baseline`, the entries
/// recorded for `project` (none for a repository without projects).
fn judge_check(
    scan: &ScanArgs,
    live: &LiveArgs,
    gate: &GateOptions,
    project: Option<&str>,
    color: bool,
) -> Result<Pipeline> {
    pipeline(scan, Some(live), color)
        .and_then(|p| with_baseline(p, gate.baseline, scan.max_file_size, project))
}

/// A check rendering, in memory, with the delta ahead of it or inside it (see
/// [`with_delta`]) when there is one, the comment in at most `comment_len` bytes.
fn render_check_bytes(
    format: CheckFormat,
    p: &Pipeline,
    delta: Option<&crate::delta::Delta>,
    scan: &ScanArgs,
    (colour, comment_len): (bool, usize),
) -> Result<Vec<u8>> {
    let mut rendered = Vec::new();
    match format {
        CheckFormat::Json => report::json::write_check(&p.input(), &mut rendered),
        _ => rendered.write_all(
            render_check_within(format, &p.input(), scan, colour, comment_len).as_bytes(),
        ),
    }
    .map_err(|e| Error::msg(e.to_string()))?;
    Ok(match delta {
        Some(delta) => with_delta(format, rendered, delta),
        None => rendered,
    })
}

/// Whether the gate passed: no new failing finding with `--fail-on-new`, else the analysis's
/// own judgement.
fn gate_passed(p: &Pipeline, delta: Option<&crate::delta::Delta>, gate: &GateOptions) -> bool {
    match delta {
        Some(d) if gate.fail_on_new => d.failing_added(&p.analysis).next().is_none(),
        _ => p.analysis.passed,
    }
}

/// 2 when a named server could not be read, 1 when the gate failed (unless `--exit-zero`),
/// else 0.
fn check_exit_code(p: &Pipeline, delta: Option<&crate::delta::Delta>, gate: &GateOptions) -> i32 {
    if live_failed(p) {
        EXIT_INPUT_ERROR
    } else if gate_passed(p, delta, gate) || gate.exit_zero {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

/// One rendering of `check` (JSON is streamed instead). Text and Markdown are escaped here as
/// whole documents; SARIF, JUnit and GitLab escape through their serializers, GitHub
/// annotations piece by piece.
fn render_check(format: CheckFormat, input: &ReportInput, scan: &ScanArgs, colour: bool) -> String {
    render_check_within(format, input, scan, colour, report::comment::MAX_LEN)
}

/// [`render_check`] with the pull-request comment in at most `comment_len` bytes.
fn render_check_within(
    format: CheckFormat,
    input: &ReportInput,
    scan: &ScanArgs,
    colour: bool,
    comment_len: usize,
) -> String {
    let repo_prefix = || crate::repo::prefix_in_repo(&scan.path);
    match format {
        CheckFormat::Json => report::json::render(input),
        CheckFormat::Text => {
            escape::document(&report::text::render_check(input, colour), colour).into_owned()
        }
        CheckFormat::Sarif => report::sarif::render_in(input, &repo_prefix()),
        CheckFormat::Junit => report::junit::render(input),
        CheckFormat::Html => report::html::render(input),
        CheckFormat::Github => report::github::render(input, &repo_prefix()),
        CheckFormat::Gitlab => report::gitlab::render(input, &repo_prefix()),
        CheckFormat::Md => escape::document(
            &report::comment::render_within(
                input,
                &format!("run `envparity report {}` for the full report", input.root),
                comment_len,
            ),
            false,
        )
        .into_owned(),
    }
}

/// `envparity promote`: simulate the promotion on the pipeline's judgement, render it, and
/// exit 1 when something blocks it.
fn promote(
    args: &ScanArgs,
    (from, to): (Option<&str>, Option<&str>),
    format: PromoteFormat,
    output: Option<&std::path::Path>,
    color: bool,
) -> Result<i32> {
    let judged = pipeline(args, None, color).and_then(|p| {
        let c = &p.comparison;
        let pair = crate::promote::resolve(&c.environments, c.reference, from, to)?;
        Ok((p, pair))
    });
    let (p, (from, to)) = match judged {
        Ok(judged) => judged,
        Err(e) => {
            if format == PromoteFormat::Json {
                write_output(output, |w| report::json::write_error(&e, w))?;
            }
            return Err(e);
        }
    };
    let workspace = workspace(args)?;
    let waive = |findings: &mut Vec<crate::rules::Finding>| {
        crate::baseline::suppress::apply(&workspace, &p.policy, findings)
    };
    let today = crate::promote::Today {
        waive: &waive,
        scan: &p.scan,
        comparison: &p.comparison,
        analysis: &p.analysis,
        policy: &p.policy,
        date: Date::today(),
    };
    let promotion = crate::promote::promote(&today, from, to);
    let input = PromoteInput {
        root: &p.root,
        promotion: &promotion,
    };
    let mut text = report::promote::render(format, &input);
    if format != PromoteFormat::Json {
        // Repository text (service names, images) reaches a terminal or CI log: escaped as
        // every other text output is.
        text = escape::document(&text, false).into_owned();
    }
    write_output(output, |w| w.write_all(text.as_bytes()))?;
    Ok(if promotion.blockers().is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// `envparity history`: judge each commit that changed configuration on a snapshot of it,
/// with the same arguments as the working tree. A commit that cannot be judged (no
/// environments yet, an invalid policy) is a row saying why, not the end of the history.
fn history(
    args: &ScanArgs,
    since: Option<&str>,
    max_count: usize,
    format: HistoryFormat,
    output: Option<&std::path::Path>,
) -> Result<i32> {
    use crate::history::{self, snapshot};
    let repo = snapshot::Repo::discover(&args.path)?;
    let since = since.map(|s| history::Since::parse(&repo, s)).transpose()?;
    let head = repo.commit("HEAD")?;
    let (commits, truncated) = history::commits_to_judge(&repo, head, since.as_ref(), max_count)?;
    let mut rows = Vec::new();
    for commit in commits {
        let outcome = judge_revision(&repo, commit.id, args)
            .map(|p| history::Judgement::of(&p.analysis, &p.comparison.environments))
            .map_err(|e| e.to_string());
        rows.push(history::Row { commit, outcome });
    }
    let doc = history::History { rows, truncated };
    let root = args.path.display().to_string();
    let mut text = report::history::render(format, &root, &doc);
    if matches!(format, HistoryFormat::Text | HistoryFormat::Md) {
        text = escape::document(&text, false).into_owned();
    }
    write_output(output, |w| w.write_all(text.as_bytes()))?;
    Ok(EXIT_OK)
}

/// The process is about to exit: freeing the model and the report piece by piece (millions of
/// small allocations on a large repository) costs time and changes nothing, so they are left
/// to the operating system.
fn exit_without_freeing(mut p: Pipeline) {
    p.clock.lap("output");
    std::mem::forget(p);
}

fn plan(args: &ScanArgs) -> Result<(Workspace, Plan)> {
    let workspace = workspace(args)?;
    let plan = if args.envs.is_empty() {
        discover::discover(&workspace)?
    } else {
        discover::explicit(&workspace, &args.envs)?
    };
    Ok((workspace, plan))
}

/// PATH opened for reading, with the run's limits.
fn workspace(args: &ScanArgs) -> Result<Workspace> {
    let mut workspace = Workspace::open(&args.path)?;
    workspace.max_file_bytes = args.max_file_size;
    workspace.budget = std::sync::Arc::new(sources::Budget::new(sources::BudgetLimits {
        bytes_read: args.max_total_size,
        ..sources::BudgetLimits::default()
    }));
    workspace.env_from_process = args.env_from_process;
    Ok(workspace)
}

/// The policy: `--config`, else the one a project inherits from the root, else envparity.toml
/// at PATH or above it.
fn load_policy(workspace: &Workspace, args: &ScanArgs) -> Result<policy::Policy> {
    match (&args.config, &args.inherited_policy) {
        (None, Some(name)) => {
            policy::load_file(workspace, &args.path.join(name), name, &rules::ids())
        }
        (config, _) => policy::load(workspace, config.as_deref(), &rules::ids()),
    }
}

/// Everything the pipeline computed, owned, for any renderer.
struct Pipeline {
    root: String,
    scan: Scan,
    comparison: crate::compare::Comparison,
    analysis: check::Analysis,
    policy: policy::Policy,
    files: Vec<Vec<String>>,
    /// The running servers, when `--pg`, `--redis` or `[live]` named some.
    live: Option<LiveComparison>,
    clock: StageClock,
}

impl Pipeline {
    fn input(&self) -> ReportInput<'_> {
        ReportInput {
            root: &self.root,
            comparison: &self.comparison,
            analysis: &self.analysis,
            files: &self.files,
            notes: &self.scan.notes,
            live: self.live.as_ref(),
        }
    }
}

/// The whole pipeline: discover -> sources -> align -> compare -> verdicts, rules, score; with
/// `live`, the running servers it names are read and join the analysis.
fn pipeline(args: &ScanArgs, live: Option<&LiveArgs>, color: bool) -> Result<Pipeline> {
    pipeline_with(args, live, color, true)
}

/// The pipeline; `warn` prints what could not be read to standard error as it is found.
fn pipeline_with(
    args: &ScanArgs,
    live: Option<&LiveArgs>,
    color: bool,
    warn: bool,
) -> Result<Pipeline> {
    let mut clock = StageClock::from_env();
    let (workspace, plan) = plan(args)?;
    clock.lap("discover");
    if plan.environments.is_empty() {
        no_environments(args, &plan, warn)?;
    }
    let policy = load_policy(&workspace, args)?;
    let scan: Scan = sources::load(&workspace, &plan)?;
    let scan = order_environments(scan, &policy)?;
    if warn {
        warn_gaps(&scan, color);
        tell_files_read(&scan, &policy);
    }
    clock.lap("read");
    let aligned = align(&scan);
    clock.lap("align");
    let comparison = compare(&scan, &aligned);
    clock.lap("compare");
    let live = match live {
        Some(live) => crate::live::run::read(live, &policy, Some(&scan))?,
        None => None,
    };
    if let Some(live) = &live {
        for e in live.errors().filter(|_| !ui::quiet()) {
            eprintln!("warning: {e}");
        }
        clock.lap("live");
    }
    let mut analysis = check::analyse_with_live(
        &scan,
        &aligned,
        &comparison,
        &policy,
        Date::today(),
        live.as_ref(),
    );
    crate::baseline::suppress::apply(&workspace, &policy, &mut analysis.findings);
    crate::baseline::regate(&mut analysis);
    clock.lap("analyse");
    let files = scan.environments.iter().map(|e| e.files.clone()).collect();
    Ok(Pipeline {
        root: args.path.display().to_string(),
        scan,
        comparison,
        analysis,
        policy,
        files,
        live,
        clock,
    })
}

/// With no environment found, a directory with no configuration at all is an error (the scan
/// has nothing to read: most likely the wrong PATH); configuration that names no environment
/// is a warning, and the run goes on with nothing to compare, so that a gate on a repository
/// with a single deployment does not fail.
fn no_environments(args: &ScanArgs, plan: &Plan, warn: bool) -> Result<()> {
    const HOW: &str = "no file names an environment, such as docker-compose.<env>.yml or <env>.tfvars; state them with --env NAME=FILE or in envparity.toml [sources]";
    let path = args.path.display().to_string();
    if plan.configuration_files == 0 {
        return Err(Error::in_file(
            path,
            format!("no environments found: no configuration file to read ({HOW})"),
        ));
    }
    if !warn || ui::quiet() {
        return Ok(());
    }
    eprintln!(
        "warning: {}: no environments found among {} configuration file(s), nothing to compare ({HOW})",
        escape::control(&path),
        plan.configuration_files
    );
    Ok(())
}

/// With `--verbose`: the policy file and, per environment, the files read.
fn tell_files_read(scan: &Scan, policy: &policy::Policy) {
    if !ui::verbose() {
        return;
    }
    match &policy.file {
        Some(file) => ui::detail(&format!("policy: {file}")),
        None => ui::detail("policy: none (defaults)"),
    }
    for env in &scan.environments {
        ui::detail(&format!("{}: {} file(s) read", env.name, env.files.len()));
        for file in &env.files {
            ui::detail(&format!("  {file}"));
        }
    }
}

/// Whether a running server that was named could not be read.
fn live_failed(p: &Pipeline) -> bool {
    p.live.as_ref().is_some_and(|l| l.errors().next().is_some())
}

/// `envparity live`: read the servers, compare them with each other and, where PATH holds a
/// repository with the same environments, with its declared settings.
fn live_command(
    args: &ScanArgs,
    live: &LiveArgs,
    format: Format,
    output: Option<&std::path::Path>,
) -> Result<i32> {
    let (workspace, plan) = plan(args)?;
    let policy = load_policy(&workspace, args)?;
    if crate::live::run::targets(live, &policy)?.is_empty() {
        return Err(Error::msg(
            "no servers to read: give --pg ENV=URL or --redis ENV=URL, or list them in envparity.toml [live]",
        ));
    }
    let scan = if plan.environments.is_empty() {
        None
    } else {
        Some(order_environments(
            sources::load(&workspace, &plan)?,
            &policy,
        )?)
    };
    if format == Format::Html {
        return Err(Error::msg("`live` prints text, md or json, not html"));
    }
    let Some(comparison) = crate::live::run::read(live, &policy, scan.as_ref())? else {
        return Ok(EXIT_OK);
    };
    write_output(output, |w| match format {
        Format::Json => report::json::write_live(&comparison, w),
        Format::Md => w.write_all(report::live::markdown(&comparison, "#").as_bytes()),
        Format::Text | Format::Html => w.write_all(report::live::text(&comparison).as_bytes()),
    })?;
    let mut failed = false;
    for e in comparison.errors() {
        eprintln!("error: {e}");
        failed = true;
    }
    Ok(if failed { EXIT_INPUT_ERROR } else { EXIT_OK })
}

/// Every gap, on standard error: what could not be read never passes unseen, whatever the
/// output format (the reports carry them too, as EP017 findings).
fn warn_gaps(scan: &Scan, color: bool) {
    if ui::quiet() {
        return;
    }
    let prefix = if color {
        "\x1b[1;33mwarning\x1b[0m"
    } else {
        "warning"
    };
    for (env, gap) in scan.gaps() {
        let at = gap.location();
        let at = if at.is_empty() { at } else { format!("{at}: ") };
        let service = match gap.services.as_slice() {
            [] => String::new(),
            [one] => format!(" (service `{one}`)"),
            many => format!(" (services `{}`)", many.join("`, `")),
        };
        let line = format!(
            "{env}: {}{service}: {at}{}",
            gap.extent.describe(),
            gap.message
        );
        eprintln!("{prefix}: {}", escape::control(&line));
    }
}

/// With `--verbose` or `ENVPARITY_TIMINGS` set, each stage's wall time goes to standard error
/// (`ENVPARITY_TIMINGS` is for the benchmark's profile; see bench/README.md).
struct StageClock {
    last: Option<std::time::Instant>,
}

impl StageClock {
    fn from_env() -> Self {
        StageClock {
            last: (ui::verbose() || std::env::var_os("ENVPARITY_TIMINGS").is_some())
                .then(std::time::Instant::now),
        }
    }

    fn lap(&mut self, stage: &str) {
        if let Some(last) = self.last {
            eprintln!(
                "envparity timing: {stage:<9} {:>9.1} ms",
                last.elapsed().as_secs_f64() * 1000.0
            );
            self.last = Some(std::time::Instant::now());
        }
    }
}

/// Apply the policy's `[environments] order`: every environment found must be listed.
fn order_environments(mut scan: Scan, policy: &policy::Policy) -> Result<Scan> {
    let Some(order) = &policy.order else {
        return Ok(scan);
    };
    let file = policy.file.clone().unwrap_or_default();
    let position = |name: &str| {
        order
            .iter()
            .position(|o| discover::covers_environment(o, name))
    };
    for env in &scan.environments {
        if position(&env.name).is_none() {
            return Err(Error::in_file(
                file,
                format!(
                    "environment `{}` was found but is not in [environments] order",
                    env.name
                ),
            ));
        }
    }
    scan.environments.sort_by_key(|e| position(&e.name));
    Ok(scan)
}

/// Writes an output through a buffer to the file given with `-o` (never through a symlink: see
/// `write`), or to standard output (no `-o`, or `-o -`), where a closed pipe (`| head`) is not an
/// error.
fn write_output(
    path: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(path) => crate::write::replace_file(path, write),
        None if ui::quiet() => Ok(()),
        None => {
            let mut out =
                std::io::BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout().lock());
            match write(&mut out).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::msg(format!("cannot write output: {e}"))),
            }
        }
    }
}

/// Large enough that a streamed report reaches the pipe in few system calls.
const OUTPUT_BUFFER: usize = 1 << 16;

fn explain(rule: Option<&str>, list: bool) -> Result<i32> {
    if list || rule.is_none() {
        let mut out = String::new();
        for r in rules::RULES {
            out.push_str(&format!(
                "{}  {:<36} {:<8} {}\n",
                r.id,
                r.name,
                r.severity.as_str(),
                r.summary
            ));
        }
        print(&out)?;
        return Ok(EXIT_OK);
    }
    let id = rule.unwrap_or_default();
    match rules::find(id) {
        Some(r) => {
            print(&format!(
                "{}\nDefault severity: {}\n",
                r.doc.trim_end(),
                r.severity.as_str()
            ))?;
            Ok(EXIT_OK)
        }
        None => Err(Error::msg(format!(
            "unknown rule `{id}`; `envparity explain --list` lists them"
        ))),
    }
}

fn init(args: &ScanArgs, force: bool, to_stdout: bool) -> Result<i32> {
    let p = pipeline(args, None, false)?;
    let text = crate::policy::starter(&p.comparison, &p.analysis);
    if to_stdout {
        print(&escape::document(&text, false))?;
        return Ok(EXIT_OK);
    }
    let target = args.path.join(crate::policy::FILE_NAME);
    // A link counts as there, dangling or not; `replace_file` refuses to write through it.
    let present = std::fs::symlink_metadata(&target).is_ok();
    if present && !force {
        return Err(Error::in_file(
            target.display().to_string(),
            "already exists; use --force to replace it or --stdout to print a new one",
        ));
    }
    crate::write::replace_file(&target, |w| w.write_all(text.as_bytes()))?;
    if !ui::quiet() {
        eprintln!("wrote {}", escape::control(&target.display().to_string()));
    }
    Ok(EXIT_OK)
}

fn discover_text(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.environments.is_empty() {
        out.push_str("No environments found. State them with --env NAME=FILE[,FILE].\n");
    }
    for env in &plan.environments {
        out.push_str(&format!("{}\n", env.name));
        for source in &env.sources {
            for f in &source.files {
                out.push_str(&format!("  {f}\n"));
            }
            out.push_str(&format!("  ({})\n", source.reason));
        }
    }
    if !plan.skipped.is_empty() {
        out.push_str("not read as environments\n");
        for s in &plan.skipped {
            out.push_str(&format!("  {}\n  ({})\n", s.files.join(" + "), s.reason));
        }
    }
    for n in &plan.notes {
        out.push_str(&format!("note: {}\n", n.message));
    }
    out
}

/// Print to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<()> {
    if ui::quiet() {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::msg(format!("cannot write output: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_a_short_internal_error_with_exit_2() {
        let long = "x".repeat(10_000);
        let message = internal_error_message(&format!("bad\x1b[31m {long}"));
        assert!(message.starts_with("error: internal error: bad [31m xxx"));
        assert!(message.ends_with("..."));
        assert!(message.len() < 250, "{}", message.len());
        assert_eq!(guard_panics(|| panic!("boom")), EXIT_INPUT_ERROR);
        assert_eq!(guard_panics(|| 7), 7);
        let _ = std::panic::take_hook();
    }
}
