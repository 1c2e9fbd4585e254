#!/usr/bin/env bash
# Run every fuzz target for SECONDS (default 60) each, seeded from the bundled examples.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain works with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(yaml interpolate dotenv policy command parsers pipeline)
fi
export RUSTC_BOOTSTRAP=1
status=0

seed() {
  local target="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    yaml) find ../examples ../tests/malformed/compose -name '*.y*ml' -size -64k -exec cp {} "$dir/" \; ;;
    pipeline|parsers)
      # The first byte picks the source kind (see the target); seed each kind from the examples.
      i=0
      while IFS= read -r f; do
        for sel in $(seq 0 11); do { printf "\\$(printf '%03o' "$sel")"; cat "$f"; } > "$dir/seed-$i-$sel"; done
        i=$((i + 1))
      done < <(find ../examples -type f \( -name '*.y*ml' -o -name '*.tf' -o -name '*.tfvars' -o -name '*.conf' -o -name '*.toml' -o -name '*.json' -o -name '*.env' \) -size -32k | sort | head -n 60) ;;
    dotenv) find ../examples ../tests/malformed/dotenv -name '*.env' -size -64k -exec cp {} "$dir/" \; 2>/dev/null || true
            find ../examples -name '.env' -exec cp {} "$dir/seed.env" \; ;;
    policy) find ../examples ../tests/malformed/policy -name '*.toml' -size -64k -exec cp {} "$dir/" \; ;;
    interpolate|command) printf '%s' '${A:-${B:?err}} $$C ${D+x}' > "$dir/seed1"
                         printf '%s' "sh -c 'exec postgres -c shared_buffers=512MB --port=5433'" > "$dir/seed2"
                         printf '%s' 'postgres://user:p@ss@db-staging:5432/app?sslmode=disable' > "$dir/seed3" ;;
  esac
}

for t in "${targets[@]}"; do
  seed "$t"
  echo "== $t for ${seconds}s"
  log="artifacts/$t.log"
  mkdir -p artifacts
  # Keep the whole log: a crash's input and backtrace are in it.
  if cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 > "$log" 2>&1; then
    grep -E '^Done|^#[0-9]+ *DONE' "$log" | tail -n 1
  else
    echo "!! $t failed; see fuzz/$log"
    tail -n 30 "$log"
    status=1
  fi
done
exit $status
