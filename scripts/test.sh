#!/usr/bin/env bash
# Builds and runs every spk test: installs missing Debian packages, configures build/test
# (Release, tests + benchmarks + examples, so bench code breakage shows too), builds with -j2 and
# runs ctest; then the same tests with clang++ under ASan + UBSan, and as an aarch64 cross build
# under qemu.
# Exits non-zero on any failure. Works from any directory.
#   SPK_JOBS=<n>            build/ctest parallelism (default 2)
#   SPK_TEST_BENCH=OFF      skip compiling bench/ (default ON)
#   SPK_TEST_BUILD_DIR=dir  build directory (default <repo>/build/test)
#   SPK_TEST_CLANG=OFF      skip the second configuration (clang++ + ASan/UBSan, <build>-clang-asan)
#   SPK_TEST_AARCH64=OFF    skip the third configuration (aarch64 cross build, NEON kernels run
#                           under qemu-user, <build>-aarch64)
#   extra arguments are passed to ctest (e.g. -R spk_tests_cl)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${SPK_JOBS:-2}"
build="${SPK_TEST_BUILD_DIR:-$root/build/test}"

bash "$root/scripts/install_deps.sh"

echo "== configure $build"
cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DSPK_BUILD_TESTS=ON \
  -DSPK_BUILD_BENCH="${SPK_TEST_BENCH:-ON}" \
  -DSPK_BUILD_EXAMPLES=ON \
  -DSPK_INSTALL=ON

echo "== build (-j$jobs)"
cmake --build "$build" -j "$jobs"

# OpenCL tests carry a RESOURCE_LOCK, so they never compile kernels concurrently; PoCL's kernel
# cache lives in $build/pocl-cache and makes reruns fast.
echo "== ctest (-j$jobs)"
cd "$build"
ctest --output-on-failure -j "$jobs" "$@"

# Second configuration: the same tests built with clang under AddressSanitizer + UBSan (and
# LeakSanitizer): kernels must be correct under both compilers (they differ in contraction and
# unrolling), and no test may read out of bounds, overflow or leak. Skip with SPK_TEST_CLANG=OFF.
if [[ "${SPK_TEST_CLANG:-ON}" == "ON" ]]; then
  clang_build="${build}-clang-asan"
  sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  echo "== configure $clang_build (clang++, ASan + UBSan)"
  cmake -S "$root" -B "$clang_build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS="$sanitize" \
    -DCMAKE_EXE_LINKER_FLAGS="$sanitize" \
    -DSPK_BUILD_TESTS=ON -DSPK_BUILD_BENCH=OFF -DSPK_BUILD_EXAMPLES=OFF -DSPK_INSTALL=ON
  echo "== build clang + sanitizers (-j$jobs)"
  cmake --build "$clang_build" -j "$jobs"
  echo "== ctest clang + sanitizers (-j$jobs)"
  (cd "$clang_build" && ASAN_OPTIONS=detect_leaks=1 \
    LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs" "$@")
fi
# Third configuration: an aarch64 cross build (g++-aarch64-linux-gnu) whose tests ctest runs
# under qemu-user, so every kernel's NEON (xsimd neon64) path passes the same suites. Only what
# runs under the emulator is built: no OpenCL, benchmarks or examples. Skip with
# SPK_TEST_AARCH64=OFF.
if [[ "${SPK_TEST_AARCH64:-ON}" == "ON" ]]; then
  cross_build="${build}-aarch64"
  echo "== configure $cross_build (aarch64-linux-gnu-g++, tests under qemu-aarch64)"
  cmake -S "$root" -B "$cross_build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" \
    -DSPK_WITH_OPENCL=OFF -DSPK_BUILD_TESTS=ON -DSPK_BUILD_BENCH=OFF -DSPK_BUILD_EXAMPLES=OFF \
    -DSPK_INSTALL=ON
  echo "== build aarch64 (-j$jobs)"
  cmake --build "$cross_build" -j "$jobs"
  echo "== ctest aarch64 under qemu (-j$jobs)"
  (cd "$cross_build" && ctest --output-on-failure -j "$jobs" "$@")
fi
echo "== all tests passed"
