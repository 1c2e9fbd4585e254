//! Monorepos: the `[[projects]]` of the envparity.toml at PATH. Each project is judged on its
//! own, with its own environments and its own envparity.toml (else the root's), and the outputs
//! are joined per format (`report::projects`; SARIF, JUnit and GitLab structurally).

use std::collections::BTreeMap;
use std::path::Path;

use super::{
    check_exit_code, delta_between, discover_text, gate_passed, judge_base, load_policy, pipeline,
    plan, render_check_bytes, with_baseline, write_output, CheckFormat, DiscoverFormat,
    GateOptions, Pipeline, ScanArgs, EXIT_INPUT_ERROR, EXIT_OK,
};
use crate::error::{Error, Result};
use crate::escape;
use crate::live::run::LiveArgs;
use crate::policy;
use crate::report::projects::{self as joined, Part};
use crate::report::{self, Format};

/// A declared project, ready to scan.
pub(super) struct Unit {
    pub name: String,
    /// As declared, relative to PATH.
    pub path: String,
    pub scan: ScanArgs,
    /// Judged with the root's policy, which the other such projects share.
    shares_root_policy: bool,
}

/// What a command runs on.
pub(super) enum Scope {
    /// One application: no projects declared, or the one `--project` chose (its name kept:
    /// baseline entries carry it).
    One(ScanArgs, Option<String>),
    /// Every declared project, each on its own.
    Projects(Vec<Unit>),
}

/// The projects the policy at PATH (or `--config`) declares, or PATH itself. `--env` states
/// one application's files, so it is never split into projects.
pub(super) fn scope(args: &ScanArgs) -> Result<Scope> {
    let units = match declared(args)? {
        Some(declared) => declared,
        None => {
            return match &args.project {
                None => Ok(Scope::One(args.clone(), None)),
                Some(name) => Err(Error::msg(format!(
                    "--project {name}: no [[projects]] declared in {}",
                    policy_file_at(args).display()
                ))),
            };
        }
    };
    let Some(wanted) = &args.project else {
        return Ok(Scope::Projects(units));
    };
    let names = names(&units);
    match units.into_iter().find(|u| &u.name == wanted) {
        Some(u) => Ok(Scope::One(u.scan, Some(u.name))),
        None => Err(Error::in_file(
            policy_file_at(args).display().to_string(),
            format!("declares no project `{wanted}`; its projects: {names}"),
        )),
    }
}

/// A command that shows one project at a time: the scan arguments, or an error naming the
/// projects to choose from.
pub(super) fn single(args: &ScanArgs, command: &str) -> Result<ScanArgs> {
    match scope(args)? {
        Scope::One(scan, _) => Ok(scan),
        Scope::Projects(units) => Err(Error::msg(format!(
            "{} declares {} projects ({}): `{command}` shows one at a time; choose it with --project NAME",
            policy_file_at(args).display(),
            units.len(),
            names(&units)
        ))),
    }
}

fn names(units: &[Unit]) -> String {
    units
        .iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn policy_file_at(args: &ScanArgs) -> std::path::PathBuf {
    args.config
        .clone()
        .unwrap_or_else(|| args.path.join(policy::FILE_NAME))
}

/// The declared projects, when the policy at PATH declares any.
fn declared(args: &ScanArgs) -> Result<Option<Vec<Unit>>> {
    // A policy found above PATH is the policy of a scan inside a project: not split again.
    if !args.envs.is_empty()
        || (args.config.is_none() && std::fs::symlink_metadata(policy_file_at(args)).is_err())
    {
        return Ok(None);
    }
    let workspace = super::workspace(args)?;
    let policy = match load_policy(&workspace, args) {
        Ok(policy) => policy,
        // The command reports an invalid policy itself, with its line, where it reads it
        // (`history` judges each commit with that commit's own).
        Err(_) if args.project.is_none() => return Ok(None),
        Err(e) => return Err(e),
    };
    if policy.projects.is_empty() {
        return Ok(None);
    }
    let file = policy_file_at(args).display().to_string();
    let units = policy
        .projects
        .iter()
        .map(|p| unit(args, p, &file))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(units))
}

/// A project's scan: PATH/path, with the project's own envparity.toml when it has one, else
/// `--config`, else the root's (named relative to the project, `../../envparity.toml`).
fn unit(args: &ScanArgs, project: &policy::Project, file: &str) -> Result<Unit> {
    let dir = args.path.join(&project.path);
    if !dir.is_dir() {
        return Err(Error::at(
            file,
            project.line,
            format!(
                "[[projects]] path `{}`: no such directory under {}",
                project.path,
                args.path.display()
            ),
        ));
    }
    let own_policy = std::fs::symlink_metadata(dir.join(policy::FILE_NAME)).is_ok();
    let depth = project.path.split('/').count();
    let inherited = (!own_policy && args.config.is_none())
        .then(|| format!("{}{}", "../".repeat(depth), policy::FILE_NAME));
    let scan = ScanArgs {
        path: dir,
        config: if own_policy {
            None
        } else {
            args.config.clone()
        },
        project: None,
        inherited_policy: inherited,
        ..args.clone()
    };
    Ok(Unit {
        name: project.name.clone(),
        path: project.path.clone(),
        scan,
        shares_root_policy: !own_policy,
    })
}

/// Each project's pipeline, or its error (see [`tell_errors`]).
fn judge_all(units: &[Unit], live: Option<&LiveArgs>, color: bool) -> Vec<Result<Pipeline>> {
    let mut judged: Vec<Result<Pipeline>> = units
        .iter()
        .map(|u| pipeline(&u.scan, live, color))
        .collect();
    keep_shared_intentions_judged_together(units, &mut judged);
    judged
}

/// An `[[intended]]`, `[[must_match]]` or `[[waiver]]` entry of the root's policy serves every
/// project that shares it: it is ineffective (EP023) only when it is so in all of them, not
/// in each project it was not written for.
fn keep_shared_intentions_judged_together(units: &[Unit], judged: &mut [Result<Pipeline>]) {
    let rule = crate::rules::ep023_ineffective_intention::RULE.id;
    let sharing: Vec<&mut Pipeline> = units
        .iter()
        .zip(judged.iter_mut())
        .filter(|(u, _)| u.shares_root_policy)
        .filter_map(|(_, p)| p.as_mut().ok())
        .collect();
    let of_policy = |p: &Pipeline, f: &crate::rules::Finding| {
        f.rule == rule && f.file.is_some() && f.file == p.policy.file
    };
    let mut count: BTreeMap<(Option<u32>, String), usize> = BTreeMap::new();
    for p in &sharing {
        for f in p.analysis.findings.iter().filter(|f| of_policy(p, f)) {
            *count.entry((f.line, f.message.clone())).or_default() += 1;
        }
    }
    let everywhere = sharing.len();
    for p in sharing {
        let before = p.analysis.findings.len();
        let findings = std::mem::take(&mut p.analysis.findings);
        p.analysis.findings = findings
            .into_iter()
            .filter(|f| {
                !of_policy(p, f)
                    || count.get(&(f.line, f.message.clone())).copied() == Some(everywhere)
            })
            .collect();
        if p.analysis.findings.len() != before {
            crate::baseline::regate(&mut p.analysis);
        }
    }
}

/// Prints each project's error, named by project; returns the exit code they make.
fn tell_errors<T>(units: &[Unit], judged: &[Result<T>]) -> i32 {
    let mut code = EXIT_OK;
    for (u, j) in units.iter().zip(judged) {
        if let Err(e) = j {
            eprintln!("error: project {}: {e}", escape::control(&u.name));
            code = EXIT_INPUT_ERROR;
        }
    }
    code
}

/// Each project's rendering by `render`, or the message of the error that stopped the project.
fn render_each<T, R>(
    judged: &[Result<T>],
    mut render: impl FnMut(usize, &T) -> Result<R>,
) -> Vec<std::result::Result<R, String>> {
    judged
        .iter()
        .enumerate()
        .map(|(i, j)| match j {
            Ok(t) => render(i, t).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        })
        .collect()
}

/// The parts to join: each project's rendering, or its error.
fn parts<'a>(
    units: &'a [Unit],
    bodies: &'a [std::result::Result<String, String>],
) -> Vec<Part<'a>> {
    units
        .iter()
        .zip(bodies)
        .map(|(u, b)| Part {
            name: &u.name,
            path: &u.path,
            body: b.as_deref().map_err(Clone::clone),
        })
        .collect()
}

/// `discover` on each project.
pub(super) fn discover(units: &[Unit], format: DiscoverFormat) -> Result<i32> {
    let plans: Vec<Result<crate::discover::Plan>> = units
        .iter()
        .map(|u| plan(&u.scan).map(|(_, p)| p))
        .collect();
    let bodies = render_each(&plans, |_, p| Ok(discover_text(p)));
    let parts = parts(units, &bodies);
    super::write_output(None, |w| match format {
        DiscoverFormat::Text => {
            w.write_all(escape::document(&joined::text(&parts), false).as_bytes())
        }
        DiscoverFormat::Json => joined::write_json(w, &parts, None, |i, w| match &plans[i] {
            Ok(plan) => serde_json::to_writer_pretty(&mut *w, plan).map_err(std::io::Error::other),
            Err(_) => Ok(()),
        }),
    })?;
    Ok(tell_errors(units, &plans))
}

/// `compare` on each project, one after the other.
pub(super) fn compare(units: &[Unit], color: bool) -> Result<i32> {
    let judged = judge_all(units, None, color);
    let bodies = render_each(&judged, |_, p| {
        Ok(report::render(Format::Text, &p.input(), color))
    });
    let text = joined::text(&parts(units, &bodies));
    super::print(&escape::document(&text, color))?;
    Ok(tell_errors(units, &judged))
}

/// `report` on each project, joined: Markdown sections, text sections, a JSON `projects` array.
pub(super) fn report(
    units: &[Unit],
    live: &LiveArgs,
    format: Format,
    output: Option<&Path>,
) -> Result<i32> {
    if format == Format::Html {
        return Err(several("report --format html", units));
    }
    let judged = judge_all(units, Some(live), false);
    // JSON documents are streamed below; the parts only need to know which projects failed.
    let bodies = render_each(&judged, |_, p| {
        Ok(match format {
            Format::Json => String::new(),
            _ => report::render(format, &p.input(), false),
        })
    });
    let parts = parts(units, &bodies);
    write_output(output, |w| match format {
        Format::Json => joined::write_json(w, &parts, None, |i, w| match &judged[i] {
            Ok(p) => report::write(Format::Json, &p.input(), false, w),
            Err(_) => Ok(()),
        }),
        Format::Md => w.write_all(escape::document(&joined::markdown(&parts), false).as_bytes()),
        _ => w.write_all(escape::document(&joined::text(&parts), false).as_bytes()),
    })?;
    Ok(tell_errors(units, &judged))
}

/// The error of a command that shows one project at a time.
fn several(what: &str, units: &[Unit]) -> Error {
    Error::msg(format!(
        "`{what}` shows one project at a time and {} are declared ({}); choose one with --project NAME",
        units.len(),
        names(units)
    ))
}

/// `check` on each project: every format joined, the exit code the worst project's.
pub(super) fn check(
    units: &[Unit],
    live: &LiveArgs,
    renderings: &[(CheckFormat, Option<std::path::PathBuf>)],
    gate: &GateOptions,
    color: bool,
) -> Result<i32> {
    if renderings.iter().any(|(f, _)| *f == CheckFormat::Html) {
        return Err(several("check --format html", units));
    }
    let judged: Vec<Result<Pipeline>> = judge_all(units, Some(live), color)
        .into_iter()
        .zip(units)
        .map(|(p, u)| {
            p.and_then(|p| with_baseline(p, gate.baseline, u.scan.max_file_size, Some(&u.name)))
        })
        .collect();
    let deltas = deltas(units, &judged, gate);
    // Each project's share of one comment, less room for its heading.
    let share = (report::comment::MAX_LEN / units.len().max(1)).saturating_sub(200);
    for (format, output) in renderings {
        let colour = color && output.is_none();
        let bodies = render_each(&judged, |i, p| {
            let bytes = render_check_bytes(
                *format,
                p,
                deltas[i].as_ref(),
                &units[i].scan,
                (colour, share),
            )?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        });
        let passed = judged
            .iter()
            .zip(&deltas)
            .all(|(p, d)| p.as_ref().is_ok_and(|p| gate_passed(p, d.as_ref(), gate)));
        let text = join_check(*format, units, (&judged, passed), &bodies);
        write_output(output.as_deref(), |w| w.write_all(&text))?;
    }
    let mut code = tell_errors(units, &judged);
    for (p, d) in judged.iter().zip(&deltas) {
        if let Ok(p) = p {
            code = code.max(check_exit_code(p, d.as_ref(), gate));
        }
    }
    Ok(code)
}

/// With `--base`: each project's delta; a project the revision cannot judge (new since, say)
/// is judged without one, with a warning.
fn deltas(
    units: &[Unit],
    judged: &[Result<Pipeline>],
    gate: &GateOptions,
) -> Vec<Option<crate::delta::Delta>> {
    let Some(rev) = gate.base else {
        return units.iter().map(|_| None).collect();
    };
    let mut bases: Vec<Result<Pipeline>> = Vec::new();
    let mut names = Vec::new();
    for u in units {
        match judge_base(&u.scan, rev) {
            Ok((p, name)) => {
                bases.push(Ok(p));
                names.push(name);
            }
            Err(e) => {
                bases.push(Err(e));
                names.push(String::new());
            }
        }
    }
    keep_shared_intentions_judged_together(units, &mut bases);
    units
        .iter()
        .zip(judged)
        .zip(bases.iter().zip(&names))
        .map(|((u, head), (base, name))| match (head, base) {
            (Ok(head), Ok(base)) => Some(delta_between(name, base, head)),
            (Ok(_), Err(e)) => {
                if !super::ui::quiet() {
                    eprintln!(
                        "warning: project {}: {e}; judged without the delta",
                        escape::control(&u.name)
                    );
                }
                None
            }
            (Err(_), _) => None,
        })
        .collect()
}

/// One check format's output for every project.
fn join_check(
    format: CheckFormat,
    units: &[Unit],
    (judged, passed): (&[Result<Pipeline>], bool),
    bodies: &[std::result::Result<String, String>],
) -> Vec<u8> {
    let parts = parts(units, bodies);
    let ok: Vec<(&Unit, &Pipeline)> = units
        .iter()
        .zip(judged)
        .filter_map(|(u, p)| p.as_ref().ok().map(|p| (u, p)))
        .collect();
    let prefixes: Vec<String> = ok
        .iter()
        .map(|(u, _)| crate::repo::prefix_in_repo(&u.scan.path))
        .collect();
    let inputs: Vec<_> = ok.iter().map(|(_, p)| p.input()).collect();
    let located = || -> Vec<(&str, &report::ReportInput, &str)> {
        ok.iter()
            .zip(&inputs)
            .zip(&prefixes)
            .map(|(((u, _), i), prefix)| (u.name.as_str(), i, prefix.as_str()))
            .collect()
    };
    match format {
        CheckFormat::Text => joined::text(&parts).into_bytes(),
        CheckFormat::Md => joined::comment(&parts).into_bytes(),
        CheckFormat::Github => joined::annotations(&parts).into_bytes(),
        CheckFormat::Sarif => report::sarif::render_projects(&located()).into_bytes(),
        CheckFormat::Gitlab => report::gitlab::render_projects(&located()).into_bytes(),
        CheckFormat::Junit => {
            let named: Vec<(&str, &report::ReportInput)> =
                located().into_iter().map(|(n, i, _)| (n, i)).collect();
            report::junit::render_projects(&named).into_bytes()
        }
        CheckFormat::Json | CheckFormat::Html => {
            let mut out = Vec::new();
            let _ = joined::write_json(&mut out, &parts, Some(passed), |i, w| match &bodies[i] {
                Ok(b) => w.write_all(b.as_bytes()),
                Err(_) => Ok(()),
            });
            out
        }
    }
}

/// `baseline` on each project: one file, every entry naming its project. Nothing is written
/// when a project cannot be read (its entries would be lost).
pub(super) fn baseline(units: &[Unit], output: &Path, color: bool) -> Result<i32> {
    let judged = judge_all(units, None, color);
    if tell_errors(units, &judged) != EXIT_OK {
        return Err(Error::msg(format!(
            "{} not written: a project could not be read",
            output.display()
        )));
    }
    let parts = units
        .iter()
        .zip(&judged)
        .filter_map(|(u, p)| p.as_ref().ok().map(|p| (u, p)))
        .map(|(u, p)| crate::baseline::Baseline::record(&p.analysis.findings).for_project(&u.name))
        .collect();
    super::write_baseline_file(&crate::baseline::Baseline::join(parts), output)?;
    Ok(EXIT_OK)
}
