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
compose["interp-required-missing.L5"] = svc("    image: app:1\n    environment:\n      DB: ${ENVPARITY_CORPUS_UNSET:?database url is required}\n")
compose["interp-required-empty-form.L5"] = svc("    image: app:1\n    environment:\n      DB: ${ENVPARITY_CORPUS_UNSET?}\n")
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


def write(folder, name, ext, data):
    path = os.path.join(HERE, folder, name + ext)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def main():
    for folder in ("compose", "dotenv", "policy"):
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
    total = len(compose) + len(binary) + len(dotenv) + len(dotenv_binary) + len(policy) + len(policy_binary)
    print("wrote %d files" % total)


if __name__ == "__main__":
    main()
