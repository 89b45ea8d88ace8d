// SPDX-License-Identifier: Apache-2.0
// The search behind spk-tune: a parameter space per kernel family, interleaved timing (default
// and candidate alternate, medians of the rounds, so neighbour load cancels in the ratio), an
// exhaustive sweep for small spaces and a genetic search otherwise, bounded by a deadline; a
// progress bar with ETA. Callers supply the kernel run and the reference check.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "spk/core/arch.hpp"
#include "spk/tune/params.hpp"

SPK_BEGIN_NAMESPACE
namespace tune {

using tune_clock = std::chrono::steady_clock;

inline double seconds_since(tune_clock::time_point t0) {
  return std::chrono::duration<double>(tune_clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Milliseconds of one call of fn.
inline double time_ms(const std::function<void()>& fn) {
  const auto t0 = tune_clock::now();
  fn();
  return 1e3 * seconds_since(t0);
}

/// Values each field may take; choices[i][0] is 0 (the built-in default).
struct search_space {
  family fam = family::fkw;
  std::vector<std::vector<int>> choices;

  std::size_t size() const {
    std::size_t n = 1;
    for (const auto& c : choices) n *= std::max<std::size_t>(1, c.size());
    return n;
  }
  param_values at(std::size_t idx) const {
    param_values v{};
    for (std::size_t i = 0; i < choices.size(); ++i) {
      v[i] = choices[i][idx % choices[i].size()];
      idx /= choices[i].size();
    }
    return v;
  }
};

/// The CPU search spaces. Tile lists follow the drivers' instantiations for Arch; budgets and
/// splits around the defaults (values that would enlarge a workspace are not offered). With
/// `threads` <= 1 the thread-split fields stay at their defaults: a serial run cannot time them.
template <class Arch = default_arch>
search_space cpu_space(family f, bool spmv = false, int threads = 2) {
  search_space s;
  s.fam = f;
  const bool wide = float_lanes<Arch> >= 16;
  switch (f) {
    case family::fkw: {
      // tile_rows and tile_vecs move together: one field of (R, V) pairs encoded R * 100 + V
      // is split back by the caller (fkw_space_values).
      s.choices = {
          wide ? std::vector<int>{0, 207, 404, 702, 701, 1401} : std::vector<int>{0, 204, 402, 701},
          {0, 1, 2, 8}};
      break;
    }
    case family::kgs:
      s.choices = {{0, 1536, 2048, 4096}, {0, 12, 48}, {0, 1, 2}, {0, 1, 4}};
      break;
    case family::spmm:
      s.choices = {{0, 1, 2}, spmv ? std::vector<int>{0} : std::vector<int>{0, 1}};
      break;
    case family::gemm:
      s.choices = {{0, 128, 512}, {0, 16, 64}, {0, 4, 16}, {0, 1, 2}};
      break;
    default:
      s.choices = {{0}};
  }
  const int split_field = f == family::fkw    ? 1
                          : f == family::kgs  ? 3
                          : f == family::spmm ? 0
                          : f == family::gemm ? 3
                                              : -1;
  if (threads <= 1 && split_field >= 0) s.choices[std::size_t(split_field)] = {0};
  return s;
}

/// fkw spaces pack (R, V) into field 0: expand to the table's fields.
inline param_values expand(family f, const param_values& v) {
  if (f != family::fkw) return v;
  param_values o{};
  o[0] = v[0] / 100, o[1] = v[0] % 100, o[2] = v[1];
  return o;
}

/// One measured comparison: medians of interleaved rounds.
struct comparison {
  double default_ms = 0, candidate_ms = 0;
  double ratio() const { return default_ms > 0 ? candidate_ms / default_ms : 1.0; }
};

/// Runs `rounds` rounds of (default, candidate) after one warm-up call of each; returns the
/// medians. `run(values)` runs the kernel once with those params.
inline comparison compare_interleaved(const std::function<void(const param_values&)>& run,
                                      const param_values& dflt, const param_values& cand,
                                      int rounds) {
  run(dflt), run(cand);
  std::vector<double> a, b;
  for (int r = 0; r < rounds; ++r) {
    a.push_back(time_ms([&] { run(dflt); }));
    b.push_back(time_ms([&] { run(cand); }));
  }
  return {median(a), median(b)};
}

/// A one-line progress bar on stderr: fraction done, elapsed, ETA, and a label.
class progress_bar {
 public:
  explicit progress_bar(double budget_s) : budget_(budget_s), t0_(tune_clock::now()) {}
  void show(double fraction, const std::string& label) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    const double el = seconds_since(t0_);
    double eta = fraction > 0.01 ? el / fraction - el : budget_ - el;
    eta = std::max(0.0, std::min(eta, budget_ - el));
    char bar[31];
    const int n = int(fraction * 30);
    for (int i = 0; i < 30; ++i) bar[i] = i < n ? '#' : '.';
    bar[30] = 0;
    std::fprintf(stderr, "\r[%s] %3d%% %5.0fs ETA %4.0fs  %-60.60s", bar, int(100 * fraction), el,
                 eta, label.c_str());
    std::fflush(stderr);
  }
  void done() { std::fprintf(stderr, "\n"); }

 private:
  double budget_;
  tune_clock::time_point t0_;
};

struct search_options {
  double deadline_s = 10;             ///< seconds from the start of search()
  int rounds = 3;                     ///< interleaved rounds per candidate
  int confirm_rounds = 7;             ///< rounds of the winner's confirmation
  std::size_t exhaustive_limit = 24;  ///< spaces up to this size are swept
  int population = 8, generations = 50;
  double accept_ratio = 0.97;  ///< the winner must be 3% faster to replace the default
  std::uint64_t seed = 2080;
};

struct search_result {
  param_values best{};   ///< expanded (table fields); all 0 when the default stays
  comparison confirmed;  ///< the winner vs the default (both default when nothing won)
  int evaluated = 0, rejected = 0;
  bool exhaustive = false;
};

/// Searches `space` for params faster than the default. `run(v)` runs the kernel with
/// expanded params v; `valid()` checks the output of the run just made against the reference
/// (false: the candidate may not win); `poison()` fills the output with NaN so a candidate that
/// skips outputs fails the check. `tick(fraction, best_ratio)` reports progress.
inline search_result search(const search_space& space,
                            const std::function<void(const param_values&)>& run,
                            const std::function<bool()>& valid, const std::function<void()>& poison,
                            const search_options& o,
                            const std::function<void(double, double)>& tick = {}) {
  const auto t0 = tune_clock::now();
  const param_values dflt{};
  search_result res;
  std::map<param_values, double> fitness;  // ratio vs default (inf: failed the check)
  auto out_of_time = [&] { return seconds_since(t0) >= o.deadline_s; };
  auto evaluate = [&](const param_values& packed) {
    auto it = fitness.find(packed);
    if (it != fitness.end()) return it->second;
    const param_values v = expand(space.fam, packed);
    poison();
    run(v);
    double f = std::numeric_limits<double>::infinity();
    if (valid()) {
      f = compare_interleaved(run, dflt, v, o.rounds).ratio();
    } else {
      ++res.rejected;
    }
    ++res.evaluated;
    fitness[packed] = f;
    if (tick) {
      double best = 1;
      for (const auto& kv : fitness) best = std::min(best, kv.second);
      tick(std::min(1.0, seconds_since(t0) / std::max(1e-9, o.deadline_s)), best);
    }
    return f;
  };
  const std::size_t n = space.size();
  std::mt19937_64 rng(o.seed);
  if (n <= o.exhaustive_limit) {
    res.exhaustive = true;
    for (std::size_t i = 1; i < n && !out_of_time(); ++i) evaluate(space.at(i));
  } else {
    // Genetic search: the best half survives; children are uniform crossovers of two
    // survivors with one field re-drawn at random (mutation); evaluated genomes are memoised.
    auto random_genome = [&] {
      return space.at(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
    };
    std::vector<param_values> pop;
    while (int(pop.size()) < o.population) pop.push_back(random_genome());
    int stale = 0;
    for (int gen = 0; gen < o.generations && !out_of_time() && stale < 3; ++gen) {
      const std::size_t before = fitness.size();
      for (const auto& g : pop) {
        if (out_of_time()) break;
        evaluate(g);
      }
      std::sort(pop.begin(), pop.end(), [&](const param_values& a, const param_values& b) {
        return fitness.count(a) && (!fitness.count(b) || fitness[a] < fitness[b]);
      });
      pop.resize(std::max<std::size_t>(2, pop.size() / 2));
      const std::size_t parents = pop.size();
      while (int(pop.size()) < o.population) {
        const auto& a = pop[rng() % parents];
        const auto& b = pop[rng() % parents];
        param_values c{};
        for (std::size_t i = 0; i < space.choices.size(); ++i) c[i] = rng() % 2 ? a[i] : b[i];
        const std::size_t f = rng() % space.choices.size();
        c[f] = space.choices[f][rng() % space.choices[f].size()];
        pop.push_back(c);
      }
      stale = fitness.size() == before ? stale + 1 : 0;
    }
  }
  // The winner must pass its check again and be confirmed by two longer interleaved runs (one
  // lucky confirmation lets a no-op candidate through about once per vgg16 sweep).
  param_values best{};
  double best_f = 1;
  for (const auto& kv : fitness)
    if (kv.second < best_f) best_f = kv.second, best = kv.first;
  res.confirmed = {1, 1};
  if (best != param_values{}) {
    const param_values v = expand(space.fam, best);
    poison();
    run(v);
    if (valid()) {
      const comparison c = compare_interleaved(run, dflt, v, o.confirm_rounds);
      if (c.ratio() <= o.accept_ratio) {
        const comparison c2 = compare_interleaved(run, dflt, v, o.confirm_rounds);
        if (c2.ratio() <= o.accept_ratio)
          res.best = v, res.confirmed = {0.5 * (c.default_ms + c2.default_ms),
                                         0.5 * (c.candidate_ms + c2.candidate_ms)};
      }
    }
  }
  return res;
}

}  // namespace tune
SPK_END_NAMESPACE
