// SPDX-License-Identifier: Apache-2.0
// spk-convert: reads .npy files and .npz archives (e.g. a PyTorch state_dict saved with
// np.savez), prunes each weight tensor with a chosen scheme and rate using spk's projections,
// and writes one .spk bundle, printing per-layer shape, scheme, density and bytes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "spk/format/npz.hpp"
#include "spk/format/serialize.hpp"
#include "spk/sparsity/block.hpp"
#include "spk/sparsity/connectivity.hpp"
#include "spk/sparsity/kgs.hpp"

namespace {

using namespace spk;
using namespace spk::format;

const char* const usage_text = R"(usage: spk-convert [options] -o OUT.spk INPUT...

INPUT is an .npy file (the layer is named after the file stem) or an .npz archive (np.savez,
or np.savez_compressed when built with zlib; layers are named after the members).

  -o, --output FILE     the .spk bundle to write (required)
  --scheme S            auto (default): 3x3 conv -> pattern, conv3d -> kgs, matrix -> bcr;
                        or one of pattern, kgs, bcr, bsr, csr for every selected tensor
  --rate R              compression rate: keep 1/R of each pruned tensor's weights (default 4)
  --density D           kept fraction instead of --rate (0..1)
  --layers LIST         comma-separated regexes (each must match a whole name) of the tensors
                        to prune; they must suit the scheme. Default: every float tensor the
                        scheme can take. Unselected float tensors are stored dense.
  --only-pruned         do not store unselected tensors
  --block RxC           block of bcr (default 16x16) or bsr (default 8x1)
  --group MxN           kgs kernel group, filters x channels (default 8x4)
  --patterns P          pattern library size for the pattern scheme (default 8, at most 56)
  --verify              reload the written file and compare every layer's to_dense() with the
                        pruned dense weights, bit for bit
  -h, --help            this text
)";

struct options {
  std::vector<std::string> inputs;
  std::string output;
  std::string scheme = "auto";
  double density = 0.25;
  std::vector<std::regex> layers;
  bool only_pruned = false, verify = false;
  index_t block_r = 0, block_c = 0;  // 0: the scheme's default
  index_t gm = 8, gn = 4, patterns = 8;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "spk-convert: %s\n(try --help)\n", msg.c_str());
  std::exit(2);
}

double parse_number(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') usage_error(flag + " expects a number, got '" + v + "'");
  return x;
}

/// "AxB" with positive integers.
std::pair<index_t, index_t> parse_pair(const std::string& flag, const std::string& v) {
  const auto x = v.find('x');
  const auto num = [&](const std::string& s) {
    char* end = nullptr;
    const long long n = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || n < 1 || n > (1 << 20))
      usage_error(flag + " expects AxB with A, B >= 1, got '" + v + "'");
    return index_t(n);
  };
  if (x == std::string::npos) usage_error(flag + " expects AxB, got '" + v + "'");
  return {num(v.substr(0, x)), num(v.substr(x + 1))};
}

std::vector<std::regex> parse_layers(const std::string& v) {
  std::vector<std::regex> out;
  std::size_t b = 0;
  while (b <= v.size()) {
    const std::size_t e = std::min(v.find(',', b), v.size());
    const std::string pat = v.substr(b, e - b);
    if (!pat.empty()) {
      try {
        out.emplace_back(pat);
      } catch (const std::regex_error& err) {
        usage_error("--layers: bad regex '" + pat + "': " + err.what());
      }
    }
    b = e + 1;
  }
  return out;
}

options parse_args(int argc, char** argv) {
  options o;
  bool rate_given = false, density_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help")
      std::fputs(usage_text, stdout), std::exit(0);
    else if (a == "-o" || a == "--output")
      o.output = value();
    else if (a == "--scheme")
      o.scheme = value();
    else if (a == "--rate") {
      const double r = parse_number(a, value());
      if (!(r >= 1)) usage_error("--rate must be >= 1");
      o.density = 1 / r, rate_given = true;
    } else if (a == "--density") {
      o.density = parse_number(a, value()), density_given = true;
      if (!(o.density >= 0 && o.density <= 1)) usage_error("--density must be in [0, 1]");
    } else if (a == "--layers")
      o.layers = parse_layers(value());
    else if (a == "--only-pruned")
      o.only_pruned = true;
    else if (a == "--verify")
      o.verify = true;
    else if (a == "--block")
      std::tie(o.block_r, o.block_c) = parse_pair(a, value());
    else if (a == "--group")
      std::tie(o.gm, o.gn) = parse_pair(a, value());
    else if (a == "--patterns") {
      const double p = parse_number(a, value());
      if (!(p >= 1 && p <= 56) || p != double(index_t(p)))
        usage_error("--patterns must be an integer in [1, 56]");
      o.patterns = index_t(p);
    } else if (!a.empty() && a[0] == '-')
      usage_error("unknown option '" + a + "'");
    else
      o.inputs.push_back(a);
  }
  if (rate_given && density_given) usage_error("give --rate or --density, not both");
  if (o.output.empty()) usage_error("no output file (-o OUT.spk)");
  if (o.inputs.empty()) usage_error("no input .npy or .npz file");
  static const char* const schemes[] = {"auto", "pattern", "kgs", "bcr", "bsr", "csr"};
  bool known = false;
  for (const char* s : schemes) known |= o.scheme == s;
  if (!known)
    usage_error("unknown --scheme '" + o.scheme + "' (auto, pattern, kgs, bcr, bsr, csr)");
  return o;
}

// ---- one tensor -------------------------------------------------------------------------------

/// A tensor of the input, before any reading (an .npz member or a whole .npy file).
struct source {
  std::string name;
  std::string file;
  const std::vector<unsigned char>* archive = nullptr;  // the .npz bytes, or null for .npy
  zip_entry entry;
};

/// A converted layer: what goes into the bundle and the pruned dense weights it must equal.
struct converted {
  named_layer layer;
  dense_array pruned;
  std::string scheme;
};

std::string shape_str(const std::vector<index_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out + ")";
}

/// The scheme `requested` applied to a tensor of this shape, or "" when it does not fit.
std::string scheme_for(const std::string& requested, const std::vector<index_t>& s) {
  const bool conv3x3 = s.size() == 4 && s[2] == 3 && s[3] == 3;
  if (requested == "auto")
    return conv3x3 ? "pattern" : s.size() == 5 ? "kgs" : s.size() == 2 ? "bcr" : "";
  if (requested == "pattern") return conv3x3 ? requested : "";
  if (requested == "kgs") return s.size() == 4 || s.size() == 5 ? requested : "";
  return s.size() == 2 ? requested : "";
}

const char* scheme_needs(const std::string& scheme) {
  if (scheme == "pattern") return "a 4-D F x C x 3 x 3 conv weight";
  if (scheme == "kgs") return "a 4-D or 5-D conv weight (F x C x [kd x] kh x kw)";
  if (scheme == "auto") return "a 3x3 conv (pattern), a 5-D conv3d (kgs) or a 2-D matrix (bcr)";
  return "a 2-D matrix (out x in)";
}

dense_array as_dense(const npy_array& a) { return dense_array{a.shape, a.data}; }

template <int R>
tensor<float, R> to_tensor(const npy_array& a) {
  std::array<index_t, R> dims{};
  for (int d = 0; d < R; ++d) dims[std::size_t(d)] = a.shape[std::size_t(d)];
  tensor<float, R> t(dims);
  std::copy(a.data.begin(), a.data.end(), t.data());
  return t;
}
template <int R>
dense_array from_tensor(const tensor<float, R>& t) {
  dense_array d;
  d.shape.assign(t.dims().begin(), t.dims().end());
  d.values.assign(t.data(), t.data() + t.size());
  return d;
}

converted prune_pattern(const std::string& name, const npy_array& a, const options& o) {
  auto w = to_tensor<4>(a);
  const index_t F = w.dim(0), C = w.dim(1);
  // A kernel keeps 4 of its 9 weights: the kernel budget supplies the rest of the cut.
  const double kernel_keep = o.density * 9.0 / 4.0;
  if (kernel_keep > 1.0 + 1e-9)
    raise(errc::invalid_argument,
          "spk-convert: '" + name +
              "': the pattern scheme keeps 4 of 9 weights per kernel, so density " +
              std::to_string(o.density) + " (rate " + std::to_string(1 / o.density) +
              ") is out of reach: use a rate >= 2.25");
  const auto cand = sparsity::candidate_library(3, 3, 4);
  const auto lib = sparsity::extract_library(w.view(), cand, std::min(o.patterns, cand.size()));
  const index_t keep = std::min(F * C, index_t(std::llround(kernel_keep * double(F * C))));
  auto pruned = w;
  const auto st = sparsity::project_pattern_connectivity(
      w.view(), lib, keep, sparsity::connectivity_scope::per_layer, pruned.view());
  return {{name, fkw::build(pruned.view(), st)}, from_tensor(pruned), "pattern"};
}

template <int S>
converted prune_kgs(const std::string& name, const npy_array& a, const options& o) {
  auto w = to_tensor<S + 2>(a);
  index_t K = 1;
  for (int d = 0; d < S; ++d) K *= w.dim(d + 2);
  const sparsity::kgs_grid g{w.dim(0), w.dim(1), K, o.gm, o.gn};
  const auto m = sparsity::project_kgs(w.data(), g, o.density, sparsity::kgs_rule::euclidean);
  auto pruned = w;
  sparsity::apply_mask(pruned.data(), m.element_mask());
  return {{name, kgs<S>::build(w.view(), m)}, from_tensor(pruned), "kgs"};
}

converted prune_matrix(const std::string& name, const std::string& scheme, const npy_array& a,
                       const options& o) {
  const auto w = to_tensor<2>(a);
  const index_t r = o.block_r ? o.block_r : scheme == "bsr" ? 8 : 16;
  const index_t c = o.block_c ? o.block_c : scheme == "bsr" ? 1 : 16;
  if (scheme == "bsr" && w.dim(1) % c != 0)
    raise(errc::invalid_argument, "spk-convert: '" + name + "': bsr blocks of " +
                                      std::to_string(c) + " columns must divide the " +
                                      std::to_string(w.dim(1)) + " columns (--block)");
  sparsity::mask2d m;
  if (scheme == "bcr")
    m = sparsity::project_bcr(w.view(), r, c, sparsity::block_prune::columns, o.density);
  else if (scheme == "bsr")
    m = sparsity::project_bsr(w.view(), r, c, o.density);
  else
    m = sparsity::project_unstructured(w.view(), o.density);
  dense_array pruned = from_tensor(sparsity::apply_mask(w.view(), m));
  if (scheme == "bcr")
    return {{name, bcr::from_dense(w.view(), m, r, c)}, std::move(pruned), scheme};
  if (scheme == "bsr")
    return {{name, bsr::from_dense(w.view(), m, r, c)}, std::move(pruned), scheme};
  return {{name, csr::from_dense(w.view(), m)}, std::move(pruned), scheme};
}

converted prune(const std::string& name, const std::string& scheme, const npy_array& a,
                const options& o) {
  if (scheme == "pattern") return prune_pattern(name, a, o);
  if (scheme == "kgs")
    return a.shape.size() == 5 ? prune_kgs<3>(name, a, o) : prune_kgs<2>(name, a, o);
  return prune_matrix(name, scheme, a, o);
}

// ---- the inputs -------------------------------------------------------------------------------

std::string file_stem(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base.size() > 4 && base.compare(base.size() - 4, 4, ".npy") == 0
             ? base.substr(0, base.size() - 4)
             : base;
}

bool is_npz(const std::vector<unsigned char>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
}

npy_array read_source(const source& s) {
  if (!s.archive) return load_npy(s.file);
  return read_npz_member(s.archive->data(), s.archive->size(), s.entry);
}

bool explicitly_selected(const options& o, const std::string& name) {
  for (const auto& re : o.layers)
    if (std::regex_match(name, re)) return true;
  return false;
}

/// Kept weights / dense weights, as the format counts them (a kept weight may be zero).
double kept_fraction(const layer_weights& w) {
  return std::visit(
      [](const auto& x) -> double {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, dense_array>)
          return 1.0;
        else
          return x.density();
      },
      w);
}

struct totals {
  std::size_t dense = 0, stored = 0;
  int pruned = 0, kept_dense = 0, skipped = 0;
};

void print_row(const std::string& name, const std::vector<index_t>& shape,
               const std::string& scheme, double density, std::size_t dense, std::size_t stored) {
  std::printf("%-28s %-16s %-8s %8.4f %12zu %12zu %7.2fx\n", name.c_str(), shape_str(shape).c_str(),
              scheme.c_str(), density, dense, stored,
              stored ? double(dense) / double(stored) : 0.0);
}

/// Converts one tensor into `model` (or skips it), printing its row.
void convert_one(const source& s, const options& o, std::vector<named_layer>& model,
                 std::vector<dense_array>& want, totals& t) {
  const bool chosen = explicitly_selected(o, s.name);
  const bool listed = !o.layers.empty();
  npy_array a;
  try {
    a = read_source(s);
  } catch (const spk::error& e) {
    if (chosen || e.code() == errc::io) throw;
    std::printf("%-28s skipped: %s\n", s.name.c_str(), e.what());
    ++t.skipped;
    return;
  }
  const std::string scheme = listed && !chosen ? "" : scheme_for(o.scheme, a.shape);
  if (chosen && scheme.empty())
    raise(errc::invalid_argument, "spk-convert: '" + s.name + "' has shape " + shape_str(a.shape) +
                                      ": scheme '" + o.scheme + "' needs " +
                                      scheme_needs(o.scheme));
  const std::size_t dense_bytes = a.data.size() * sizeof(float);
  t.dense += dense_bytes;
  if (scheme.empty()) {
    if (o.only_pruned) {
      std::printf("%-28s %-16s dropped (--only-pruned)\n", s.name.c_str(),
                  shape_str(a.shape).c_str());
      ++t.skipped;
      return;
    }
    print_row(s.name, a.shape, "dense", 1.0, dense_bytes, dense_bytes);
    model.push_back({s.name, as_dense(a)});
    want.push_back(as_dense(a));
    t.stored += dense_bytes, ++t.kept_dense;
    return;
  }
  converted c = prune(s.name, scheme, a, o);
  const std::size_t stored = storage_bytes(c.layer.weights);
  print_row(s.name, a.shape, c.scheme, kept_fraction(c.layer.weights), dense_bytes, stored);
  model.push_back(std::move(c.layer));
  want.push_back(std::move(c.pruned));
  t.stored += stored, ++t.pruned;
}

/// Reloads `path` and compares every layer with what was written; returns the mismatches.
int verify(const std::string& path, const std::vector<named_layer>& model,
           const std::vector<dense_array>& want) {
  const auto back = load_model(path);
  int bad = back.size() == model.size() ? 0 : 1;
  for (std::size_t i = 0; i < back.size() && i < model.size(); ++i) {
    const dense_array got = to_dense_array(back[i].weights);
    const bool same = back[i].name == model[i].name &&
                      back[i].weights.index() == model[i].weights.index() &&
                      got.shape == want[i].shape && got.values.size() == want[i].values.size() &&
                      (got.values.empty() || std::memcmp(got.values.data(), want[i].values.data(),
                                                         got.values.size() * sizeof(float)) == 0);
    if (!same)
      std::fprintf(stderr, "spk-convert: verify: layer '%s' differs after reload\n",
                   model[i].name.c_str());
    bad += !same;
  }
  return bad;
}

int run(const options& o) {
  std::vector<std::vector<unsigned char>> archives;  // kept alive: sources point into them
  archives.reserve(o.inputs.size());
  std::vector<source> sources;
  for (const auto& path : o.inputs) {
    auto bytes = read_file_bytes(path, "spk-convert");
    if (!is_npz(bytes)) {
      sources.push_back({file_stem(path), path, nullptr, {}});
      continue;
    }
    archives.push_back(std::move(bytes));
    for (const zip_entry& e : list_zip(archives.back().data(), archives.back().size()))
      sources.push_back({npz_array_name(e), path, &archives.back(), e});
  }
  for (std::size_t i = 0; i < o.layers.size(); ++i) {
    bool any = false;
    for (const auto& s : sources) any |= std::regex_match(s.name, o.layers[i]);
    if (!any)
      raise(errc::invalid_argument, "spk-convert: --layers: pattern " + std::to_string(i + 1) +
                                        " matches no tensor of the input");
  }
  std::printf("%-28s %-16s %-8s %8s %12s %12s %8s\n", "layer", "shape", "scheme", "density",
              "dense B", "stored B", "ratio");
  std::vector<named_layer> model;
  std::vector<dense_array> want;
  totals t;
  for (const auto& s : sources) convert_one(s, o, model, want, t);
  save_model(o.output, model);
  std::printf("%d pruned, %d dense, %d skipped: %zu -> %zu bytes of weights (%.2fx); wrote %s\n",
              t.pruned, t.kept_dense, t.skipped, t.dense, t.stored,
              t.stored ? double(t.dense) / double(t.stored) : 0.0, o.output.c_str());
  if (!o.verify) return 0;
  const int bad = verify(o.output, model, want);
  std::printf("verify: %zu layers %s\n", model.size(), bad ? "FAILED" : "OK");
  return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_args(argc, argv);
  try {
    return run(o);
  } catch (const spk::error& e) {
    std::fprintf(stderr, "spk-convert: error [%s]: %s\n", spk::to_string(e.code()), e.what());
    return 1;
  }
}
