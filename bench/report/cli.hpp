// SPDX-License-Identifier: Apache-2.0
// spk-report's command line: options, parsing (both "--flag value" and "--flag=value"; list
// options are repeatable and take comma lists) and the help text.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace spk_report {

struct options {
  std::vector<std::string> models;   ///< empty: the default selection; "all": every model
  std::vector<std::string> layers;   ///< "layer" or "model/layer"
  std::vector<std::string> schemes;  ///< empty: "dense"
  std::vector<double> densities;     ///< kept fractions; empty: each scheme's default
  int threads = 1;
  int repeat = 0;  ///< timed repetitions; 0: 7, or 3 with --quick
  bool quick = false, help = false, list = false;
  std::string json, plot;
  std::string tune_table;       ///< a tune table laid over the compiled-in one (spk-tune's output)
  std::string backend = "cpu";  ///< "cpu" (vs oneDNN) or "opencl" (vs CLBlast im2col + GEMM)
};

/// Thrown for a malformed command line; the message is shown with a hint to --help.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline const char* help_text() {
  return R"(spk-report: spk's kernels on the layer zoo against oneDNN, in one table.

usage: spk-report [options]

  --model M      models to run (repeatable or comma list; "all" = every zoo model). Without
                 --model/--layer: the default selection (2-3 layers per model).
  --layer L      layers to run: a layer name (searched in the selected models, or in all) or
                 model/layer (repeatable or comma list)
  --scheme S     schemes to report (repeatable or comma list; "all"); default all
  --density D    kept weight fraction(s) in (0, 1] for sparse schemes; dense is always 1
  --backend B    cpu (default): spk's CPU kernels vs oneDNN; opencl: spk's OpenCL kernels
                 (pattern, punched, kgs, vanilla3d) vs CLBlast im2col + GEMM on the device
                 that SPK_CL_DEVICE names, else the first GPU, else the first CPU device
                 (PoCL here: its figures are CPU figures)
  --tune-table F the CPU kernels take their parameters from tune table F (spk-tune's output),
                 laid over the compiled-in table; without it the compiled-in table (or the
                 file SPK_TUNE_TABLE names) is used
  --threads N    threads for spk and oneDNN (default 1; 1 thread pins to the current core)
  --repeat R     timed repetitions per kernel, median reported (default 7; --quick: 3)
  --quick        3 repetitions of shorter calls, and one layer per model unless --layer/--model
                 says otherwise (under a minute)
  --json FILE    write the rows (and machine info) as JSON
  --plot FILE    draw speedup vs oneDNN per layer into FILE.png (needs /usr/bin/python3 with
                 matplotlib)
  --list         list the zoo layers and the schemes, then exit
  --help         this text

Timing: candidates (spk dense, oneDNN direct, oneDNN Winograd for 3x3 stride-1 conv2d, the
schemes' kernels) run round-robin in one process; each repetition averages >= 50 ms of calls.
Exit status: 0 ok, 1 a result exceeded max_rel_err 1e-4, 2 usage or setup error.
)";
}

namespace detail {
inline void split_into(const std::string& s, std::vector<std::string>& out) {
  std::size_t b = 0;
  while (b <= s.size()) {
    const std::size_t e = std::min(s.find(',', b), s.size());
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
}
inline int to_int(const std::string& flag, const std::string& v, int lo) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || x < lo || x > 1 << 20)
    throw usage_error(flag + " expects an integer >= " + std::to_string(lo) + ", got '" + v + "'");
  return int(x);
}
inline double to_density(const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !(x > 0.0 && x <= 1.0))
    throw usage_error("--density expects a kept fraction in (0, 1], got '" + v + "'");
  return x;
}
}  // namespace detail

inline options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i], val;
    const bool has_eq = flag.rfind("--", 0) == 0 && flag.find('=') != std::string::npos;
    if (has_eq) val = flag.substr(flag.find('=') + 1), flag = flag.substr(0, flag.find('='));
    const auto value = [&]() -> const std::string& {
      if (!has_eq) {
        if (i + 1 >= argc) throw usage_error(flag + " needs a value");
        val = argv[++i];
      }
      return val;
    };
    const auto no_value = [&] {
      if (has_eq) throw usage_error(flag + " takes no value");
    };
    if (flag == "--help" || flag == "-h")
      no_value(), o.help = true;
    else if (flag == "--quick")
      no_value(), o.quick = true;
    else if (flag == "--list")
      no_value(), o.list = true;
    else if (flag == "--model")
      detail::split_into(value(), o.models);
    else if (flag == "--layer")
      detail::split_into(value(), o.layers);
    else if (flag == "--scheme")
      detail::split_into(value(), o.schemes);
    else if (flag == "--density") {
      std::vector<std::string> d;
      detail::split_into(value(), d);
      for (const auto& s : d) o.densities.push_back(detail::to_density(s));
    } else if (flag == "--threads")
      o.threads = detail::to_int(flag, value(), 1);
    else if (flag == "--repeat")
      o.repeat = detail::to_int(flag, value(), 1);
    else if (flag == "--backend") {
      o.backend = value();
      if (o.backend != "cpu" && o.backend != "opencl")
        throw usage_error("--backend expects cpu or opencl, got '" + o.backend + "'");
    } else if (flag == "--tune-table")
      o.tune_table = value();
    else if (flag == "--json")
      o.json = value();
    else if (flag == "--plot")
      o.plot = value();
    else
      throw usage_error("unknown option '" + flag + "'");
  }
  return o;
}

}  // namespace spk_report
