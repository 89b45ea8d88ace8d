// SPDX-License-Identifier: Apache-2.0
// Every scheme spk-report knows, in the order rows are printed, and lookup by name.
#pragma once

#include <string>
#include <vector>

#include "report/scheme.hpp"
#include "report/scheme_block.hpp"
#include "report/scheme_dense.hpp"
#include "report/scheme_kgs.hpp"
#include "report/scheme_pattern.hpp"
#include "report/scheme_punched.hpp"

namespace spk_report {

inline const std::vector<scheme>& schemes() {
  static const std::vector<scheme> all = {dense_scheme(),     pattern_scheme(), kgs_scheme(),
                                          vanilla3d_scheme(), punched_scheme(), bcr_scheme(),
                                          bsp_scheme(),       bsr_scheme(),     csr_scheme()};
  return all;
}

/// "dense, ..." for messages.
inline std::string scheme_names() {
  std::string s;
  for (const scheme& x : schemes()) s += (s.empty() ? "" : ", ") + x.name;
  return s;
}

/// The scheme called `name`, or nullptr.
inline const scheme* find_scheme(const std::string& name) {
  for (const scheme& x : schemes())
    if (x.name == name) return &x;
  return nullptr;
}

}  // namespace spk_report
