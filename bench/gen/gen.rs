//! Synthetic repositories for the benchmark, written deterministically from a seed.
//!
//! Two forms of the same fleet of services across three environments (development, staging,
//! production):
//! - `compose/`: `docker-compose.yml` (the shared base) and `docker-compose.<env>.yml` overrides;
//! - `kustomize/`: `base/` with one multi-document file per application (Deployment, Service,
//!   ConfigMap, Secret, HorizontalPodAutoscaler, Ingress) and `overlays/<env>/` patching them.
//!
//! Next to each repository, `rendered/<env>.yaml` holds what each environment renders to (the
//! merged Compose configuration; the built Kustomize overlay), for peers that compare rendered
//! manifests.
//!
//! Differences between environments come in controlled fractions: intended ones (declared in
//! the generated `envparity.toml`, or differing only by the environment's name), unintended
//! drift, and planted hazards (cross-environment references, debug in production, mutable
//! tags, a secret reused across environments, plain-HTTP URLs in production).
//!
//! This file has no dependencies beyond `std`: the generator binary and the smoke test both
//! include it.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// The environments generated, lowest first.
pub const ENVS: [&str; 3] = ["development", "staging", "production"];

/// Kubernetes objects written per application, in this order.
pub const KINDS: [&str; 6] = [
    "Deployment",
    "Service",
    "ConfigMap",
    "Secret",
    "HorizontalPodAutoscaler",
    "Ingress",
];

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Objects per environment: Compose services, or Kubernetes objects.
    pub objects: usize,
    pub seed: u64,
    /// Per mille of applications with unintended drift in one setting.
    pub drift_per_mille: u32,
    /// Per mille of applications with a planted hazard in production.
    pub hazard_per_mille: u32,
}

impl Config {
    pub fn new(objects: usize, seed: u64) -> Config {
        Config {
            objects,
            seed,
            drift_per_mille: 50,
            hazard_per_mille: 20,
        }
    }
}

/// Sizes written, for the README and RESULTS.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

impl Written {
    fn file(&mut self, path: &Path, text: &str) -> io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
        self.files += 1;
        self.bytes += text.len() as u64;
        Ok(())
    }
}

/// SplitMix64: small, fast, and good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance_per_mille(&mut self, p: u32) -> bool {
        self.below(1000) < u64::from(p)
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Random characters from an alphabet.
    pub fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// The hazard planted in one application's production environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hazard {
    None,
    /// Production's database URL points at staging's database host.
    CrossEnvironment,
    /// DEBUG=true in production.
    Debug,
    /// `:latest` in production.
    MutableTag,
    /// The same secret value in staging and production.
    ReusedSecret,
    /// Plain HTTP for a public URL in production.
    PlainHttp,
}

/// One application and its per-environment values.
#[derive(Debug, Clone)]
struct App {
    name: String,
    team: String,
    /// `postgres`, `redis` or an application.
    kind: AppKind,
    version: String,
    port: u16,
    workers: u32,
    /// Per environment, lowest first.
    envs: Vec<EnvValues>,
    /// Values common to every environment.
    shared: Vec<(String, String)>,
    feature_json: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AppKind {
    App,
    Postgres,
    Redis,
}

#[derive(Debug, Clone)]
struct EnvValues {
    tag: String,
    replicas: u32,
    cpu_millis: u32,
    memory_mib: u32,
    log_level: &'static str,
    debug: bool,
    public_url: String,
    database_url: String,
    db_password: String,
    api_key: String,
    /// The drifting setting, if any: `(key, value)`.
    drift: Option<(String, String)>,
    min_replicas: u32,
    max_replicas: u32,
}

const TEAMS: &[&str] = &[
    "payments", "search", "identity", "catalog", "checkout", "ledger", "growth", "platform",
    "media", "notify",
];
const WORDS: &[&str] = &[
    "orders",
    "billing",
    "invoices",
    "users",
    "sessions",
    "gateway",
    "reports",
    "inventory",
    "pricing",
    "shipping",
    "reviews",
    "ratings",
    "emails",
    "exports",
    "imports",
    "audit",
];

fn make_app(i: usize, cfg: &Config, rng: &mut Rng) -> App {
    let team = rng.pick(TEAMS).to_string();
    let kind = match i % 25 {
        7 => AppKind::Postgres,
        19 => AppKind::Redis,
        _ => AppKind::App,
    };
    // Letters, not digits: trailing numbers mean replicas (`web1`, `web2`) to envparity.
    let id = letters(i);
    let name = match kind {
        AppKind::App => format!("{}-{}-{id}", team, rng.pick(WORDS)),
        AppKind::Postgres => format!("{team}-db-{id}"),
        AppKind::Redis => format!("{team}-cache-{id}"),
    };
    let version = match kind {
        AppKind::App => format!("{}.{}.{}", 1 + rng.below(4), rng.below(30), rng.below(20)),
        AppKind::Postgres => "16.4-alpine".to_string(),
        AppKind::Redis => "7.4-alpine".to_string(),
    };
    let hazard = if rng.chance_per_mille(cfg.hazard_per_mille) {
        match rng.below(5) {
            0 => Hazard::CrossEnvironment,
            1 => Hazard::Debug,
            2 => Hazard::MutableTag,
            3 => Hazard::ReusedSecret,
            _ => Hazard::PlainHttp,
        }
    } else {
        Hazard::None
    };
    let drift = rng.chance_per_mille(cfg.drift_per_mille);
    let drift_key = format!("{}_BATCH_SIZE", rng.pick(WORDS).to_ascii_uppercase());
    let shared_secret = rng.token(32);
    let db_host = |env: &str| format!("{}-db.{env}.svc.cluster.local", team);
    let mut envs = Vec::new();
    for (e, env) in ENVS.iter().enumerate() {
        let production = *env == "production";
        let tag = match kind {
            AppKind::App if production && hazard == Hazard::MutableTag => "latest".to_string(),
            AppKind::App => version.clone(),
            _ => version.clone(),
        };
        let db_env = if production && hazard == Hazard::CrossEnvironment {
            "staging"
        } else {
            env
        };
        let db_password = if hazard == Hazard::ReusedSecret && e >= 1 {
            shared_secret.clone()
        } else {
            rng.token(32)
        };
        let scheme = if production && hazard == Hazard::PlainHttp {
            "http"
        } else {
            "https"
        };
        let public_url = if production {
            format!("{scheme}://{name}.example.com")
        } else {
            format!("{scheme}://{name}.{env}.example.com")
        };
        envs.push(EnvValues {
            tag,
            replicas: [1, 2, 4][e],
            cpu_millis: [250, 500, 1000][e],
            memory_mib: [256, 512, 1024][e],
            log_level: ["debug", "info", "warning"][e],
            debug: e == 0 || (production && hazard == Hazard::Debug),
            public_url,
            database_url: format!(
                "postgres://{}:${{DB_PASSWORD}}@{}:5432/{}",
                name.replace('-', "_"),
                db_host(db_env),
                name.replace('-', "_")
            ),
            db_password,
            api_key: format!("key_{}", rng.token(40)),
            drift: (drift && production)
                .then(|| (drift_key.clone(), (500 + rng.below(500)).to_string())),
            min_replicas: [1, 2, 3][e],
            max_replicas: [2, 5, 20][e],
        });
    }
    // A drifting key exists everywhere; production's value differs.
    if drift {
        let value = (100 + rng.below(100)).to_string();
        for v in envs.iter_mut().take(2) {
            v.drift = Some((drift_key.clone(), value.clone()));
        }
    }
    let mut shared = vec![
        ("SERVICE_NAME".to_string(), name.clone()),
        ("TEAM".to_string(), team.clone()),
        ("HTTP_PORT".to_string(), "8080".to_string()),
        (
            "TIMEOUT_SECONDS".to_string(),
            (5 + rng.below(55)).to_string(),
        ),
        (
            "CACHE_TTL".to_string(),
            (60 * (1 + rng.below(60))).to_string(),
        ),
        (
            "UPSTREAM_SERVICES".to_string(),
            (0..4)
                .map(|_| format!("{}-{}", rng.pick(TEAMS), rng.pick(WORDS)))
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("API_VERSION".to_string(), format!("v{}", 1 + rng.below(3))),
        ("GREETING".to_string(), lorem(rng, 12)),
    ];
    for k in 0..6 {
        shared.push((
            format!("FEATURE_{}_{k}", rng.pick(WORDS).to_ascii_uppercase()),
            ["true", "false"][rng.below(2) as usize].to_string(),
        ));
    }
    let feature_json = format!(
        "{{\"rollout\": {{\"percent\": {}, \"cohorts\": [{}]}}, \"limits\": {{\"rps\": {}, \"burst\": {}}}, \"note\": \"{}\"}}",
        rng.below(100),
        (0..6)
            .map(|_| format!("\"{}\"", rng.token(8)))
            .collect::<Vec<_>>()
            .join(", "),
        100 * (1 + rng.below(50)),
        10 * (1 + rng.below(20)),
        lorem(rng, 20)
    );
    App {
        name,
        team,
        kind,
        version,
        port: 8000 + (i % 1000) as u16,
        workers: 2 + rng.below(7) as u32,
        envs,
        shared,
        feature_json,
    }
}

/// `i` in base 26, four letters at least: 0 -> `aaaa`, 27 -> `aabb`.
pub fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    while out.len() < 4 || i > 0 {
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn lorem(rng: &mut Rng, words: usize) -> String {
    const L: &[&str] = &[
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
        "incididunt",
        "labore",
        "magna",
        "aliqua",
    ];
    (0..words)
        .map(|_| rng.pick(L))
        .collect::<Vec<_>>()
        .join(" ")
}

fn apps(count: usize, cfg: &Config) -> Vec<App> {
    let mut rng = Rng::new(cfg.seed);
    (0..count).map(|i| make_app(i, cfg, &mut rng)).collect()
}

fn image(app: &App, tag: &str) -> String {
    match app.kind {
        AppKind::App => format!("registry.example.com/{}/{}:{tag}", app.team, app.name),
        AppKind::Postgres => format!("postgres:{tag}"),
        AppKind::Redis => format!("redis:{tag}"),
    }
}

fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

// ---------------------------------------------------------------------------------------------
// Compose

/// Write the Compose form of `cfg.objects` services into `dir` (and `dir/../rendered-compose`).
pub fn write_compose(dir: &Path, rendered: &Path, cfg: &Config) -> io::Result<Written> {
    let apps = apps(cfg.objects, cfg);
    let mut w = Written::default();
    let mut base = String::from(
        "# Generated by envparity-gen: the shared base of every environment.\nservices:\n",
    );
    for app in &apps {
        compose_base(&mut base, app);
    }
    w.file(&dir.join("docker-compose.yml"), &base)?;
    for (e, env) in ENVS.iter().enumerate() {
        let mut text = format!("# Generated by envparity-gen: {env}.\nservices:\n");
        let mut full = format!("# {env}: the merged Compose configuration.\nservices:\n");
        for app in &apps {
            compose_override(&mut text, app, e);
            compose_rendered(&mut full, app, e);
        }
        w.file(&dir.join(format!("docker-compose.{env}.yml")), &text)?;
        std::fs::create_dir_all(rendered)?;
        std::fs::write(rendered.join(format!("{env}.yaml")), full)?;
    }
    w.file(&dir.join("envparity.toml"), &policy("deploy.replicas"))?;
    Ok(w)
}

fn policy(replicas_setting: &str) -> String {
    format!(
        r#"# Generated by envparity-gen.
fail_on = "error"

[environments]
order = ["development", "staging", "production"]

[[intended]]
setting = "env.LOG_LEVEL"
reason = "verbose logging below production"

[[intended]]
setting = "env.DEBUG"
reason = "debug pages in development"

[[intended]]
setting = "{replicas_setting}"
reason = "production runs more replicas"

[[intended]]
setting = "*memory*"
reason = "sized per environment"

[[intended]]
setting = "*cpu*"
reason = "sized per environment"

[[must_match]]
setting = "env.API_VERSION"
reason = "clients pin the API version"
"#
    )
}

fn compose_common(out: &mut String, app: &App) {
    match app.kind {
        AppKind::App => {
            let _ = writeln!(
                out,
                "    command: [\"gunicorn\", \"app.wsgi\", \"--workers\", \"{}\", \"--bind\", \"0.0.0.0:{}\"]",
                app.workers, app.port
            );
            let _ = writeln!(out, "    ports:\n      - \"{}\"", app.port);
            let _ = writeln!(out, "    labels:\n      com.example.team: {}\n      com.example.tier: backend\n      com.example.owner: {}@example.com", app.team, app.team);
            let _ = writeln!(
                out,
                "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-fsS\", \"http://localhost:{}/healthz\"]\n      interval: 30s\n      timeout: 5s\n      retries: 3",
                app.port
            );
        }
        AppKind::Postgres => {
            let _ = writeln!(
                out,
                "    volumes:\n      - {}-data:/var/lib/postgresql/data",
                app.name
            );
            let _ = writeln!(
                out,
                "    healthcheck:\n      test: [\"CMD\", \"pg_isready\"]\n      interval: 10s"
            );
        }
        AppKind::Redis => {
            let _ = writeln!(out, "    command: [\"redis-server\", \"--appendonly\", \"yes\", \"--maxmemory-policy\", \"allkeys-lru\"]");
            let _ = writeln!(out, "    healthcheck:\n      test: [\"CMD\", \"redis-cli\", \"ping\"]\n      interval: 10s");
        }
    }
}

fn compose_base(out: &mut String, app: &App) {
    let _ = writeln!(out, "  {}:", app.name);
    let _ = writeln!(out, "    image: {}", image(app, &app.version));
    compose_common(out, app);
    let _ = writeln!(out, "    environment:");
    if app.kind == AppKind::App {
        for (k, v) in &app.shared {
            let _ = writeln!(out, "      {k}: {}", q(v));
        }
        let _ = writeln!(out, "      FEATURE_FLAGS_JSON: {}", q(&app.feature_json));
    } else {
        let _ = writeln!(out, "      TZ: UTC");
    }
}

fn compose_env_values(out: &mut String, app: &App, v: &EnvValues) {
    let _ = writeln!(out, "    environment:");
    match app.kind {
        AppKind::App => {
            let _ = writeln!(out, "      LOG_LEVEL: {}", v.log_level);
            let _ = writeln!(out, "      DEBUG: \"{}\"", v.debug);
            let _ = writeln!(out, "      PUBLIC_URL: {}", v.public_url);
            let _ = writeln!(out, "      DATABASE_URL: {}", v.database_url);
            let _ = writeln!(out, "      DB_PASSWORD: {}", v.db_password);
            let _ = writeln!(out, "      PARTNER_API_KEY: {}", v.api_key);
            if let Some((k, val)) = &v.drift {
                let _ = writeln!(out, "      {k}: \"{val}\"");
            }
        }
        AppKind::Postgres => {
            let _ = writeln!(out, "      POSTGRES_PASSWORD: {}", v.db_password);
            let _ = writeln!(out, "      POSTGRES_DB: {}", app.name.replace('-', "_"));
        }
        AppKind::Redis => {
            let _ = writeln!(out, "      REDIS_PASSWORD: {}", v.db_password);
        }
    }
    let _ = writeln!(
        out,
        "    deploy:\n      replicas: {}\n      resources:\n        limits:\n          cpus: \"{}\"\n          memory: {}M",
        v.replicas,
        f64::from(v.cpu_millis) / 1000.0,
        v.memory_mib
    );
}

fn compose_override(out: &mut String, app: &App, e: usize) {
    let v = &app.envs[e];
    let _ = writeln!(out, "  {}:", app.name);
    if v.tag != app.version {
        let _ = writeln!(out, "    image: {}", image(app, &v.tag));
    }
    compose_env_values(out, app, v);
}

fn compose_rendered(out: &mut String, app: &App, e: usize) {
    let v = &app.envs[e];
    let _ = writeln!(out, "  {}:", app.name);
    let _ = writeln!(out, "    image: {}", image(app, &v.tag));
    compose_common(out, app);
    compose_env_values(out, app, v);
    // The base's environment entries, merged after the override's (a mapping's order does
    // not matter to comparers).
    if app.kind == AppKind::App {
        let mut extra = String::new();
        for (k, val) in &app.shared {
            let _ = writeln!(extra, "      {k}: {}", q(val));
        }
        let _ = writeln!(extra, "      FEATURE_FLAGS_JSON: {}", q(&app.feature_json));
        // Insert under `environment:` of this service: the last `environment:` written.
        if let Some(pos) = out.rfind("    environment:\n") {
            let at = pos + "    environment:\n".len();
            out.insert_str(at, &extra);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kustomize

/// Write the Kustomize form: `cfg.objects` Kubernetes objects per environment.
pub fn write_kustomize(dir: &Path, rendered: &Path, cfg: &Config) -> io::Result<Written> {
    let n_apps = cfg.objects.div_ceil(KINDS.len());
    let apps = apps(n_apps, cfg);
    let mut w = Written::default();
    let mut base_k = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncommonLabels:\n  app.kubernetes.io/part-of: fleet\nresources:\n",
    );
    let mut remaining = cfg.objects;
    let mut per_app: Vec<usize> = Vec::new();
    for app in &apps {
        let count = remaining.min(KINDS.len());
        remaining -= count;
        per_app.push(count);
        let mut text = String::new();
        for kind in &KINDS[..count] {
            k8s_object(&mut text, app, kind, None);
        }
        let file = format!("apps/{}.yaml", app.name);
        let _ = writeln!(base_k, "  - {file}");
        w.file(&dir.join("base").join(&file), &text)?;
    }
    w.file(&dir.join("base/kustomization.yaml"), &base_k)?;
    for (e, env) in ENVS.iter().enumerate() {
        let overlay = dir.join("overlays").join(env);
        let mut k = format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: fleet-{env}\nresources:\n  - ../../base\ncommonLabels:\n  environment: {env}\npatches:\n"
        );
        let mut full = String::new();
        for (app, &count) in apps.iter().zip(&per_app) {
            let mut patch = String::new();
            for kind in &KINDS[..count] {
                k8s_patch(&mut patch, app, kind, e);
                k8s_object(&mut full, app, kind, Some((e, env)));
            }
            if !patch.is_empty() {
                let file = format!("patches/{}.yaml", app.name);
                let _ = writeln!(k, "  - path: {file}");
                w.file(&overlay.join(&file), &patch)?;
            }
        }
        w.file(&overlay.join("kustomization.yaml"), &k)?;
        std::fs::create_dir_all(rendered)?;
        std::fs::write(rendered.join(format!("{env}.yaml")), full)?;
    }
    w.file(&dir.join("envparity.toml"), &policy("replicas"))?;
    Ok(w)
}

fn meta(out: &mut String, app: &App, kind: &str, api: &str, env: Option<(usize, &str)>) {
    let _ = writeln!(
        out,
        "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {}",
        app.name
    );
    if let Some((_, env)) = env {
        let _ = writeln!(out, "  namespace: fleet-{env}");
    }
    let _ = writeln!(
        out,
        "  labels:\n    app.kubernetes.io/name: {}\n    app.kubernetes.io/part-of: fleet\n    team: {}",
        app.name, app.team
    );
    if let Some((_, env)) = env {
        let _ = writeln!(out, "    environment: {env}");
    }
    let _ = writeln!(
        out,
        "  annotations:\n    example.com/owner: {}@example.com\n    example.com/runbook: https://runbooks.example.com/{}/{}",
        app.team, app.team, app.name
    );
}

fn api_of(kind: &str) -> &'static str {
    match kind {
        "Deployment" => "apps/v1",
        "HorizontalPodAutoscaler" => "autoscaling/v2",
        "Ingress" => "networking.k8s.io/v1",
        _ => "v1",
    }
}

/// One object: the base form (`env` None) or an environment's rendered form.
fn k8s_object(out: &mut String, app: &App, kind: &str, env: Option<(usize, &str)>) {
    meta(out, app, kind, api_of(kind), env);
    let v = env.map(|(e, _)| &app.envs[e]);
    let port = app.port;
    match kind {
        "Deployment" => {
            let tag = v.map_or(app.version.as_str(), |v| v.tag.as_str());
            let _ = writeln!(out, "spec:\n  replicas: {}", v.map_or(1, |v| v.replicas));
            let _ = writeln!(
                out,
                "  selector:\n    matchLabels:\n      app.kubernetes.io/name: {}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {}\n    spec:\n      serviceAccountName: {}\n      containers:\n        - name: app\n          image: {}",
                app.name, app.name, app.name, image(app, tag)
            );
            if app.kind == AppKind::App {
                let _ = writeln!(
                    out,
                    "          args: [\"--workers\", \"{}\", \"--port\", \"{port}\"]",
                    app.workers
                );
            }
            let _ = writeln!(
                out,
                "          ports:\n            - containerPort: {port}\n              name: http"
            );
            let _ = writeln!(out, "          envFrom:\n            - configMapRef:\n                name: {}\n            - secretRef:\n                name: {}", app.name, app.name);
            if let Some(v) = v {
                deployment_env(out, v);
            }
            let (cpu, mem) = v.map_or((100, 128), |v| (v.cpu_millis, v.memory_mib));
            let _ = writeln!(
                out,
                "          resources:\n            requests:\n              cpu: {}m\n              memory: {}Mi\n            limits:\n              cpu: {}m\n              memory: {}Mi",
                cpu / 2,
                mem / 2,
                cpu,
                mem
            );
            let _ = writeln!(
                out,
                "          readinessProbe:\n            httpGet:\n              path: /readyz\n              port: {port}\n            periodSeconds: 10\n          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: {port}\n            initialDelaySeconds: 15\n            periodSeconds: 20"
            );
        }
        "Service" => {
            let _ = writeln!(
                out,
                "spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {}\n  ports:\n    - name: http\n      port: 80\n      targetPort: {port}",
                app.name
            );
        }
        "ConfigMap" => {
            let _ = writeln!(out, "data:");
            for (k, val) in &app.shared {
                let _ = writeln!(out, "  {k}: {}", q(val));
            }
            let _ = writeln!(out, "  FEATURE_FLAGS_JSON: {}", q(&app.feature_json));
            if let Some(v) = v {
                configmap_env(out, v);
            }
        }
        "Secret" => {
            let _ = writeln!(out, "type: Opaque\nstringData:");
            match v {
                Some(v) => secret_env(out, v),
                None => {
                    let _ = writeln!(
                        out,
                        "  DB_PASSWORD: change-me\n  PARTNER_API_KEY: change-me"
                    );
                }
            }
        }
        "HorizontalPodAutoscaler" => {
            let (min, max) = v.map_or((1, 2), |v| (v.min_replicas, v.max_replicas));
            let _ = writeln!(
                out,
                "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {}\n  minReplicas: {min}\n  maxReplicas: {max}\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 70",
                app.name
            );
        }
        "Ingress" => {
            let host = v.map_or_else(
                || format!("{}.example.com", app.name),
                |v| {
                    v.public_url
                        .split("://")
                        .nth(1)
                        .unwrap_or_default()
                        .to_string()
                },
            );
            let _ = writeln!(
                out,
                "spec:\n  ingressClassName: nginx\n  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: {}\n                port:\n                  number: 80",
                app.name
            );
            let tls = v.is_none_or(|v| v.public_url.starts_with("https"));
            if tls {
                let _ = writeln!(
                    out,
                    "  tls:\n    - hosts: [{host}]\n      secretName: {}-tls",
                    app.name
                );
            }
        }
        _ => {}
    }
}

fn deployment_env(out: &mut String, v: &EnvValues) {
    let _ = writeln!(
        out,
        "          env:\n            - name: LOG_LEVEL\n              value: {}\n            - name: DEBUG\n              value: \"{}\"",
        v.log_level, v.debug
    );
}

fn configmap_env(out: &mut String, v: &EnvValues) {
    let _ = writeln!(out, "  PUBLIC_URL: {}", q(&v.public_url));
    let _ = writeln!(out, "  DATABASE_URL: {}", q(&v.database_url));
    if let Some((k, val)) = &v.drift {
        let _ = writeln!(out, "  {k}: \"{val}\"");
    }
}

fn secret_env(out: &mut String, v: &EnvValues) {
    let _ = writeln!(out, "  DB_PASSWORD: {}", v.db_password);
    let _ = writeln!(out, "  PARTNER_API_KEY: {}", v.api_key);
}

/// The overlay's strategic merge patch for one object.
fn k8s_patch(out: &mut String, app: &App, kind: &str, e: usize) {
    let v = &app.envs[e];
    let head = |out: &mut String| {
        let _ = writeln!(
            out,
            "---\napiVersion: {}\nkind: {kind}\nmetadata:\n  name: {}",
            api_of(kind),
            app.name
        );
    };
    match kind {
        "Deployment" => {
            head(out);
            let _ = writeln!(
                out,
                "spec:\n  replicas: {}\n  template:\n    spec:\n      containers:\n        - name: app\n          image: {}",
                v.replicas,
                image(app, &v.tag)
            );
            deployment_env(out, v);
            let _ = writeln!(
                out,
                "          resources:\n            requests:\n              cpu: {}m\n              memory: {}Mi\n            limits:\n              cpu: {}m\n              memory: {}Mi",
                v.cpu_millis / 2,
                v.memory_mib / 2,
                v.cpu_millis,
                v.memory_mib
            );
        }
        "ConfigMap" => {
            head(out);
            let _ = writeln!(out, "data:");
            configmap_env(out, v);
        }
        "Secret" => {
            head(out);
            let _ = writeln!(out, "stringData:");
            secret_env(out, v);
        }
        "HorizontalPodAutoscaler" => {
            head(out);
            let _ = writeln!(
                out,
                "spec:\n  minReplicas: {}\n  maxReplicas: {}",
                v.min_replicas, v.max_replicas
            );
        }
        "Ingress" => {
            head(out);
            let host = v.public_url.split("://").nth(1).unwrap_or_default();
            let _ = writeln!(out, "spec:\n  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: {}\n                port:\n                  number: 80", app.name);
            if v.public_url.starts_with("https") {
                let _ = writeln!(
                    out,
                    "  tls:\n    - hosts: [{host}]\n      secretName: {}-tls",
                    app.name
                );
            } else {
                let _ = writeln!(out, "  tls: null");
            }
        }
        _ => {}
    }
}

/// Write both forms for one scale under `out`: `compose/`, `kustomize/`, and their
/// `rendered-*` directories.
pub fn write_scale(out: &Path, cfg: &Config) -> io::Result<(Written, Written)> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    let compose = write_compose(&out.join("compose"), &out.join("rendered-compose"), cfg)?;
    let kustomize = write_kustomize(&out.join("kustomize"), &out.join("rendered-kustomize"), cfg)?;
    Ok((compose, kustomize))
}
