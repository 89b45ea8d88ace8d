// SPDX-License-Identifier: Apache-2.0
// One report row per (layer, scheme, density), and the measurement that produces a layer's
// rows: build the layer's data, prepare spk dense, oneDNN direct (+ Winograd where it applies)
// and every scheme's kernel, time them all interleaved, then check every output once.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/peak.hpp"
#include "common/timing.hpp"
#include "report/schemes.hpp"

namespace spk_report {

inline constexpr double max_rel_err_limit = 1e-4;

struct row {
  std::string model, layer, op, shape, scheme;
  double density = 1, dense_gflop = 0, nz_gflop = 0;
  int threads = 1;
  double ms = NAN, ms_min = NAN;  ///< this scheme's kernel: median / min over repetitions
  double ms_spk_dense = NAN, ms_onednn = NAN, ms_onednn_winograd = NAN;  ///< medians; NaN = n/a
  double speedup_vs_onednn = NAN;              ///< ms_onednn / ms (oneDNN's default, direct)
  double speedup_vs_onednn_best = NAN;         ///< min(ms_onednn, ms_onednn_winograd) / ms
  std::string config;                          ///< how the density was chosen (scheme-specific)
  double ms_xnnpack_sparse = NAN;              ///< XNNPACK's sparse path on the same weights
  double speedup_vs_xnnpack_sparse = NAN;      ///< ms_xnnpack_sparse / ms
  double dense_gflops = NAN, nz_gflops = NAN;  ///< dense-equivalent and non-zero FLOP rates
  double peak_gflops = NAN, pct_peak = NAN;    ///< FMA probe just before the layer; nz rate / it
  double max_rel_err = NAN, onednn_rel_err = NAN, onednn_winograd_rel_err = NAN;
  spk::index_t checked_outputs = 0, total_outputs = 0;
  std::string onednn_impl, onednn_winograd_impl;
  std::string backend = "cpu";      ///< "cpu" or "opencl"
  double ms_clblast = NAN;          ///< opencl: CLBlast im2col + GEMM + epilogue, dense
  double speedup_vs_clblast = NAN;  ///< ms_clblast / ms
  double clblast_rel_err = NAN;     ///< the CLBlast baseline's own error vs the reference
};

struct run_settings {
  int threads = 1;
  spk_bench::timing_options timing;
};

namespace detail {
/// Row fields every scheme of a layer shares.
inline row base_row(const zoo::layer& l, int threads) {
  row r;
  r.model = l.model, r.layer = l.name, r.op = zoo::op_name(l.op), r.shape = l.shape_string();
  r.dense_gflop = l.dense_flops() * 1e-9;
  r.threads = threads;
  return r;
}
inline double output_err(spk_bench::onednn_primitive& p, const reference_check& chk,
                         spk::index_t n) {
  spk::aligned_buffer<float> out(n, NAN);
  p.get_output(out.data());
  return chk.max_rel_err(out.data());
}
}  // namespace detail

/// Measures layer `l` for every (scheme, density) pair in `plan` that supports it; returns
/// their rows (in plan order).
inline std::vector<row> measure_layer(const zoo::layer& l,
                                      const std::vector<std::pair<const scheme*, double>>& plan,
                                      const run_settings& rs) {
  using spk_bench::candidate;
  spk::executor& ex = spk::default_executor();
  layer_problem prob(l);
  const reference_check check = prob.make_check();
  const layer_context ctx{prob, check, ex};

  std::vector<candidate> cands;
  cands.push_back({"spk_dense", prob.spk_dense(ex)});
  auto onednn = prob.onednn_direct();
  if (!onednn) throw std::runtime_error("oneDNN has no implementation for " + l.full_name());
  cands.push_back({"onednn", [p = onednn.get()] { p->run(); }});
  auto wino = prob.onednn_winograd();
  if (wino) cands.push_back({"onednn_winograd", [p = wino.get()] { p->run(); }});

  struct planned {
    const scheme* s;
    scheme_kernel k;
    std::string config;  // how the density was chosen
    int cand = 0;        // index into cands
    int xnn_cand = -1;   // XNNPACK's candidate, if any
  };
  std::vector<planned> kernels;
  const auto add = [&](const scheme* s, double density, const std::string& config) {
    planned p{s, s->prepare(ctx, density), config};
    if (p.k.is_spk_dense) {
      p.cand = 0;
    } else {
      p.cand = int(cands.size());
      cands.push_back({s->name, p.k.run});
    }
    if (p.k.xnnpack_sparse)
      p.xnn_cand = int(cands.size()), cands.push_back({"xnnpack_sparse", p.k.xnnpack_sparse});
    kernels.push_back(std::move(p));
  };
  for (const auto& [s, density] : plan) {
    if (!s->supports(l)) continue;
    if (!is_layer_default(density)) {
      add(s, density, "uniform");
      continue;
    }
    for (const layer_density& d : s->layer_densities(l)) add(s, d.density, d.config);
  }
  if (kernels.empty()) return {};

  const double peak = spk_bench::fma_peak_gflops(rs.threads);
  const auto t = spk_bench::time_interleaved(cands, rs.timing);

  row base = detail::base_row(l, rs.threads);
  base.ms_spk_dense = t[0].median_ms;
  base.ms_onednn = t[1].median_ms;
  base.onednn_impl = onednn->impl();
  base.onednn_rel_err = detail::output_err(*onednn, check, prob.output_size());
  if (wino) {
    base.ms_onednn_winograd = t[2].median_ms;
    base.onednn_winograd_impl = wino->impl();
    base.onednn_winograd_rel_err = detail::output_err(*wino, check, prob.output_size());
  }
  base.peak_gflops = peak;
  base.checked_outputs = check.checked(), base.total_outputs = check.total();
  const double best_onednn =
      wino ? std::min(base.ms_onednn, base.ms_onednn_winograd) : base.ms_onednn;

  std::vector<row> rows;
  for (const planned& p : kernels) {
    row r = base;
    r.scheme = p.s->name;
    r.config = p.config;
    if (p.xnn_cand >= 0) {
      r.ms_xnnpack_sparse = t[p.xnn_cand].median_ms;
      r.speedup_vs_xnnpack_sparse = r.ms_xnnpack_sparse / t[p.cand].median_ms;
    }
    r.density = p.k.density;
    r.nz_gflop = p.k.nz_flop * 1e-9;
    r.ms = t[p.cand].median_ms, r.ms_min = t[p.cand].min_ms;
    r.speedup_vs_onednn = r.ms_onednn / r.ms;
    r.speedup_vs_onednn_best = best_onednn / r.ms;
    r.dense_gflops = r.dense_gflop / r.ms * 1e3;
    r.nz_gflops = r.nz_gflop / r.ms * 1e3;
    r.pct_peak = 100.0 * r.nz_gflops / peak;
    r.max_rel_err = p.k.max_rel_err();
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace spk_report
