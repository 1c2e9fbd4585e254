//! What one declared service can serve at once, read from its server's settings: worker
//! processes and threads per instance. Each factor says where it came from (a setting's
//! file:line, or the server's documented default), and a value that cannot be known is an
//! `Err` with the reason, never a guessed number.

use crate::model::{Service, Setting};

use super::{Factor, Kind};

/// The server a service runs and its per-instance factors (processes, threads).
#[derive(Debug, Clone, PartialEq)]
pub struct PerInstance {
    pub kind: Kind,
    /// `gunicorn`, `celery`, `puma`, ...
    pub server: &'static str,
    /// Processes and threads per instance, or why they cannot be known.
    pub factors: Result<(Factor, Factor), String>,
}

/// The server a service runs, when it is one whose concurrency envparity knows how to read.
pub fn per_instance(service: &Service) -> Option<PerInstance> {
    let s = &service.settings;
    let has = |prefix: &str| s.keys().any(|k| k.starts_with(prefix));
    let command = s.get("command").map(|c| c.display().to_string());
    let (kind, server, factors) = if has("gunicorn.") {
        (Kind::Web, "gunicorn", gunicorn(service))
    } else if has("uvicorn.") || has("hypercorn.") {
        let server = if has("uvicorn.") {
            "uvicorn"
        } else {
            "hypercorn"
        };
        (Kind::Web, server, asgi(service, server))
    } else if has("puma.") || runs(command.as_deref(), &["puma"]) {
        (Kind::Web, "puma", puma(service))
    } else if has("pm2.") || has("pm2-runtime.") {
        (Kind::Web, "pm2", pm2(service))
    } else if s
        .get("celery.command")
        .is_some_and(|c| c.display() == "worker")
    {
        (Kind::Worker, "celery", celery(service))
    } else if has("sidekiq.") || runs(command.as_deref(), &["sidekiq"]) {
        (Kind::Worker, "sidekiq", sidekiq(service))
    } else if runs(command.as_deref(), &["rq worker", "rqworker"]) {
        (
            Kind::Worker,
            "rq",
            Ok((one("an RQ worker is one process"), one_thread())),
        )
    } else {
        return None;
    };
    Some(PerInstance {
        kind,
        server,
        factors,
    })
}

/// Whether the command line (after a shell wrapper) starts one of `programs`.
fn runs(command: Option<&str>, programs: &[&str]) -> bool {
    let Some(command) = command else {
        return false;
    };
    command
        .split(['&', ';', '|', '\n', '"', '\''])
        .map(|c| c.trim().trim_start_matches("exec ").trim())
        .map(|c| c.strip_prefix("bundle exec ").unwrap_or(c))
        .any(|c| {
            programs
                .iter()
                .any(|p| c == *p || c.starts_with(&format!("{p} ")))
        })
}

fn one(why: &str) -> Factor {
    Factor::default_value(1, why)
}

fn one_thread() -> Factor {
    Factor::default_value(1, "one thread")
}

/// The first of `keys` that is set, read as a positive count.
fn count(service: &Service, keys: &[&str]) -> Option<Result<Factor, String>> {
    keys.iter()
        .find_map(|k| service.settings.get(*k).map(|s| (*k, s)))
        .map(|(k, s)| read_count(k, s))
}

fn read_count(key: &str, setting: &Setting) -> Result<Factor, String> {
    let text = setting.display().trim();
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Factor::set(n, key, setting.origin.clone())),
        _ => Err(format!(
            "`{key}` = `{text}` at {} is not a positive whole number",
            setting.origin
        )),
    }
}

fn gunicorn(service: &Service) -> Result<(Factor, Factor), String> {
    let class = service
        .settings
        .get("gunicorn.worker_class")
        .map(|s| s.display().to_string());
    if let Some(class) = class.filter(|c| !matches!(c.as_str(), "sync" | "gthread")) {
        return Err(format!(
            "gunicorn worker class `{class}` serves many requests per worker; its concurrency is not workers x threads"
        ));
    }
    let workers = count(
        service,
        &[
            "gunicorn.workers",
            "env.GUNICORN_WORKERS",
            "env.WEB_CONCURRENCY",
        ],
    )
    .unwrap_or_else(|| Ok(Factor::default_value(1, "gunicorn default")))?;
    let threads = count(service, &["gunicorn.threads", "env.GUNICORN_THREADS"])
        .unwrap_or_else(|| Ok(Factor::default_value(1, "gunicorn default")))?;
    Ok((workers, threads))
}

/// uvicorn and hypercorn: worker processes, each an event loop (counted as one).
fn asgi(service: &Service, server: &str) -> Result<(Factor, Factor), String> {
    let key = format!("{server}.workers");
    let workers = count(service, &[key.as_str(), "env.WEB_CONCURRENCY"])
        .unwrap_or_else(|| Ok(Factor::default_value(1, "default one worker")))?;
    Err(format!(
        "{server} runs {} worker(s), each an event loop serving many requests at once: no thread count bounds it",
        workers.min
    ))
}

fn puma(service: &Service) -> Result<(Factor, Factor), String> {
    let workers = count(
        service,
        &["puma.workers", "env.WEB_CONCURRENCY", "env.PUMA_WORKERS"],
    )
    .unwrap_or_else(|| Ok(Factor::default_value(1, "puma single mode")))?;
    let threads = match service.settings.get("puma.threads") {
        // `-t 5:5` or `-t 5`: the maximum serves at once.
        Some(s) => {
            let text = s.display().trim().to_string();
            let max = text.rsplit(':').next().unwrap_or(&text);
            match max.parse::<u32>() {
                Ok(n) if n > 0 => Factor::set(n, "puma.threads", s.origin.clone()),
                _ => {
                    return Err(format!(
                        "`puma.threads` = `{text}` at {} is not a thread count",
                        s.origin
                    ))
                }
            }
        }
        None => count(service, &["env.RAILS_MAX_THREADS", "env.PUMA_MAX_THREADS"])
            .unwrap_or_else(|| Ok(Factor::default_value(5, "puma default (5 threads)")))?,
    };
    Ok((workers, threads))
}

fn pm2(service: &Service) -> Result<(Factor, Factor), String> {
    let Some(workers) = count(service, &["pm2-runtime.instances", "pm2.instances"]) else {
        return Err("pm2 without `-i`/`--instances`: one process, an event loop".into());
    };
    let workers = workers?;
    Err(format!(
        "pm2 runs {} Node.js process(es), each an event loop: no thread count bounds it",
        workers.min
    ))
}

fn celery(service: &Service) -> Result<(Factor, Factor), String> {
    if let Some(c) = count(
        service,
        &["celery.concurrency", "env.CELERY_WORKER_CONCURRENCY"],
    ) {
        return Ok((c?, one_thread()));
    }
    // Celery's default is the CPU count; a CPU limit is the closest statement of it.
    match &service.resources.cpu_limit_millis {
        Some(limit) => {
            let cpus = (limit.value.div_ceil(1000)).max(1) as u32;
            Ok((
                Factor {
                    min: cpus,
                    max: cpus,
                    basis: format!(
                        "celery default = CPU count, taken as the CPU limit at {}",
                        limit.origin
                    ),
                    origin: Some(limit.origin.clone()),
                },
                one_thread(),
            ))
        }
        None => Err(
            "celery --concurrency not set: it defaults to the host's CPU count, and no CPU limit states it"
                .into(),
        ),
    }
}

fn sidekiq(service: &Service) -> Result<(Factor, Factor), String> {
    let threads = count(
        service,
        &[
            "sidekiq.concurrency",
            "env.SIDEKIQ_CONCURRENCY",
            "env.RAILS_MAX_THREADS",
        ],
    )
    .unwrap_or_else(|| Ok(Factor::default_value(5, "sidekiq default (5 threads)")))?;
    Ok((one("one sidekiq process"), threads))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Located, Origin};

    fn service(settings: &[(&str, &str)]) -> Service {
        let mut s = Service::new("svc", Origin::new("compose.yml", 1));
        for (i, (k, v)) in settings.iter().enumerate() {
            s.settings.insert(
                k.to_string(),
                Setting::new(k, *v, Origin::new("compose.yml", i as u32 + 2)),
            );
        }
        s
    }

    fn numbers(p: &PerInstance) -> (u32, u32) {
        let (a, b) = p.factors.as_ref().unwrap();
        (a.min, b.min)
    }

    #[test]
    fn gunicorn_flags_beat_environment_and_defaults() {
        let s = service(&[
            ("gunicorn.app", "app"),
            ("gunicorn.workers", "17"),
            ("env.GUNICORN_WORKERS", "4"),
            ("gunicorn.threads", "2"),
        ]);
        let p = per_instance(&s).unwrap();
        assert_eq!(
            (p.kind, p.server, numbers(&p)),
            (Kind::Web, "gunicorn", (17, 2))
        );
        let (w, _) = p.factors.unwrap();
        assert_eq!(w.basis, "`gunicorn.workers` at compose.yml:3");
        let env_only = service(&[("gunicorn.app", "app"), ("env.WEB_CONCURRENCY", "3")]);
        assert_eq!(numbers(&per_instance(&env_only).unwrap()), (3, 1));
    }

    #[test]
    fn a_non_numeric_count_is_unknown_with_its_place() {
        let s = service(&[("gunicorn.app", "app"), ("gunicorn.workers", "${WORKERS}")]);
        let err = per_instance(&s).unwrap().factors.unwrap_err();
        assert!(
            err.contains("`gunicorn.workers` = `${WORKERS}` at compose.yml:3"),
            "{err}"
        );
        let async_class = service(&[("gunicorn.app", "app"), ("gunicorn.worker_class", "gevent")]);
        assert!(per_instance(&async_class).unwrap().factors.is_err());
    }

    #[test]
    fn celery_concurrency_or_cpu_limit_or_unknown() {
        let s = service(&[("celery.command", "worker"), ("celery.concurrency", "4")]);
        assert_eq!(numbers(&per_instance(&s).unwrap()), (4, 1));
        let mut limited = service(&[("celery.command", "worker")]);
        limited.resources.cpu_limit_millis =
            Some(Located::new(1500, Origin::new("compose.yml", 9)));
        let p = per_instance(&limited).unwrap();
        assert_eq!(numbers(&p), (2, 1));
        assert!(p
            .factors
            .unwrap()
            .0
            .basis
            .contains("CPU limit at compose.yml:9"));
        let unlimited = service(&[("celery.command", "worker")]);
        assert!(per_instance(&unlimited)
            .unwrap()
            .factors
            .unwrap_err()
            .contains("CPU count"));
        assert!(per_instance(&service(&[("celery.command", "beat")])).is_none());
    }

    #[test]
    fn puma_sidekiq_rq() {
        let p = service(&[("puma.workers", "3"), ("puma.threads", "1:8")]);
        assert_eq!(numbers(&per_instance(&p).unwrap()), (3, 8));
        let rails = service(&[
            ("command", "bundle exec puma"),
            ("env.RAILS_MAX_THREADS", "3"),
        ]);
        assert_eq!(numbers(&per_instance(&rails).unwrap()), (1, 3));
        let sk = service(&[("sidekiq.concurrency", "10")]);
        assert_eq!(numbers(&per_instance(&sk).unwrap()), (1, 10));
        let rq = service(&[("command", "sh -c 'exec rq worker high'")]);
        let p = per_instance(&rq).unwrap();
        assert_eq!((p.kind, numbers(&p)), (Kind::Worker, (1, 1)));
        assert!(per_instance(&service(&[("command", "nginx -g daemon off;")])).is_none());
    }
}
