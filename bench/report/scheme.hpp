// SPDX-License-Identifier: Apache-2.0
// The report's scheme registry. A scheme (dense today; pattern, KGS, block-punched, BCR... as
// they land) says which zoo layers it supports and, for one layer and one density, prepares
// its kernel on the layer's data. The report times it interleaved with the baselines and turns
// it into one row. Add a scheme: write report/scheme_<name>.hpp and list it in schemes().
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/check.hpp"
#include "common/problem.hpp"
#include "zoo/zoo.hpp"

namespace spk_report {

using spk_bench::layer_problem;
using spk_bench::reference_check;
namespace zoo = spk_bench::zoo;

/// What a scheme gets for one layer: the layer's data (input, dense weights, bias), the
/// reference check on the dense weights, and the executor to run on.
struct layer_context {
  layer_problem& problem;
  const reference_check& dense_check;
  spk::executor& ex;
};

/// A scheme's kernel prepared for one layer at one density. Everything but `run` (pruning,
/// format building, packing) happens in prepare(), outside the timing. `run` writes to buffers
/// the kernel owns (never problem.output(), which holds spk dense's result) and must not
/// allocate; max_rel_err compares that output with problem.make_check(pruned weights).
struct scheme_kernel {
  std::function<void()> run;  ///< the timed call; empty for is_spk_dense
  double density = 1.0;       ///< kept fraction actually achieved
  double nz_flop = 0.0;       ///< FLOPs on the kept weights
  std::function<double()>
      max_rel_err;            ///< after run(): error vs the reference on the scheme's weights
  bool is_spk_dense = false;  ///< the kernel is spk's dense baseline itself: timed once
  /// XNNPACK's sparse path on the same pruned weights (timed interleaved with the rest); empty
  /// where it does not apply or XNNPACK is absent.
  std::function<void()> xnnpack_sparse;
};

/// A density a scheme picks for one layer when --density is not given.
struct layer_density {
  double density;
  std::string config;
};

struct scheme {
  std::string name;
  std::string summary;
  std::vector<double> default_densities;  ///< used when --density is not given
  bool takes_density = true;              ///< false: density is fixed (dense: 1)
  std::function<bool(const zoo::layer&)> supports;
  std::function<scheme_kernel(const layer_context&, double density)> prepare;
  /// Per-layer defaults (e.g. YOLObile's per-layer prune schedule); when set and --density is
  /// not given, they replace default_densities.
  std::function<std::vector<layer_density>(const zoo::layer&)> layer_densities;
};

/// The density placeholder of a plan entry that asks for the scheme's per-layer defaults.
inline bool is_layer_default(double d) { return std::isnan(d); }

}  // namespace spk_report
