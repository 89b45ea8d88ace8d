// SPDX-License-Identifier: Apache-2.0
// Thread control for benchmarks: one call sets the thread count of spk's executor and of
// oneDNN (whose CPU runtime is the same libgomp, so omp_set_num_threads governs it). On 1
// thread the process is pinned to its current core so the scheduler cannot migrate it between
// the VM's 2 vCPUs mid-measurement (a migration costs the L1/L2 contents).
#pragma once

#include <sched.h>

#include <memory>

#include "spk/core/executor.hpp"

#ifndef _OPENMP
#error "spk benchmarks need OpenMP (oneDNN's CPU runtime is OpenMP); build with OpenMP::OpenMP_CXX"
#endif
#include <omp.h>

namespace spk_bench {

/// Sets `threads` (>= 1) for spk (installs an openmp_executor as spk's default executor) and
/// for oneDNN/OpenMP; pins to the current CPU when threads == 1, restores the original
/// affinity otherwise. Not thread-safe; call from main between measurements.
inline void set_threads(int threads) {
  static std::unique_ptr<spk::openmp_executor> ex;
  static cpu_set_t original;
  static const bool saved = sched_getaffinity(0, sizeof(original), &original) == 0;
  if (threads < 1) threads = 1;
  omp_set_num_threads(threads);
  if (!ex) ex = std::make_unique<spk::openmp_executor>(threads);
  ex->set_threads(threads);
  spk::set_default_executor(ex.get());
  if (!saved) return;
  if (threads == 1) {
    cpu_set_t one;
    CPU_ZERO(&one);
    const int cpu = sched_getcpu();
    CPU_SET(cpu >= 0 ? cpu : 0, &one);
    sched_setaffinity(0, sizeof(one), &one);
  } else {
    sched_setaffinity(0, sizeof(original), &original);
  }
}

/// spk's executor as set_threads left it (the default executor).
inline spk::executor& bench_executor() { return spk::default_executor(); }

}  // namespace spk_bench
