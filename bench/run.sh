#!/usr/bin/env bash
# The benchmark (bench/README.md): generate the synthetic repositories, time envparity, the
# parse-only limit and the Python peers on each, and write bench/RESULTS.md.
#
# Not run by .ci/run. Knobs (environment variables):
#   SCALES="10 100 1000 10000 30000"  objects per environment
#   RUNS=5                      timed runs per measurement, after one warm-up (median reported)
#   PEER_RUNS=3                 timed runs of each Python peer (1 at the largest scale)
#   PEERS=1                     0 skips the Python peers; deepdiff runs only deepdiff (no checkov)
#   PEER_TIMEOUT=120            seconds before a peer run is abandoned (reported as timeout;
#                               the peer is then skipped on larger scales)
#   EXAMPLE_RUNS=20             timed runs on each bundled example
#   WORK=target/bench-work      generated data, virtual environment, raw measurements
#   RESULTS=bench/RESULTS.md    the report written
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SCALES=${SCALES:-"10 100 1000 10000 30000"}
RUNS=${RUNS:-5}
PEER_RUNS=${PEER_RUNS:-3}
PEERS=${PEERS:-1}
PEER_TIMEOUT=${PEER_TIMEOUT:-120}
EXAMPLE_RUNS=${EXAMPLE_RUNS:-20}
WORK=${WORK:-$ROOT/target/bench-work}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

say() { printf '[bench] %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
if [ ! -x /usr/bin/time ]; then
  say "installing GNU time (apt-get)"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time (GNU time) is required" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench: python3 is required" >&2; exit 2; }

say "building (release)"
cargo build --release --locked --bin envparity --example envparity-gen --example envparity-limit >&2
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
ENVPARITY=$TARGET/release/envparity
GEN=$TARGET/release/examples/envparity-gen
LIMIT=$TARGET/release/examples/envparity-limit

VENV=$WORK/venv
PEER_PACKAGES="deepdiff pyyaml"
[ "$PEERS" = 1 ] && PEER_PACKAGES="$PEER_PACKAGES checkov"
if [ "$PEERS" != 0 ]; then
  if { [ "$PEERS" = 1 ] && [ ! -x "$VENV/bin/checkov" ]; } || ! "$VENV/bin/python" -c 'import deepdiff, yaml' 2>/dev/null; then
    say "installing the Python peers ($PEER_PACKAGES) into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >&2
    # shellcheck disable=SC2086 # a list of package names
    "$VENV/bin/pip" install -q $PEER_PACKAGES >&2
  fi
fi

# --- data --------------------------------------------------------------------------------------
DATA=$WORK/data
say "generating scales: $SCALES"
gen_args=()
for n in $SCALES; do gen_args+=(--objects "$n"); done
"$GEN" --out "$DATA" --seed 42 "${gen_args[@]}" > "$WORK/sizes.txt"

# --- measuring ---------------------------------------------------------------------------------
TSV=$WORK/measurements.tsv
printf 'scale\tform\ttool\trun\twall_s\trss_kb\texit\tcpu_s\n' > "$TSV"
TIMEFILE=$WORK/time.out

# measure SCALE FORM TOOL RUNS TIMEOUT CMD...: one untimed warm-up, then RUNS timed runs.
# A run past TIMEOUT is recorded as a timeout; that tool is then not run on larger scales of the
# same form (recorded as timeouts too: it only gets slower).
declare -A TIMED_OUT=()
record() { # scale form tool run wall rss exit cpu
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$TSV"
  say "$1 $2 $3 run $4: ${5}s ${6}KB exit $7 cpu ${8}s"
}
measure() {
  local scale=$1 form=$2 tool=$3 runs=$4 limit=$5
  shift 5
  if [ -n "${TIMED_OUT[$form/$tool]:-}" ]; then
    record "$scale" "$form" "$tool" 1 "$limit" 0 124 0
    return 0
  fi
  local slow_peer=0 code=0
  case $tool in deepdiff | checkov) slow_peer=1 ;; esac
  # Warm-up (skipped for single runs of the slow peers at the largest scale).
  if [ "$runs" -gt 1 ] || [ "$slow_peer" = 0 ]; then
    timeout "$limit" "$@" >/dev/null 2>"$WORK/last.err" || code=$?
    if [ "$code" = 124 ]; then
      TIMED_OUT[$form/$tool]=1
      record "$scale" "$form" "$tool" 1 "$limit" 0 124 0
      return 0
    fi
  fi
  local i start end wall rss cpu user sys
  for ((i = 1; i <= runs; i++)); do
    start=$(date +%s%N)
    code=0
    timeout "$limit" /usr/bin/time -f '%M %x %U %S' -o "$TIMEFILE" "$@" >/dev/null 2>"$WORK/last.err" || code=$?
    end=$(date +%s%N)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    if [ "$code" = 124 ]; then
      TIMED_OUT[$form/$tool]=1
      record "$scale" "$form" "$tool" "$i" "$wall" 0 124 0
      break
    fi
    read -r rss code user sys < <(tail -n 1 "$TIMEFILE")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    record "$scale" "$form" "$tool" "$i" "$wall" "$rss" "$code" "$cpu"
  done
  return 0
}

# The Compose base at 30,000 services is 38.6 MB, over the 16 MiB per-file safety limit (and
# the node limit that follows it): raised for every scale, so that all rows run the same command.
BIG_FILES=(--max-file-size $((256 * 1024 * 1024)))

UPTIME_BEFORE=$(uptime)
for n in $SCALES; do
  largest=$(echo "$SCALES" | tr ' ' '\n' | sort -n | tail -n 1)
  peer_runs=$PEER_RUNS
  [ "$n" = "$largest" ] && peer_runs=1
  for form in compose kustomize; do
    repo=$DATA/$n/$form
    rendered=$DATA/$n/rendered-$form
    # envparity reads this form? (Kustomize needs the Kubernetes source.)
    if "$ENVPARITY" discover "$repo" --format json 2>/dev/null | grep -q '"name"'; then
      measure "$n" "$form" envparity "$RUNS" 3600 "$ENVPARITY" check "$repo" --format json "${BIG_FILES[@]}"
      measure "$n" "$form" envparity-report "$RUNS" 3600 "$ENVPARITY" report "$repo" --format json "${BIG_FILES[@]}"
    else
      say "$n $form: envparity does not read this form in this build; skipped"
    fi
    measure "$n" "$form" limit "$RUNS" 3600 "$LIMIT" "$repo"
    measure "$n" "$form" limit-1-thread "$RUNS" 3600 "$LIMIT" "$repo" --threads 1
    measure "$n" "$form" limit-events "$RUNS" 3600 "$LIMIT" "$repo" --events
    if [ "$PEERS" != 0 ]; then
      measure "$n" "$form" deepdiff "$peer_runs" "$PEER_TIMEOUT" "$VENV/bin/python" "$ROOT/bench/peers/deepdiff_compare.py" "$rendered/staging.yaml" "$rendered/production.yaml"
    fi
    if [ "$PEERS" = 1 ]; then
      measure "$n" "$form" checkov "$peer_runs" "$PEER_TIMEOUT" "$VENV/bin/checkov" -d "$repo" --quiet --compact -o json --skip-download
    fi
  done
done
# What starting any process costs under this harness (`date`, `timeout`, GNU `time`): the
# examples' wall times include it.
measure floor true true "$EXAMPLE_RUNS" 60 /bin/true
for ex in "$ROOT"/examples/*/; do
  name=$(basename "$ex")
  measure example "$name" envparity "$EXAMPLE_RUNS" 60 "$ENVPARITY" check "$ex" --format json
done
UPTIME_AFTER=$(uptime)

# --- facts about the run -------------------------------------------------------------------------
META=$WORK/meta.txt
{
  echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores=$(nproc)"
  echo "memory=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel=$(uname -sr)"
  echo "uptime_before=$UPTIME_BEFORE"
  echo "uptime_after=$UPTIME_AFTER"
  echo "rustc=$(rustc --version)"
  echo "envparity=$("$ENVPARITY" --version) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo "saphyr_parser=$(grep -A1 'name = "saphyr-parser"' "$ROOT/Cargo.lock" | sed -n 's/version = "\(.*\)"/\1/p')"
  echo "python=$(python3 --version 2>&1)"
  if [ "$PEERS" != 0 ]; then
    echo "deepdiff=$("$VENV/bin/python" -c 'import deepdiff; print(deepdiff.__version__)')"
    echo "pyyaml=$("$VENV/bin/python" -c 'import yaml; print(yaml.__version__, "(C loader)" if hasattr(yaml, "CSafeLoader") else "(pure Python)")')"
  fi
  if [ "$PEERS" = 1 ]; then
    echo "checkov=$("$VENV/bin/checkov" --version 2>/dev/null | tail -n 1)"
  fi
  echo "runs=$RUNS"
  echo "peer_runs=$PEER_RUNS"
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
} > "$META"

python3 "$ROOT/bench/report.py" "$TSV" "$META" "$WORK/sizes.txt" "$DATA" > "$RESULTS"
# The raw runs behind the report, kept next to it.
cp "$TSV" "$(dirname "$RESULTS")/measurements.tsv"
say "wrote $RESULTS"
