#!/usr/bin/env python3
"""Writes the malformed-input corpus next to this script.

Each file's name says what envparity must do with it (tests/hostile.rs reads the names):
  NAME.L<n>.<ext>  exit 2, and the error names the file and line <n>
  NAME.E.<ext>     exit 2, and the error names the file (no line is meaningful)
  NAME.OK.<ext>    exit 0: odd but acceptable input (a note at most)
  NAME.ANY.<ext>   exit 0 or 2, never a crash (truncations that may or may not parse)
Folders: compose/ (read as the staging Compose file), dotenv/ (read as a service's env_file),
policy/ (read with --config). Re-run this script after changing it; the files are committed.
"""

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

VALID = """services:
  web:
    image: ghcr.io/acme/web:1.4.0
    command: gunicorn app.wsgi --workers 4 --threads 2
    environment:
      DJANGO_SETTINGS_MODULE: app.settings.staging
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app
    deploy:
      replicas: 2
      resources:
        limits: {cpus: '1.0', memory: 512M}
  db:
    image: postgres:16-alpine
    command: ["postgres", "-c", "max_connections=100", "-c", "shared_buffers=512MB"]
"""


def svc(body, name="web"):
    """A Compose file with one service whose body (indented 4) is given."""
    return "services:\n  %s:\n%s" % (name, body)


compose = {}

# --- YAML syntax -------------------------------------------------------------------------
compose["unterminated-double-quote.L3"] = svc('    image: "ghcr.io/acme/web:1\n    restart: always\n')
compose["unterminated-single-quote.L3"] = svc("    image: 'ghcr.io/acme/web:1\n    restart: always\n")
compose["tab-indentation.L3"] = "services:\n  web:\n\timage: app:1\n"
compose["tab-after-key.L3"] = svc("    image: app:1\n\t  restart: always\n")
compose["bad-indentation.L4"] = svc("    image: app:1\n   restart: always\n")
compose["unclosed-flow-sequence.L4"] = svc("    ports: [80, 443\n    image: app:1\n")
compose["unclosed-flow-mapping.L4"] = svc("    deploy: {replicas: 2\n    image: app:1\n")
compose["stray-closing-bracket.L4"] = svc("    image: app:1]\n    ports: ]\n")
compose["undefined-alias.L3"] = svc("    image: *missing\n")
compose["key-value-value.L3"] = svc("    image: app: 1: 2\n")
compose["bad-escape.L3"] = svc('    image: "app\\q"\n')
compose["complex-key.L3"] = svc("    ? [a, b]\n    : value\n")
compose["null-key.L3"] = svc("    ~: value\n")
compose["duplicate-service.L4"] = "services:\n  web:\n    image: a:1\n  web:\n    image: b:1\n"
compose["duplicate-key-nested.L6"] = svc("    deploy:\n      resources:\n        limits: {cpus: '1'}\n      resources: {}\n")
compose["duplicate-env-key.L5"] = svc("    environment:\n      A: '1'\n      A: '2'\n")
compose["duplicate-top-level.L3"] = "services: {}\nnetworks: {}\nservices: {}\n"
compose["only-dash.ANY"] = "-\n"
compose["sequence-document.L1"] = "- web\n- db\n"
compose["scalar-document.L1"] = "just a string\n"
compose["number-document.L1"] = "42\n"
compose["two-documents.OK"] = VALID + "---\nservices: {}\n"
compose["empty.OK"] = ""
compose["only-comments.OK"] = "# nothing here\n# at all\n"
compose["only-whitespace.OK"] = "\n\n   \n"
compose["bom.OK"] = "\ufeff" + VALID
compose["crlf-line-endings.OK"] = VALID.replace("\n", "\r\n")
compose["directive.OK"] = "%YAML 1.2\n---\n" + VALID
compose["bad-directive.L1"] = "%YAML 9.9.9.9\n---\n" + VALID
compose["anchor-merge.OK"] = "x-base: &base\n  image: app:1\nservices:\n  web:\n    <<: *base\n    restart: always\n"
compose["merge-scalar.L5"] = "x-base: &base hello\nservices:\n  web:\n    image: app:1\n    <<: *base\n"
compose["recursive-alias.L4"] = svc("    labels: &a\n      x: *a\n")
compose["unicode-names.OK"] = "services:\n  wéb-ünïcode:\n    image: app:1\n    environment:\n      GRÜSSE: 'héllo wörld ✓'\n"
compose["very-long-line.OK"] = svc("    image: app:1\n    environment:\n      LONG: '" + "x" * 200000 + "'\n")
compose["many-services.OK"] = "services:\n" + "".join("  s%d:\n    image: app:%d\n" % (i, i) for i in range(2000))

# --- wrong types and values ---------------------------------------------------------------
compose["services-list.L1"] = "services:\n  - web\n  - db\n"
compose["services-scalar.L1"] = "services: web\n"
compose["service-scalar.L2"] = "services:\n  web: app:1\n"
compose["service-list.L2"] = "services:\n  web:\n    - image: app:1\n"
compose["image-list.L3"] = svc("    image: [a, b]\n")
compose["image-map.L3"] = svc("    image:\n      name: app\n")
compose["command-map.L4"] = svc("    image: app:1\n    command: {a: b}\n")
compose["command-list-of-maps.L5"] = svc("    image: app:1\n    command:\n      - {a: b}\n")
compose["entrypoint-map.L4"] = svc("    image: app:1\n    entrypoint: {a: b}\n")
compose["environment-scalar.L4"] = svc("    image: app:1\n    environment: FOO=bar\n")
compose["environment-nested-map.L5"] = svc("    image: app:1\n    environment:\n      A:\n        B: c\n")
compose["environment-list-of-maps.OK"] = svc("    image: app:1\n    environment:\n      - A=1\n      - B\n")
for name, value in [
    ("many", "many"), ("negative", "-1"), ("fraction", "1.5"), ("huge", "99999999999"),
    ("empty-string", "''"), ("word-two", "two"), ("hex", "0x10"),
]:
    compose["replicas-%s.L5" % name] = svc("    image: app:1\n    deploy:\n      replicas: %s\n" % value)
compose["replicas-list.L5"] = svc("    image: app:1\n    deploy:\n      replicas: [1]\n")
compose["scale-word.L4"] = svc("    image: app:1\n    scale: lots\n")
for name, value in [
    ("parsecs", "5 parsecs"), ("dots", "1.2.3G"), ("empty", "''"), ("negative", "-512M"),
    ("unit-only", "G"), ("overflow", "99999999999999P"), ("word", "big"),
    ("nan", "NaN"), ("inf", "inf"), ("exponent", "1e3G"),
]:
    compose["memory-%s.L7" % name] = svc(
        "    image: app:1\n    deploy:\n      resources:\n        limits:\n          memory: %s\n" % value
    )
# Docker accepts one space before the unit.
compose["memory-space-unit.OK"] = svc(
    "    image: app:1\n    deploy:\n      resources:\n        limits:\n          memory: 512 MB\n"
)
for name, value in [("two", "two"), ("negative", "'-1'"), ("empty", "''"), ("nan", "NaN"), ("units", "1000m"), ("overflow", "1e300")]:
    compose["cpus-%s.L7" % name] = svc(
        "    image: app:1\n    deploy:\n      resources:\n        limits:\n          cpus: %s\n" % value
    )
compose["reservation-memory-list.L7"] = svc(
    "    image: app:1\n    deploy:\n      resources:\n        reservations:\n          memory: [1G]\n"
)
compose["legacy-mem-limit-word.L4"] = svc("    image: app:1\n    mem_limit: plenty\n")
compose["legacy-cpus-word.L4"] = svc("    image: app:1\n    cpus: many\n")
compose["legacy-mem-reservation-unit.L4"] = svc("    image: app:1\n    mem_reservation: 5qb\n")
compose["profiles-map.L4"] = svc("    image: app:1\n    profiles: {a: b}\n")
compose["profiles-list-of-lists.L5"] = svc("    image: app:1\n    profiles:\n      - [a]\n")
compose["networks-top-level-list.L4"] = svc("    image: app:1\n") + "networks:\n  - front\n"
compose["volumes-top-level-scalar.L4"] = svc("    image: app:1\n") + "volumes: data\n"
compose["unknown-top-level-key.L1"] = "servics:\n  web:\n    image: app:1\n"
compose["include-unsupported.L1"] = "include:\n  - other.yml\nservices: {}\n"
compose["unknown-service-key.OK"] = svc("    image: app:1\n    colour: blue\n")
compose["version-only.OK"] = "version: '3.8'\n"
compose["x-extension-junk.OK"] = "x-anything: [1, {a: [b]}]\nservices:\n  web:\n    image: app:1\n    x-note: hi\n"
compose["healthcheck-list.OK"] = svc("    image: app:1\n    healthcheck: [a, b]\n")
compose["volumes-map.OK"] = svc("    image: app:1\n    volumes: {a: b}\n")
compose["ports-odd.OK"] = svc("    image: app:1\n    ports: ['99999:-1', {target: x}]\n")
compose["image-empty.OK"] = svc("    image: ''\n")
compose["image-weird.OK"] = svc("    image: ':@:/:'\n")
compose["command-unbalanced-quotes.OK"] = svc("    image: app:1\n    command: sh -c 'exec postgres -c a=b\n")
compose["command-sh-c-empty.OK"] = svc("    image: app:1\n    command: [sh, -c]\n")
compose["command-only-flags.OK"] = svc("    image: app:1\n    command: ['--', '-', '--=', '-c']\n")

# --- env_file, extends: files and paths ------------------------------------------------
compose["env-file-missing.L4"] = svc("    image: app:1\n    env_file: does-not-exist.env\n")
compose["env-file-outside-root.L4"] = svc("    image: app:1\n    env_file: ../../../../etc/passwd\n")
compose["env-file-absolute.E"] = svc("    image: app:1\n    env_file: /etc/passwd\n")
compose["env-file-map-without-path.L5"] = svc("    image: app:1\n    env_file:\n      - required: true\n")
compose["env-file-number.L4"] = svc("    image: app:1\n    env_file: {a: 1}\n")
compose["env-file-optional-missing.OK"] = svc("    image: app:1\n    env_file:\n      - path: nope.env\n        required: false\n")
compose["extends-missing-service.L4"] = svc("    image: app:1\n    extends: ghost\n")
compose["extends-cycle.L3"] = "services:\n  a:\n    extends: b\n  b:\n    extends: a\n"
compose["extends-self.L3"] = "services:\n  a:\n    extends: a\n"
compose["extends-file-missing.E"] = svc("    extends:\n      service: web\n      file: nowhere.yml\n")
compose["extends-file-outside.L3"] = svc("    extends:\n      service: web\n      file: ../../../../../etc/hosts\n")
compose["extends-no-service.L3"] = svc("    extends:\n      file: other.yml\n")
compose["extends-list.L3"] = svc("    extends: [a]\n")

# --- interpolation -------------------------------------------------------------------------
compose["interp-unterminated.L3"] = svc("    image: app:${TAG\n")
compose["interp-empty-name.L3"] = svc("    image: app:${}\n")
compose["interp-bad-name.L3"] = svc("    image: app:${1TAG}\n")
compose["interp-bad-operator.L3"] = svc("    image: app:${TAG:x}\n")
# A required variable without a value is supplied when deployed: read on, shown as ${VAR}, noted.
compose["interp-required-missing.OK"] = svc("    image: app:1\n    environment:\n      DB: ${ENVPARITY_CORPUS_UNSET:?database url is required}\n")
compose["interp-required-empty-form.OK"] = svc("    image: app:1\n    environment:\n      DB: ${ENVPARITY_CORPUS_UNSET?}\n")
compose["interp-nested-too-deep.L3"] = svc("    image: " + "${A:-" * 40 + "x" + "}" * 40 + "\n")
compose["interp-nested-ok.OK"] = svc("    image: app:${A:-${B:-${C:-1}}}\n")
compose["interp-dollar-at-end.OK"] = svc("    image: app:1\n    environment:\n      PRICE: 5$\n")
compose["interp-double-dollar.OK"] = svc("    image: app:1\n    command: echo $$HOME\n")
compose["interp-unset-plain.OK"] = svc("    image: app:${ENVPARITY_CORPUS_UNSET}\n")
compose["interp-in-key-not-expanded.OK"] = svc("    image: app:1\n    environment:\n      ${NAME}: value\n")

# --- resource bombs -----------------------------------------------------------------------
laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for i, (cur, prev) in enumerate(zip("bcdefghi", "abcdefgh")):
    laughs.append("%s: &%s [%s]" % (cur, cur, ",".join(["*" + prev] * 9)))
compose["billion-laughs.E"] = "x-bomb:\n" + "".join("  %s\n" % l for l in laughs) + "services: {}\n"
compose["deep-flow-nesting.L1"] = "x: " + "[" * 100000 + "]" * 100000 + "\n"
compose["deep-block-nesting.E"] = "x:\n" + "".join("  " * (i + 1) + "- \n" for i in range(300)) + "services: {}\n"
compose["deep-map-nesting.E"] = "x:\n" + "".join("  " * (i + 1) + "k%d:\n" % i for i in range(300)) + "services: {}\n"
compose["wide-alias-fanout.OK"] = "x-a: &a {k: v}\n" + "x-list:\n" + "".join("  - *a\n" for _ in range(5000)) + "services: {}\n"

# --- truncations of a valid file (may or may not parse; must never crash) ----------------------
for cut in range(7, len(VALID), 23):
    compose["truncated-at-%03d.ANY" % cut] = VALID[:cut]

# --- raw bytes -----------------------------------------------------------------------------
binary = {
    "nul-byte.E": VALID.encode()[:40] + b"\x00" + VALID.encode()[40:],
    "invalid-utf8.L3": b"services:\n  web:\n    image: caf\xe9:1\n",
    "invalid-utf8-first-line.L1": b"\xff\xfeservices: {}\n",
    "utf16-le.E": "services: {}\n".encode("utf-16-le"),
    "png-header.E": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "gzip.E": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(200)),
    "random-bytes.E": bytes((i * 7919 + 13) % 256 for i in range(4096)),
    "control-chars.ANY": b"services:\n  web:\n    image: app\x07\x1b[31m:1\n",
}

# --- dotenv (read as env_file) -----------------------------------------------------------
dotenv = {
    "unterminated-double.L2": 'A=1\nB="never closed\nC=3\n',
    "unterminated-single.L1": "A='open\n",
    "text-after-quote.L1": 'A="x" y\n',
    "invalid-key-digit.L1": "1A=x\n",
    "invalid-key-space.L1": "MY KEY=x\n",
    "invalid-key-symbol.L2": "A=1\nB$=2\n",
    "equals-only.L1": "=value\n",
    "interp-unterminated.L1": "A=${B\n",
    "interp-required.L2": "A=1\nB=${ENVPARITY_CORPUS_UNSET:?needed}\n",
    "interp-bad-op.L1": "A=${B:x}\n",
    "interp-too-deep.L1": "A=" + "${X:-" * 40 + "v" + "}" * 40 + "\n",
    "empty.OK": "",
    "comments-only.OK": "# a\n   # b\n",
    "export-prefix.OK": "export A=1\nexport  B='two'\n",
    "bare-key.OK": "JUST_A_NAME\n",
    "crlf.OK": "A=1\r\nB=\"x\"\r\n",
    "bom.OK": "\ufeffA=1\n",
    "multiline-double.OK": 'A="line1\nline2"\nB=2\n',
    "inline-comment.OK": "A=1 # comment\nB=2#not-comment\n",
    "duplicate-keys.OK": "A=1\nA=2\n",
    "unicode-value.OK": "GREETING=grüße ✓\n",
    "very-long-value.OK": "A=" + "x" * 300000 + "\n",
    "many-keys.OK": "".join("K%d=%d\n" % (i, i) for i in range(5000)),
    "escaped-quotes.OK": 'A="a \\" b"\nB=\'it\\\'s\'\n',
    "dollar-literal-single.OK": "A='$NOT_EXPANDED'\n",
}
dotenv_binary = {
    "nul-byte.E": b"A=1\nB=\x00\n",
    "invalid-utf8.L2": b"A=1\nB=\xc3\x28\n",
    "binary.E": bytes(range(256)) * 4,
}

# --- policy (envparity.toml, read with --config) -----------------------------------------
policy = {
    "unknown-top-key.L2": "min_score = 80\ncolour = 'red'\n",
    "min-score-string.L1": "min_score = 'high'\n",
    "min-score-too-high.E": "min_score = 120\n",
    "min-score-negative.E": "min_score = -1\n",
    "fail-on-unknown.L1": "fail_on = 'fatal'\n",
    "environments-order-string.L2": "[environments]\norder = 'staging'\n",
    "environments-unknown-key.L2": "[environments]\nprod = ['x']\n",
    "intended-no-reason.L1": "[[intended]]\nsetting = 'env.A'\n",
    "intended-no-target.L1": "[[intended]]\nreason = 'why'\n",
    "intended-bad-glob.L1": "[[intended]]\nsetting = 'env.[A'\nreason = 'x'\n",
    "intended-unknown-key.L3": "[[intended]]\nsetting = 'env.A'\nwhy = 'x'\nreason = 'y'\n",
    "must-match-no-setting.L1": "[[must_match]]\nreason = 'x'\n",
    "waiver-unknown-rule.L1": "[[waiver]]\nrule = 'EP999'\nreason = 'x'\nexpires = 2027-01-01\n",
    "waiver-bad-date-string.L4": "[[waiver]]\nrule = 'EP001'\nreason = 'x'\nexpires = 'next year'\n",
    "waiver-invalid-date.L4": "[[waiver]]\nrule = 'EP001'\nreason = 'x'\nexpires = 2027-02-30\n",
    "waiver-date-as-number.L4": "[[waiver]]\nrule = 'EP001'\nreason = 'x'\nexpires = 20270101\n",
    "waiver-missing-expires.L1": "[[waiver]]\nrule = 'EP001'\nreason = 'x'\n",
    "waiver-missing-reason.L1": "[[waiver]]\nrule = 'EP001'\nexpires = 2027-01-01\n",
    "rules-unknown-id.L2": "[rules]\nEP404 = 'off'\n",
    "rules-bad-value.L2": "[rules]\nEP001 = 'loud'\n",
    "rules-number.L2": "[rules]\nEP001 = 3\n",
    "duplicate-table.L3": "[environments]\norder = []\n[environments]\n",
    "duplicate-key.L2": "min_score = 1\nmin_score = 2\n",
    "unterminated-string.L1": "fail_on = 'error\n",
    "bad-table-header.L1": "[environments\n",
    "bare-words.L1": "this is not toml\n",
    "array-of-tables-as-table.L1": "[intended]\nsetting = 'x'\n",
    "empty.OK": "",
    "comments-only.OK": "# nothing\n",
    "sources-reserved.OK": "[sources]\nanything = 'goes'\n",
    "expired-waiver.OK": "[[waiver]]\nrule = 'EP006'\nreason = 'old'\nexpires = 2020-01-01\n",
    "full.OK": "min_score = 10\nfail_on = 'error'\n[environments]\norder = ['staging', 'production']\n[[intended]]\nsetting = 'env.*'\nreason = 'x'\n",
}
policy_binary = {
    "nul-byte.E": b"min_score = 1\x00\n",
    "invalid-utf8.E": b"fail_on = '\xff'\n",
}



# --- Terraform, nginx, server configs, app config, Kubernetes, Kustomize ------------------------
# tests/hostile.rs places each file (see PLACEMENTS there) beside valid companions.
terraform_tfvars = {
    "unterminated-string.L1": 'instance_type = "t3.large\n',
    "missing-value.L1": "instance_type =\n",
    "bad-identifier.L1": "1abc = 2\n",
    "unclosed-list.L1": "zones = [\"a\", \"b\"\n",
    "unclosed-map.L1": "tags = {\n  a = 1\n",
    "stray-brace.L2": "a = 1\n}\n",
    "heredoc-unterminated.L2": "script = <<EOF\nline\n",
    "duplicate-key.L2": "instance_type = \"a\"\ninstance_type = \"b\"\n",
    "unknown-variable.OK": "not_declared = 1\n",
    "empty.OK": "",
    "comments.OK": "# a\n// b\n/* c */\n",
    "heredoc.OK": "script = <<-EOT\n  echo hi\n  EOT\n",
    "deep-list.L1": "x = " + "[" * 200 + "]" * 200 + "\n",
}
terraform_tf = {
    "unclosed-block.L2": 'variable "instance_type" {\n  default = "t3.small"\n',
    "unquoted-block-label.OK": "variable instance_type {\n}\n",
    "unterminated-string.L2": 'variable "x" {\n  default = "abc\n}\n',
    "bad-expression.L2": 'variable "x" {\n  default = 1 +\n}\n',
    "resource-unknown-var.OK": 'variable "instance_type" {\n  default = "t3.small"\n}\nresource "aws_instance" "web" {\n  instance_type = var.nope\n}\n',
    "sensitive-not-bool.OK": 'variable "instance_type" {\n  default = "t3.small"\n  sensitive = "yes"\n}\n',
    "empty.OK": "",
}
nginx = {
    "unclosed-block.L2": "http {\n  server {\n    listen 80;\n",
    "stray-closing-brace.L2": "worker_processes 1;\n}\n",
    "missing-semicolon.L3": "http {\n  client_max_body_size 50m\n}\n",
    "unterminated-quote.L3": "http {\n  server {\n    add_header X-Env \"staging;\n  }\n}\n",
    "bad-size-unit.L3": "http {\n  server {\n    client_max_body_size 50q;\n  }\n}\n",
    "bad-rate.L2": "http {\n  limit_req_zone $binary_remote_addr zone=api:10m rate=fast;\n}\n",
    "bad-timeout.L2": "http {\n  proxy_read_timeout soon;\n}\n",
    "include-outside-root.L2": "http {\n  include ../../../../etc/nginx/nginx.conf;\n}\n",
    "include-self-cycle.E": "http {\n  include staging.conf;\n}\n",
    "include-glob-matches-nothing.OK": "http {\n  include nowhere/*.conf;\n}\n",
    "empty.OK": "",
    "comments-only.OK": "# nothing\n",
    "unknown-directives.OK": "load_module x.so;\nhttp {\n  weird_thing on;\n}\n",
    "deep-blocks.E": "".join("b%d {\n" % i for i in range(300)) + "}\n" * 300,
}
postgres = {
    "bad-unit.L2": "max_connections = 100\nshared_buffers = 512QB\n",
    "unterminated-quote.L1": "log_line_prefix = '%m \n",
    "missing-value.L1": "shared_buffers =\n",
    "include-dir.L1": "include_dir 'conf.d'\n",
    "include-outside.L1": "include '../../../../etc/postgresql.conf'\n",
    "garbage-line.L2": "max_connections = 100\n%%%\n",
    "empty.OK": "",
    "units.OK": "shared_buffers = 4GB\nwork_mem = 16MB\ncheckpoint_timeout = 15min\n",
}
redis = {
    "bad-memory-unit.L1": "maxmemory 256zb\n",
    "unterminated-quote.L1": "requirepass \"open\n",
    "include-container-path.OK": "include /etc/redis/other.conf\n",
    "empty.OK": "",
    "units.OK": "maxmemory 1gb\nmaxmemory-policy allkeys-lru\nsave 900 1\n",
    "unknown-directives.OK": "frobnicate yes\n",
}
config_json = {
    "trailing-comma.ANY": '{"a": 1,}',
    "unterminated-string.L1": '{"a": "x}',
    "unclosed-object.ANY": '{"a": {"b": 1}',
    "duplicate-key.L1": '{"a": 1, "a": 2}',
    "top-level-array.L1": "[1, 2, 3]",
    "top-level-string.L1": '"just a string"',
    "nul-escape.OK": '{"a": "x\\u0000y"}',
    "empty.OK": "",
    "nested.OK": '{"ai": {"min_match_score": 80, "models": ["a", "b"]}}',
}
config_toml = {
    "unterminated-string.L1": 'a = "x\n',
    "bad-table.L1": "[a\nb = 1\n",
    "duplicate-key.L2": "a = 1\na = 2\n",
    "bad-date.L1": "a = 2024-13-45\n",
    "mixed-array.OK": "a = [1, \"two\"]\n",
    "empty.OK": "",
    "nested.OK": "[ai]\nmin_match_score = 80\n[ai.models]\nfast = \"x\"\n",
}
DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: %s\n  template:\n    spec:\n      containers:\n      - name: web\n        image: app:1\n%s"
kubernetes = {
    "bad-cpu-quantity.L14": DEPLOY % ("2", "        resources:\n          limits:\n            cpu: lots\n"),
    "bad-memory-quantity.L14": DEPLOY % ("2", "        resources:\n          limits:\n            memory: 1Gb\n"),
    "replicas-string.L6": DEPLOY % ("many", ""),
    "replicas-negative.L6": DEPLOY % ("-3", ""),
    "containers-not-list.L8": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        name: web\n",
    "no-kind.L1": "apiVersion: v1\nmetadata:\n  name: x\n",
    "scalar-document.L1": "hello\n",
    "list-kind-bad-items.L3": "apiVersion: v1\nkind: List\nitems: 5\n",
    "secret-bad-base64.L6": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: '!!!not-base64!!!'\n",
    "hpa-missing-max.ANY": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 2\n",
    "unknown-kind.OK": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n",
    "empty-documents.OK": "---\n---\n" + DEPLOY % ("2", "") + "---\n",
    "tab-indent.L2": "apiVersion: v1\nkind: ConfigMap\n\tmetadata: {}\n",
}
kustomize = {
    "remote-resource.L2": "resources:\n- https://github.com/example/repo//base?ref=main\n",
    "resource-outside-root.L2": "resources:\n- ../../../../../etc\n",
    "missing-resource.L2": "resources:\n- ./does-not-exist.yaml\n",
    "cycle.E": "resources:\n- ../staging\n",
    # A targeted patch that matches nothing is a no-op with a note, as `kustomize build` has it.
    "patch-missing-target.OK": "resources:\n- ../../base\npatches:\n- target: {kind: Deployment, name: ghost}\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 3\n",
    "json-patch-bad-path.E": "resources:\n- ../../base\npatches:\n- target: {kind: Deployment, name: web}\n  patch: |-\n    - op: replace\n      path: /spec/nope/deeper\n      value: 3\n",
    "unsupported-helmcharts.L4": "resources:\n- ../../base\nhelmCharts:\n- name: redis\n",
    "unsupported-replacements.L3": "resources:\n- ../../base\nreplacements: []\n",
    "images-not-list.L3": "resources:\n- ../../base\nimages: app\n",
    "bad-replicas-count.L5": "resources:\n- ../../base\nreplicas:\n- name: web\n  count: many\n",
    "generator-missing-file.E": "resources:\n- ../../base\nconfigMapGenerator:\n- name: cfg\n  files: [missing.properties]\n",
    "empty.L1": "",
    "prefix-and-images.OK": "resources:\n- ../../base\nnamePrefix: stg-\nimages:\n- name: app\n  newTag: '2'\n",
}


def write(folder, name, ext, data):
    path = os.path.join(HERE, folder, name + ext)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def main():
    folders = {
        "terraform_tfvars": (terraform_tfvars, ".tfvars"),
        "terraform_tf": (terraform_tf, ".tf"),
        "nginx": (nginx, ".conf"),
        "postgres": (postgres, ".conf"),
        "redis": (redis, ".conf"),
        "config_json": (config_json, ".json"),
        "config_toml": (config_toml, ".toml"),
        "kubernetes": (kubernetes, ".yaml"),
        "kustomize": (kustomize, ".yaml"),
    }
    for folder in ("compose", "dotenv", "policy", *folders):
        shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)
        os.makedirs(os.path.join(HERE, folder))
    for name, text in compose.items():
        write("compose", name, ".yml", text)
    for name, data in binary.items():
        write("compose", name, ".yml", data)
    write("compose", "_valid_production", ".yml", VALID.replace("staging", "production"))
    for name, text in dotenv.items():
        write("dotenv", name, ".env", text)
    for name, data in dotenv_binary.items():
        write("dotenv", name, ".env", data)
    for name, text in policy.items():
        write("policy", name, ".toml", text)
    for name, data in policy_binary.items():
        write("policy", name, ".toml", data)
    for folder, (cases, ext) in folders.items():
        for name, text in cases.items():
            write(folder, name, ext, text)
    total = sum(len(c) for c, _ in folders.values()) + len(compose) + len(binary) + len(dotenv) + len(dotenv_binary) + len(policy) + len(policy_binary)
    print("wrote %d files" % total)


if __name__ == "__main__":
    main()
