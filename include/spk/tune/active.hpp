// SPDX-License-Identifier: Apache-2.0
// The active tune table the CPU drivers consult: the compiled-in defaults
// (defaults_generated.hpp) overlaid by a user table from SPK_TUNE_TABLE or set_active_table(),
// device ids, and params_for<P>(), the one call a driver makes to turn its problem into params.
#pragma once

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "spk/core/arch.hpp"
#include "spk/tune/defaults_generated.hpp"
#include "spk/tune/table.hpp"

SPK_BEGIN_NAMESPACE
namespace tune {

/// Device id of the CPU kernels compiled for Arch: "cpu:" + the xsimd arch name
/// ("cpu:avx512bw", "cpu:fma3+avx2", "cpu:sse2", "cpu:arm64+neon"). OpenCL ids are "cl:<name>".
template <class Arch = default_arch>
const std::string& cpu_device() {
  static const std::string id = std::string("cpu:") + Arch::name();
  return id;
}

/// The compiled-in table (parsed once from defaults_generated.hpp).
inline const table& builtin_table() {
  static const table t = parse_table(generated_defaults_tsv, "<spk/tune/defaults_generated.hpp>");
  return t;
}

namespace detail {
struct active_state {
  std::mutex m;
  std::shared_ptr<const table> t;  ///< null until first use
};
inline active_state& active() {
  static active_state s;
  return s;
}
/// The table a process starts with: SPK_TUNE_TABLE unset or empty -> the compiled-in table;
/// "none" -> no rows (every driver runs its built-in heuristics); a path -> the compiled-in
/// table overlaid by that file (a bad file raises spk::error at the first lookup).
inline std::shared_ptr<const table> startup_table() {
  const char* env = std::getenv("SPK_TUNE_TABLE");
  if (!env || !*env) return std::make_shared<const table>(builtin_table());
  if (std::string(env) == "none") return std::make_shared<const table>();
  return std::make_shared<const table>(overlay(builtin_table(), load_table(env)));
}
}  // namespace detail

/// The table lookups use now (thread-safe; a snapshot: later set_active_table calls do not
/// change a table already returned).
inline std::shared_ptr<const table> active_table() {
  auto& s = detail::active();
  std::lock_guard<std::mutex> lock(s.m);
  if (!s.t) s.t = detail::startup_table();
  return s.t;
}

/// Makes `user` the active table: overlaid on the compiled-in table, or alone when
/// `with_builtin` is false (an empty table then means "built-in heuristics everywhere"). Do not
/// change the table between sizing a workspace and the call that uses it.
inline void set_active_table(table user, bool with_builtin = true) {
  auto t = std::make_shared<const table>(with_builtin ? overlay(builtin_table(), user)
                                                      : std::move(user));
  auto& s = detail::active();
  std::lock_guard<std::mutex> lock(s.m);
  s.t = std::move(t);
}

/// Back to the startup table (SPK_TUNE_TABLE re-read at the next lookup).
inline void reset_active_table() {
  auto& s = detail::active();
  std::lock_guard<std::mutex> lock(s.m);
  s.t.reset();
}

namespace detail {
/// This thread's last lookups. params_for runs on every kernel call, and scanning the table
/// (string compares over every row, twice) cost ~0.5 us a call: a tenth of a 1x1 sparse layer
/// at 90 %. An entry holds its table, so a table replaced by set_active_table stays alive (and
/// its address unused) until the entry is overwritten; a replaced table is never matched again.
struct lookup_memo {
  struct entry {
    std::shared_ptr<const table> t;
    std::string device, kernel;
    bool has = false;  ///< the table has rows for (device, kernel); false: the rest is unused
    shape_class shape;
    int density = 0;
    lookup_result result;
  };
  std::array<entry, 8> entries;
  std::size_t next = 0;
  void put(entry e) { entries[next++ % entries.size()] = std::move(e); }
};
inline lookup_memo& this_thread_lookups() {
  thread_local lookup_memo m;
  return m;
}
}  // namespace detail

/// Params of family P for one call: `given` when not null, else the active table's lookup of
/// (device, kernel, shape_of(), density_class(density_of())), where the two callables only run
/// when the table has rows for (device, kernel) (the common untuned case costs one scan).
template <class P, class ShapeFn, class DensityFn>
P params_for(const P* given, const std::string& device, std::string_view kernel,
             const ShapeFn& shape_of, const DensityFn& density_of, lookup_result* how = nullptr) {
  if (given) return *given;
  const auto t = active_table();
  auto& memo = detail::this_thread_lookups();
  const auto same_kernel = [&](const detail::lookup_memo::entry& e) {
    return e.t == t && e.kernel == kernel && e.device == device;
  };
  const detail::lookup_memo::entry* known = nullptr;
  for (const auto& e : memo.entries)
    if (same_kernel(e)) {
      known = &e;
      break;
    }
  if (known ? !known->has : !t->has(device, kernel)) {
    if (!known) memo.put({t, std::string(device), std::string(kernel), false, {}, 0, {}});
    if (how) *how = {};
    return P{};
  }
  const shape_class shape = shape_of();
  const int dc = density_class(density_of());
  for (const auto& e : memo.entries)
    if (e.has && same_kernel(e) && e.density == dc && e.shape == shape) {
      if (how) *how = e.result;
      return param_traits<P>::from(e.result.values);
    }
  const lookup_result r = t->lookup(device, kernel, shape, dc);
  memo.put({t, std::string(device), std::string(kernel), true, shape, dc, r});
  if (how) *how = r;
  return param_traits<P>::from(r.values);
}

}  // namespace tune
SPK_END_NAMESPACE
