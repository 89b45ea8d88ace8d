// SPDX-License-Identifier: Apache-2.0
// Interleaved timing of competing kernels in one process. The VM's speed drifts by up to 3x
// with neighbour load (research/platform.md §2), so candidates are timed round-robin, rep by
// rep: a slow phase hits every candidate alike and the ratios of medians stay meaningful.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace spk_bench {

/// One competitor: a name and a call that runs the kernel once on prepared data.
struct candidate {
  std::string name;
  std::function<void()> run;
};

struct timing_options {
  int warmup_calls = 2;           ///< untimed calls per candidate before anything is timed
  int reps = 7;                   ///< timed repetitions per candidate (median / min over them)
  double min_rep_seconds = 0.05;  ///< each repetition averages as many calls as fill this time
};

/// Result per candidate, in milliseconds per call.
struct timing {
  std::string name;
  double median_ms = NAN, min_ms = NAN;
  long calls_per_rep = 0;
  std::vector<double> samples_ms;  ///< one mean per repetition, in run order
};

inline double median_of(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Wall time of `calls` back-to-back calls of fn, in seconds.
inline double time_calls(const std::function<void()>& fn, long calls) {
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Times every candidate: warm-up calls, then `reps` rounds; in each round every candidate runs
/// one repetition of calls_per_rep calls (sized from the warm-up so a repetition lasts about
/// min_rep_seconds). Returns one timing per candidate, in the given order.
inline std::vector<timing> time_interleaved(const std::vector<candidate>& cands,
                                            const timing_options& o = {}) {
  std::vector<timing> out(cands.size());
  for (std::size_t c = 0; c < cands.size(); ++c) {
    out[c].name = cands[c].name;
    double one = 0;
    for (int w = 0; w < std::max(1, o.warmup_calls); ++w) one = time_calls(cands[c].run, 1);
    out[c].calls_per_rep = std::max(1L, long(std::ceil(o.min_rep_seconds / std::max(one, 1e-9))));
  }
  for (int r = 0; r < std::max(1, o.reps); ++r)
    for (std::size_t c = 0; c < cands.size(); ++c) {
      const double s = time_calls(cands[c].run, out[c].calls_per_rep);
      out[c].samples_ms.push_back(1e3 * s / double(out[c].calls_per_rep));
    }
  for (timing& t : out) {
    t.median_ms = median_of(t.samples_ms);
    t.min_ms = *std::min_element(t.samples_ms.begin(), t.samples_ms.end());
  }
  return out;
}

}  // namespace spk_bench
