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
  targets=(yaml interpolate dotenv policy command compose_pipeline)
fi
export RUSTC_BOOTSTRAP=1

seed() {
  local target="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    yaml|compose_pipeline) find ../examples ../tests/malformed/compose -name '*.yml' -size -64k -exec cp {} "$dir/" \; ;;
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
  cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 2>&1 | tail -n 4
done
