// SPDX-License-Identifier: Apache-2.0
// Which zoo layers and which (scheme, density) pairs a report run covers, from the options.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "report/cli.hpp"
#include "report/schemes.hpp"

namespace spk_report {

/// Layers to run, in zoo order for --model, in the given order for --layer. Throws usage_error
/// naming the known models / layers when a name matches nothing.
inline std::vector<zoo::layer> select_layers(const options& o) {
  std::vector<std::string> models;
  for (const std::string& m : o.models) {
    if (m == "all")
      models = zoo::models();
    else if (std::find(zoo::models().begin(), zoo::models().end(), m) != zoo::models().end())
      models.push_back(m);
    else {
      std::string known;
      for (const auto& k : zoo::models()) known += " " + k;
      throw usage_error("unknown model '" + m + "'; zoo models:" + known + " (or all)");
    }
  }
  std::vector<zoo::layer> out;
  if (!o.layers.empty()) {
    for (const std::string& name : o.layers) {
      const auto slash = name.find('/');
      bool found = false;
      for (const zoo::layer& l : zoo::all_layers()) {
        const bool in_models =
            models.empty() || std::find(models.begin(), models.end(), l.model) != models.end();
        const bool match = slash == std::string::npos ? name == l.name : name == l.full_name();
        if (match && (in_models || slash != std::string::npos)) out.push_back(l), found = true;
      }
      if (!found)
        throw usage_error("no zoo layer '" + name + "'" +
                          (models.empty() ? "" : " in the selected models") +
                          " (spk-report --list shows them)");
    }
    return out;
  }
  if (models.empty()) {
    if (!o.quick) return zoo::default_selection();
    models = zoo::models();
  }
  for (const std::string& m : models) {
    if (o.quick) {
      out.push_back(zoo::quick_pick(m));
    } else {
      const auto v = zoo::model_layers(m);
      out.insert(out.end(), v.begin(), v.end());
    }
  }
  return out;
}

/// (scheme, density) pairs, in registry order. Schemes with a fixed density (dense) get one
/// pair; the others get --density's values or their defaults.
inline std::vector<std::pair<const scheme*, double>> select_schemes(const options& o) {
  std::vector<const scheme*> chosen;
  const std::vector<std::string> names =
      o.schemes.empty() ? std::vector<std::string>{"all"} : o.schemes;
  for (const std::string& n : names) {
    if (n == "all") {
      for (const scheme& s : schemes()) chosen.push_back(&s);
      continue;
    }
    const scheme* s = find_scheme(n);
    if (!s)
      throw usage_error("unknown scheme '" + n + "'; available schemes: " + scheme_names() +
                        " (or all)");
    chosen.push_back(s);
  }
  std::vector<std::pair<const scheme*, double>> plan;
  for (const scheme& s : schemes()) {
    if (std::find(chosen.begin(), chosen.end(), &s) == chosen.end()) continue;
    if (s.layer_densities && (o.densities.empty() || !s.takes_density)) {
      plan.emplace_back(&s, std::numeric_limits<double>::quiet_NaN());  // the layer's own defaults
      continue;
    }
    const auto& d = s.takes_density && !o.densities.empty() ? o.densities : s.default_densities;
    for (double x : d) plan.emplace_back(&s, x);
  }
  return plan;
}

}  // namespace spk_report
