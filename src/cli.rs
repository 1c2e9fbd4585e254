//! Command line: parse arguments, run the pipeline, print, choose the exit code.
//!
//! Exit codes: 0 success, 2 usage or input error (a file that cannot be read or understood).
//! Code 1 is reserved for `check` (findings at or above the failure threshold).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::align::align;
use crate::compare::compare;
use crate::discover::{self, Plan};
use crate::error::{Error, Result};
use crate::model::Scan;
use crate::report::{self, Format, ReportInput};
use crate::sources::{self, Workspace};

pub const EXIT_OK: i32 = 0;
pub const EXIT_INPUT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "envparity",
    version,
    about = "Tells how your environments (staging, production, dev) differ, from the configuration itself",
    long_about = "envparity reads the configuration in a repository (Docker Compose, Kubernetes manifests, Kustomize overlays, Helm values, Flux and CloudNativePG resources) and shows \
how each environment differs: service by service, setting by setting, with resource totals and the \
reduction of each environment against production. Every value points back to its file and line; \
secrets are masked in every output.",
    after_help = "Examples:\n  envparity discover .                      which environments and files are found\n  \
envparity compare examples/obcms          side-by-side tables in the terminal\n  \
envparity report . -o ENVIRONMENTS.md     the Markdown document to check in\n  \
envparity report . --format json          the stable JSON (docs/json-schema.md)\n  \
envparity compare . --env staging=compose.yml,compose.stg.yml --env production=compose.yml,compose.prd.yml\n\n\
Exit codes: 0 success; 2 usage or input error (the message names the file and line).\n\
Colour: --color, or NO_COLOR=1 to disable; off when output is not a terminal."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
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
    /// Write the comparison as a Markdown document, JSON, or plain text.
    Report {
        #[command(flatten)]
        scan: ScanArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiscoverFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// The repository to read (default: the current directory). Nothing in it is written or run.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// State an environment and its files instead of discovering them, base file first:
    /// NAME=FILE[,FILE...], paths relative to PATH. Repeat for each environment.
    #[arg(long = "env", value_name = "NAME=FILES")]
    envs: Vec<String>,
    /// Largest file read, in bytes; bigger files are an error.
    #[arg(long, value_name = "BYTES", default_value_t = sources::DEFAULT_MAX_FILE_BYTES)]
    max_file_size: u64,
}

/// Run the command line and return the process exit code.
pub fn main() -> i32 {
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
            let (_, plan) = plan(&scan)?;
            let text = match format {
                DiscoverFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&plan)
                        .map_err(|e| Error::msg(e.to_string()))?;
                    s.push('\n');
                    s
                }
                DiscoverFormat::Text => discover_text(&plan),
            };
            print(&text)?;
            Ok(EXIT_OK)
        }
        Command::Compare { scan } => {
            let text = render(&scan, Format::Text, color)?;
            print(&text)?;
            Ok(EXIT_OK)
        }
        Command::Report {
            scan,
            format,
            output,
        } => {
            let text = render(
                &scan,
                format,
                color && output.is_none() && format == Format::Text,
            )?;
            match output {
                Some(path) => std::fs::write(&path, text).map_err(|e| {
                    Error::in_file(path.display().to_string(), format!("cannot write: {e}"))
                })?,
                None => print(&text)?,
            }
            Ok(EXIT_OK)
        }
    }
}

fn plan(args: &ScanArgs) -> Result<(Workspace, Plan)> {
    let mut workspace = Workspace::open(&args.path)?;
    workspace.max_file_bytes = args.max_file_size;
    let plan = if args.envs.is_empty() {
        discover::discover(&workspace)?
    } else {
        discover::explicit(&workspace, &args.envs)?
    };
    Ok((workspace, plan))
}

/// The whole pipeline: discover -> sources -> align -> compare -> report.
fn render(args: &ScanArgs, format: Format, color: bool) -> Result<String> {
    let (workspace, plan) = plan(args)?;
    if plan.environments.is_empty() {
        return Err(Error::in_file(
            args.path.display().to_string(),
            "no environments found (no docker-compose.<env>.yml files); state them with --env NAME=FILE",
        ));
    }
    let scan: Scan = sources::load(&workspace, &plan)?;
    let aligned = align(&scan);
    let comparison = compare(&scan, &aligned);
    let files: Vec<Vec<String>> = scan.environments.iter().map(|e| e.files.clone()).collect();
    let root = args.path.display().to_string();
    let input = ReportInput {
        root: &root,
        comparison: &comparison,
        files: &files,
        notes: &scan.notes,
    };
    Ok(report::render(format, &input, color))
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
    for n in &plan.notes {
        out.push_str(&format!("note: {}\n", n.message));
    }
    out
}

/// Print to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<()> {
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
