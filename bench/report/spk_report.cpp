// SPDX-License-Identifier: Apache-2.0
// spk-report: the showcase. For each selected zoo layer it measures spk's kernels (one row per
// scheme and density) against oneDNN direct and Winograd, interleaved in one process, checks
// every output against spk's reference, and prints one table (optionally JSON and a PNG chart).
// Run with --help for the options.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/peak.hpp"
#include "common/sysinfo.hpp"
#include "common/threads.hpp"
#include "report/backend_opencl.hpp"
#include "report/cli.hpp"
#include "report/output.hpp"
#include "report/rows.hpp"
#include "report/selection.hpp"
#include "spk/tune/active.hpp"

#ifndef SPK_REPORT_PLOT_SCRIPT
#error "SPK_REPORT_PLOT_SCRIPT (path of plot_report.py) is set by bench/CMakeLists.txt"
#endif

namespace {

using namespace spk_report;

const char* python() {
  const char* p = std::getenv("SPK_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

/// True when the plotting interpreter and matplotlib are usable; checked before measuring.
bool plotting_available() {
  const std::string cmd = std::string(python()) + " -c 'import matplotlib' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

/// Writes the JSON to a temporary file and runs plot_report.py on it; false on failure.
bool plot(const run_info& info, const std::vector<row>& rows, const std::string& png) {
  char tmp[] = "/tmp/spk-report-XXXXXX.json";
  const int fd = mkstemps(tmp, 5);
  if (fd < 0) return std::perror("spk-report: temporary JSON file"), false;
  close(fd);
  {
    std::ofstream f(tmp);
    write_json(f, info, rows);
  }
  const std::string cmd =
      std::string(python()) + " '" SPK_REPORT_PLOT_SCRIPT "' '" + tmp + "' '" + png + "'";
  const int rc = std::system(cmd.c_str());
  std::remove(tmp);
  return rc == 0;
}

void list_zoo() {
  std::cout << "schemes:\n";
  for (const scheme& s : schemes()) std::cout << "  " << s.name << "  " << s.summary << "\n";
  std::cout << "zoo layers (model/layer  op  shape  GFLOP):\n";
  for (const zoo::layer& l : zoo::all_layers()) {
    char g[32];
    std::snprintf(g, sizeof g, "%.3f", l.dense_flops() * 1e-9);
    std::cout << "  " << l.full_name() << "  " << zoo::op_name(l.op) << "  " << l.shape_string()
              << "  " << g << "\n";
  }
}

int run(const options& o) {
  const auto layers = select_layers(o);
  const auto plan = select_schemes(o);
  const bool density_given =
      std::any_of(o.densities.begin(), o.densities.end(), [](double d) { return d != 1.0; });
  for (const auto& [s, d] : plan)
    if (!s->takes_density && density_given)
      std::cerr << "spk-report: note: scheme " << s->name
                << " has a fixed density of 1; --density ignored for it\n";
  if (!o.plot.empty() && !plotting_available()) {
    std::cerr << "spk-report: --plot needs " << python()
              << " with matplotlib (Debian: apt-get install "
              << "python3-matplotlib); not found\n";
    return 2;
  }
#ifdef SPK_REPORT_HAVE_OPENCL
  std::unique_ptr<spk::cl::context> cl_ctx;
  if (o.backend == "opencl") {
    // PoCL runs one pthread per core unless told otherwise: --threads sets it (before the
    // device is created) so both backends report the same thread count.
    ::setenv("POCL_MAX_PTHREAD_COUNT", std::to_string(o.threads).c_str(), 0);
    cl_ctx = std::make_unique<spk::cl::context>();
  }
#else
  if (o.backend == "opencl") {
    std::cerr << "spk-report: --backend opencl needs a build with OpenCL and CLBlast "
              << "(SPK_WITH_OPENCL=ON, SPK_WITH_CLBLAST=ON)\n";
    return 2;
  }
#endif
  if (!o.tune_table.empty()) spk::tune::set_active_table(spk::tune::load_table(o.tune_table));
  spk_bench::set_threads(o.threads);
  run_settings rs;
  rs.threads = o.threads;
  rs.timing.reps = o.repeat > 0 ? o.repeat : (o.quick ? 3 : 7);
  rs.timing.min_rep_seconds = o.quick ? 0.02 : 0.05;

  run_info info;
  info.compiler = spk_bench::compiler_string(), info.arch = spk_bench::arch_string();
  info.cpu = spk_bench::cpu_model(), info.onednn = spk_bench::onednn_version();
  info.date = spk_bench::now_string(), info.threads = o.threads, info.repeat = rs.timing.reps,
  info.quick = o.quick, info.backend = o.backend, info.tune_table = o.tune_table;
#ifdef SPK_REPORT_HAVE_OPENCL
  if (cl_ctx) info.cl_device = cl_ctx->device_name();
#endif
  info.peak_start = spk_bench::fma_peak_gflops(o.threads);
  print_header(std::cout, info);
  std::cout << std::endl;

  std::vector<row> rows;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const zoo::layer& l = layers[i];
    std::cerr << "[" << i + 1 << "/" << layers.size() << "] " << l.full_name() << " ("
              << l.shape_string() << ")\n";
#ifdef SPK_REPORT_HAVE_OPENCL
    if (cl_ctx) {
      for (row& r : measure_layer_cl(l, plan, rs, *cl_ctx)) rows.push_back(std::move(r));
      continue;
    }
#endif
    for (row& r : measure_layer(l, plan, rs)) rows.push_back(std::move(r));
  }
  info.peak_end = spk_bench::fma_peak_gflops(o.threads);
  print_table(std::cout, rows);
  std::cout << "FMA peak at end: " << detail::fmt(info.peak_end, "%.1f") << " GFLOP/s; "
            << (o.backend == "opencl"
                    ? "speedup_vs_clblast = ms_clblast (CLBlast im2col + GEMM, dense) / ms"
                    : "speedup_vs_onednn = ms_onednn (oneDNN's default algorithm, direct) / ms")
            << "\n";
  if (rows.empty())
    std::cerr << "spk-report: no rows: no selected scheme has a kernel on the selected layers"
              << (o.backend == "opencl" ? " for the OpenCL backend" : "") << "\n";

  int status = 0;
  for (const row& r : rows)
    if (!(r.max_rel_err <= max_rel_err_limit)) {
      std::cerr << "spk-report: FAIL " << r.model << "/" << r.layer << " scheme " << r.scheme
                << " density " << r.density << ": max_rel_err " << r.max_rel_err << " > "
                << max_rel_err_limit << "\n";
      status = 1;
    }
  for (const row& r : rows)
    if (r.clblast_rel_err > 1e-3)
      std::cerr << "spk-report: warning: CLBlast disagrees with the reference on " << r.model << "/"
                << r.layer << " (" << r.clblast_rel_err << ")\n";
  for (const row& r : rows)
    if (r.onednn_rel_err > 1e-3 || r.onednn_winograd_rel_err > 1e-2)
      std::cerr << "spk-report: warning: oneDNN disagrees with the reference on " << r.model << "/"
                << r.layer << " (direct " << r.onednn_rel_err << ", Winograd "
                << r.onednn_winograd_rel_err << ")\n";
  if (!o.json.empty()) {
    std::ofstream f(o.json);
    write_json(f, info, rows);
    if (!f)
      std::cerr << "spk-report: cannot write " << o.json << "\n", status = status ? status : 2;
    else
      std::cout << "JSON: " << o.json << "\n";
  }
  if (!o.plot.empty()) {
    if (plot(info, rows, o.plot))
      std::cout << "plot: " << o.plot << "\n";
    else
      std::cerr << "spk-report: plotting failed (" SPK_REPORT_PLOT_SCRIPT ")\n",
          status = status ? status : 2;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    if (o.help) return std::cout << help_text(), 0;
    if (o.list) return list_zoo(), 0;
    return run(o);
  } catch (const usage_error& e) {
    std::cerr << "spk-report: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "spk-report: error: " << e.what() << "\n";
    return 2;
  }
}
