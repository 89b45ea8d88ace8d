// SPDX-License-Identifier: Apache-2.0
// The shared main() body of the spk-bench-* Google Benchmark binaries: the --threads flag, the
// run context (threads, arch, compiler, oneDNN, FMA peak before) and the peak after the run.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/onednn.hpp"
#include "common/peak.hpp"
#include "common/sysinfo.hpp"
#include "common/threads.hpp"

namespace spk_bench {

/// Removes "--threads=N" / "--threads N" from argv; returns N (at least 1, default 1).
inline int take_threads_flag(int& argc, char** argv) {
  int threads = 1, out = 1;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strncmp(a, "--threads=", 10) == 0)
      threads = std::atoi(a + 10);
    else if (std::strcmp(a, "--threads") == 0 && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else
      argv[out++] = argv[i];
  }
  argc = out;
  return threads < 1 ? 1 : threads;
}

/// Sets the threads, registers the benchmarks, records the context with a peak probe (skipped
/// when only listing names), runs them and prints the peak after. Returns main's exit code.
inline int run_google_benchmarks(int argc, char** argv, int threads, void (*register_all)()) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::strncmp(argv[i], "--benchmark_list_tests", 22) == 0;
  set_threads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  char peak[32];
  std::snprintf(peak, sizeof peak, "%.1f", listing ? 0.0 : fma_peak_gflops(threads));
  benchmark::AddCustomContext("spk_threads", std::to_string(threads));
  benchmark::AddCustomContext("spk_arch", arch_string());
  benchmark::AddCustomContext("compiler", compiler_string());
  benchmark::AddCustomContext("onednn", onednn_version());
  benchmark::AddCustomContext("fma_peak_gflops_before", peak);
  benchmark::RunSpecifiedBenchmarks();
  if (!listing) std::fprintf(stderr, "fma_peak_gflops_after: %.1f (threads %d)\n", fma_peak_gflops(threads), threads);
  benchmark::Shutdown();
  return 0;
}

}  // namespace spk_bench
