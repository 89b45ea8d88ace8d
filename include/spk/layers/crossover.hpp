// SPDX-License-Identifier: Apache-2.0
// The dense/sparse crossover the layers consult: a sparse weight of density d runs dense when
// the active tune table's "<kernel>/dense" row for the problem's shape class says dense is
// faster from dense_above_pm per mille on (no row: always sparse, today's behaviour).
#pragma once

#include <string_view>

#include "spk/core/arch.hpp"
#include "spk/tune/active.hpp"

SPK_BEGIN_NAMESPACE
namespace layers {

/// automatic: ask the tune table; sparse / dense: forced.
enum class path_choice { automatic, sparse, dense };

/// True when a sparse layer of `density` should run its dense path for the shape `shape_of()`
/// (density class "*" rows: the crossover depends on the shape, not on a density bucket).
template <class Arch, class ShapeFn>
bool prefer_dense(path_choice c, std::string_view kernel, const ShapeFn& shape_of, double density) {
  if (c != path_choice::automatic) return c == path_choice::dense;
  const auto t = tune::active_table();
  const std::string& dev = tune::cpu_device<Arch>();
  if (!t->has(dev, kernel)) return false;
  const tune::lookup_result r = t->lookup(dev, kernel, shape_of(), tune::any_density);
  const int pm = tune::param_traits<tune::crossover_params>::from(r.values).dense_above_pm;
  return pm > 0 && density * 1000.0 >= double(pm);
}

}  // namespace layers
SPK_END_NAMESPACE
