// SPDX-License-Identifier: Apache-2.0
// The report's outputs: the header block, the aligned table and the JSON document.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "report/rows.hpp"

namespace spk_report {

/// Where and how the rows were measured; printed above the table and stored in the JSON.
struct run_info {
  std::string compiler, arch, cpu, onednn, date;
  int threads = 1, repeat = 0;
  bool quick = false;
  double peak_start = NAN, peak_end = NAN;  ///< FMA probe before the first and after the last layer
  std::string tune_table;                   ///< --tune-table, or "" (the compiled-in table)
  std::string backend = "cpu", cl_device;   ///< opencl: CL_DEVICE_NAME of the device used
};

namespace detail {
inline std::string fmt(double x, const char* f) {
  if (!std::isfinite(x)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}
}  // namespace detail

inline void print_header(std::ostream& os, const run_info& info) {
  os << "spk-report  " << info.date << "\n"
     << "  compiler  " << info.compiler << "\n"
     << "  spk arch  " << info.arch << "   cpu: " << info.cpu << "\n"
     << "  oneDNN    " << info.onednn << "   threads: " << info.threads
     << "   repetitions: " << info.repeat << (info.quick ? " (quick)" : "") << "\n"
     << "  FMA peak  " << detail::fmt(info.peak_start, "%.1f")
     << " GFLOP/s at start (%peak uses a probe taken just before each layer)\n";
  os << "  tune      " << (info.tune_table.empty() ? "compiled-in table" : info.tune_table) << "\n";
  if (info.backend == "opencl")
    os << "  OpenCL    " << info.cl_device
       << "   (PoCL devices are the CPU: their figures are CPU figures)\n";
}

/// Prints the rows as an aligned table (text columns left-aligned, numbers right-aligned).
/// OpenCL rows (all rows of a run share the backend) show the CLBlast baseline instead of the
/// CPU baselines.
inline void print_table(std::ostream& os, const std::vector<row>& rows) {
  using detail::fmt;
  struct column {
    const char* name;
    std::function<std::string(const row&)> cell;
  };
  std::vector<column> cols = {{"model", [](const row& r) { return r.model; }},
                              {"layer", [](const row& r) { return r.layer; }},
                              {"op", [](const row& r) { return r.op; }},
                              {"shape", [](const row& r) { return r.shape; }},
                              {"scheme", [](const row& r) { return r.scheme; }},
                              {"config", [](const row& r) { return r.config; }},
                              {"density", [](const row& r) { return fmt(r.density, "%.3g"); }},
                              {"GFLOP", [](const row& r) { return fmt(r.dense_gflop, "%.3f"); }},
                              {"ms", [](const row& r) { return fmt(r.ms, "%.3f"); }}};
  const std::size_t text_cols = 6;
  const bool opencl = !rows.empty() && rows.front().backend == "opencl";
  if (opencl) {
    cols.push_back({"ms_clblast", [](const row& r) { return fmt(r.ms_clblast, "%.3f"); }});
    cols.push_back(
        {"speedup_vs_clblast", [](const row& r) { return fmt(r.speedup_vs_clblast, "%.2fx"); }});
  } else {
    cols.push_back({"ms_spk_dense", [](const row& r) { return fmt(r.ms_spk_dense, "%.3f"); }});
    cols.push_back({"ms_onednn", [](const row& r) { return fmt(r.ms_onednn, "%.3f"); }});
    cols.push_back(
        {"ms_onednn_wino", [](const row& r) { return fmt(r.ms_onednn_winograd, "%.3f"); }});
    cols.push_back(
        {"ms_xnn_sparse", [](const row& r) { return fmt(r.ms_xnnpack_sparse, "%.3f"); }});
    cols.push_back(
        {"speedup_vs_onednn", [](const row& r) { return fmt(r.speedup_vs_onednn, "%.2fx"); }});
    cols.push_back(
        {"vs_xnn", [](const row& r) { return fmt(r.speedup_vs_xnnpack_sparse, "%.2fx"); }});
  }
  cols.push_back({"dense_GF/s", [](const row& r) { return fmt(r.dense_gflops, "%.1f"); }});
  cols.push_back({"nz_GF/s", [](const row& r) { return fmt(r.nz_gflops, "%.1f"); }});
  if (!opencl) cols.push_back({"%peak", [](const row& r) { return fmt(r.pct_peak, "%.0f%%"); }});
  cols.push_back({"max_rel_err", [](const row& r) { return fmt(r.max_rel_err, "%.1e"); }});
  std::vector<std::string> head;
  for (const column& c : cols) head.push_back(c.name);
  std::vector<std::vector<std::string>> cells = {head};
  for (const row& r : rows) {
    std::vector<std::string> line;
    for (const column& c : cols) line.push_back(c.cell(r));
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> w(head.size(), 0);
  for (const auto& line : cells)
    for (std::size_t c = 0; c < line.size(); ++c) w[c] = std::max(w[c], line[c].size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    std::string out;
    for (std::size_t c = 0; c < head.size(); ++c) {
      const std::string& s = cells[i][c];
      const std::string pad(w[c] - s.size(), ' ');
      out += (c ? "  " : "") + (c < text_cols ? s + pad : pad + s);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    os << out << "\n";
    if (i == 0) {
      std::size_t total = 0;
      for (std::size_t x : w) total += x + 2;
      os << std::string(total - 2, '-') << "\n";
    }
  }
}

/// The JSON document: {"meta": {...}, "rows": [{...}, ...]}; n/a values are null.
inline void write_json(std::ostream& os, const run_info& info, const std::vector<row>& rows) {
  spk_bench::json_writer j(os);
  j.begin_object();
  j.key("meta").begin_object();
  j.member("tool", "spk-report").member("date", info.date).member("compiler", info.compiler);
  j.member("arch", info.arch).member("cpu", info.cpu).member("onednn", info.onednn);
  j.member("threads", info.threads).member("repeat", info.repeat).member("quick", info.quick);
  j.member("peak_gflops_start", info.peak_start).member("peak_gflops_end", info.peak_end);
  j.member("max_rel_err_limit", max_rel_err_limit);
  j.member("backend", info.backend).member("cl_device", info.cl_device);
  j.member("tune_table", info.tune_table.empty() ? std::string("compiled-in") : info.tune_table);
  j.end_object();
  j.key("rows").begin_array();
  for (const row& r : rows) {
    j.begin_object();
    j.member("model", r.model).member("layer", r.layer).member("op", r.op).member("shape", r.shape);
    j.member("scheme", r.scheme).member("density", r.density).member("dense_gflop", r.dense_gflop);
    j.member("nz_gflop", r.nz_gflop).member("threads", r.threads);
    j.member("ms", r.ms).member("ms_min", r.ms_min).member("ms_spk_dense", r.ms_spk_dense);
    j.member("ms_onednn", r.ms_onednn).member("ms_onednn_winograd", r.ms_onednn_winograd);
    j.member("speedup_vs_onednn", r.speedup_vs_onednn)
        .member("speedup_vs_onednn_best", r.speedup_vs_onednn_best);
    j.member("config", r.config).member("ms_xnnpack_sparse", r.ms_xnnpack_sparse);
    j.member("speedup_vs_xnnpack_sparse", r.speedup_vs_xnnpack_sparse);
    j.member("dense_gflops", r.dense_gflops).member("nz_gflops", r.nz_gflops);
    j.member("peak_gflops", r.peak_gflops).member("pct_peak", r.pct_peak);
    j.member("max_rel_err", r.max_rel_err).member("onednn_rel_err", r.onednn_rel_err);
    j.member("onednn_winograd_rel_err", r.onednn_winograd_rel_err);
    j.member("checked_outputs", r.checked_outputs).member("total_outputs", r.total_outputs);
    j.member("backend", r.backend).member("ms_clblast", r.ms_clblast);
    j.member("speedup_vs_clblast", r.speedup_vs_clblast)
        .member("clblast_rel_err", r.clblast_rel_err);
    j.member("onednn_impl", r.onednn_impl).key("onednn_winograd_impl");
    if (r.onednn_winograd_impl.empty())
      j.null();
    else
      j.value(r.onednn_winograd_impl);
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

}  // namespace spk_report
