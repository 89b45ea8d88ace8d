#!/usr/bin/env bash
# Builds and runs the showcase report (bench/spk-report: the layer zoo, one table, JSON and a
# PNG chart). Installs missing Debian packages, configures build/release (Release, benchmarks
# only), builds the target spk-report and runs it from the repository root. Works from any
# directory; arguments are passed to spk-report. SPK_JOBS=<n> sets build parallelism (default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${SPK_JOBS:-2}"
build="$root/build/release"

bash "$root/scripts/install_deps.sh"

if [[ ! -f "$root/bench/CMakeLists.txt" ]] || ! grep -q 'spk-report' "$root/bench/CMakeLists.txt"; then
  echo "report: bench/CMakeLists.txt with the target spk-report does not exist yet;" \
       "nothing to build. (Tests: bash scripts/test.sh)" >&2
  exit 1
fi

echo "== configure $build"
cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DSPK_BUILD_BENCH=ON \
  -DSPK_BUILD_TESTS=OFF \
  -DSPK_BUILD_EXAMPLES=OFF

echo "== build spk-report (-j$jobs)"
cmake --build "$build" --target spk-report -j "$jobs"

exe="$build/bench/spk-report"
if [[ ! -x "$exe" ]]; then
  echo "report: $exe was not produced by the build" >&2
  exit 1
fi
cd "$root"
# Without arguments: the showcase run, with its JSON rows and PNG chart next to the build.
if [[ $# -eq 0 ]]; then
  set -- --json "$build/report.json" --plot "$build/report.png"
fi
echo "== $exe $*"
exec "$exe" "$@"
