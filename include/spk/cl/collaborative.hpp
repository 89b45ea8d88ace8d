// SPDX-License-Identifier: Apache-2.0
// GPU-CPU collaborative execution (YOLObile §4): a layer graph of sequential stages, each a set
// of independent branches that can run on the OpenCL device or on CPU kernels. Branches are
// profiled on both sides, placed by YOLObile's rule, and run at the same time: the device
// branches on the queue while the host thread runs the CPU branches.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// One branch of a stage, runnable on either side. Both sides read the stage's inputs (the
/// outputs of earlier stages, resident on the device) and write the branch's own outputs, which
/// no other branch of the same stage reads or writes. A branch is a function of its inputs:
/// running it again (profiling does) gives the same outputs, on either side.
struct branch {
  std::string name;
  /// Enqueues the branch on ctx.queue() from device buffers into device buffers; must not block.
  std::function<void(const context&)> enqueue;
  /// Blocking copy of what run_host reads, device -> host.
  std::function<void(const context&)> inputs_to_host;
  /// The branch on CPU kernels, host inputs -> host outputs. Runs while the device is busy with
  /// the stage's other branches, so it should leave a core to the OpenCL runtime.
  std::function<void()> run_host;
  /// Blocking copy of run_host's outputs into the device buffers later stages read.
  std::function<void(const context&)> outputs_to_device;
};

/// Branches that may run concurrently; stages run in order.
struct stage {
  std::string name;
  std::vector<branch> branches;
};

using stage_graph = std::vector<stage>;

/// Profiled seconds of one branch: on the device (enqueue to finish), on the host (run_host),
/// and the copies a host placement adds (inputs_to_host + outputs_to_device).
struct branch_times {
  double device_s = 0, host_s = 0, copy_s = 0;
};

/// Which branches of a stage run on the host. YOLObile's rule for a pair (A, B): move B to the
/// CPU only if T_cpu(B) + T_copy(B) <= T_gpu(A). For n branches, the same rule greedily: in
/// order of increasing T_cpu + T_copy, move a branch to the host if the host's total (branches
/// run one after another on the host thread) stays within the device time of the branches left
/// on the device. So the device always keeps at least one branch, and a one-branch stage stays
/// on the device.
inline std::vector<bool> place_branches(const std::vector<branch_times>& t) {
  for (std::size_t i = 0; i < t.size(); ++i)
    require(t[i].device_s >= 0 && t[i].host_s >= 0 && t[i].copy_s >= 0, "spk::cl::place_branches",
            "times[" + std::to_string(i) + "]", t[i].host_s,
            "non-negative device, host and copy seconds");
  std::vector<std::size_t> order(t.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return t[a].host_s + t[a].copy_s < t[b].host_s + t[b].copy_s;
  });
  std::vector<bool> on_host(t.size(), false);
  double device_left = 0, host_total = 0;
  for (const branch_times& b : t) device_left += b.device_s;
  for (std::size_t i : order) {
    const double host_after = host_total + t[i].host_s + t[i].copy_s;
    const double device_after = device_left - t[i].device_s;
    if (device_after > 0 && host_after <= device_after) {
      on_host[i] = true;
      host_total = host_after;
      device_left = device_after;
    }
  }
  return on_host;
}

/// The placement of every stage's branches, and the times it was derived from.
struct collaborative_plan {
  std::vector<std::vector<bool>> on_host;           ///< [stage][branch]
  std::vector<std::vector<branch_times>> profiled;  ///< [stage][branch]; empty when forced
};

namespace detail {

inline void check_branch(const branch& b, const char* where) {
  require(
      bool(b.enqueue) && bool(b.inputs_to_host) && bool(b.run_host) && bool(b.outputs_to_device),
      where, "branch '" + b.name + "'", "a missing function",
      "enqueue, inputs_to_host, run_host and outputs_to_device all set");
}

inline void check_plan(const stage_graph& g, const collaborative_plan& p, const char* where) {
  require(p.on_host.size() == g.size(), where, "plan.on_host.size()", p.on_host.size(),
          "one entry per stage (" + std::to_string(g.size()) + ")", errc::shape_mismatch);
  for (std::size_t s = 0; s < g.size(); ++s)
    require(p.on_host[s].size() == g[s].branches.size(), where,
            "plan.on_host[" + std::to_string(s) + "].size()", p.on_host[s].size(),
            "one flag per branch of stage '" + g[s].name + "' (" +
                std::to_string(g[s].branches.size()) + ")",
            errc::shape_mismatch);
}

template <class F>
double seconds_of(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace detail

/// Runs one stage with the given placement: the host branches' inputs are copied first (the
/// queue is idle then, so a blocking read does not wait behind this stage's device work), the
/// device branches are enqueued and flushed, the host branches run on this thread meanwhile,
/// then the queue is drained and the host outputs are written back.
inline void run_stage(const context& ctx, const stage& st, const std::vector<bool>& on_host) {
  constexpr const char* where = "spk::cl::run_stage";
  require(on_host.size() == st.branches.size(), where, "on_host.size()", on_host.size(),
          "one flag per branch of stage '" + st.name + "'", errc::shape_mismatch);
  for (const branch& b : st.branches) detail::check_branch(b, where);
  for (std::size_t i = 0; i < st.branches.size(); ++i)
    if (on_host[i]) st.branches[i].inputs_to_host(ctx);
  for (std::size_t i = 0; i < st.branches.size(); ++i)
    if (!on_host[i]) st.branches[i].enqueue(ctx);
  detail::translate("clFlush", [&] { ctx.queue().flush(); });
  for (std::size_t i = 0; i < st.branches.size(); ++i)
    if (on_host[i]) st.branches[i].run_host();
  ctx.finish();
  for (std::size_t i = 0; i < st.branches.size(); ++i)
    if (on_host[i]) st.branches[i].outputs_to_device(ctx);
}

/// Runs the stages in order with the plan's placement.
inline void run_graph(const context& ctx, const stage_graph& g, const collaborative_plan& p) {
  detail::check_plan(g, p, "spk::cl::run_graph");
  for (std::size_t s = 0; s < g.size(); ++s) run_stage(ctx, g[s], p.on_host[s]);
}

/// The plan that keeps every branch on the device: sequential execution on the queue.
inline collaborative_plan device_only_plan(const stage_graph& g) {
  collaborative_plan p;
  for (const stage& st : g) p.on_host.emplace_back(st.branches.size(), false);
  return p;
}

/// Profiles every branch on both sides (median of `reps` runs each, after one warm-up that
/// also builds the device programs), running the graph's stages in order so each stage sees
/// real inputs, and places each stage's branches with place_branches(). The graph's outputs
/// afterwards are those of a device-only run.
inline collaborative_plan plan_graph(const context& ctx, const stage_graph& g, int reps = 5) {
  require(reps >= 1, "spk::cl::plan_graph", "reps", reps, ">= 1");
  collaborative_plan p;
  for (const stage& st : g) {
    std::vector<branch_times> times;
    for (const branch& b : st.branches) {
      detail::check_branch(b, "spk::cl::plan_graph");
      std::vector<double> dev, host, copy;
      for (int r = 0; r <= reps; ++r) {
        const double c_in = detail::seconds_of([&] { b.inputs_to_host(ctx); });
        const double h = detail::seconds_of([&] { b.run_host(); });
        const double c_out = detail::seconds_of([&] { b.outputs_to_device(ctx); });
        // The device run comes last, so the device buffers end as a device-only run leaves them.
        const double d = detail::seconds_of([&] {
          b.enqueue(ctx);
          ctx.finish();
        });
        if (r == 0) continue;  // warm-up: program builds, first-touch page faults
        dev.push_back(d), host.push_back(h), copy.push_back(c_in + c_out);
      }
      times.push_back({detail::median(dev), detail::median(host), detail::median(copy)});
    }
    p.on_host.push_back(place_branches(times));
    p.profiled.push_back(std::move(times));
  }
  return p;
}

}  // namespace cl
SPK_END_NAMESPACE
