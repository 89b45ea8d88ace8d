// SPDX-License-Identifier: Apache-2.0
// spk-bench-spmm: whole layers with block-sparse weights. The GRU 2 x 1024 (TIMIT, 153-dim
// input) over a 100-frame utterance at 10x and 20x compression (BCR, BSP, BSR, CSR) against
// oneDNN's GRU primitive and spk's dense GRU; a BERT-base encoder layer at 128 tokens with
// block-sparse FFNs at densities 1/2, 1/4, 1/8 against the dense layer. Per-matrix rows are in
// spk-report --scheme bcr,bsp,bsr,csr.
//   spk-bench-spmm [--threads N] [Google Benchmark flags]   one benchmark per candidate
//   spk-bench-spmm --interleaved [--threads N] [--repeat R] candidates round-robin in one
//        process, medians, FMA peak probe before and after: the figures to quote.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/onednn.hpp"
#include "common/onednn_rnn.hpp"
#include "common/peak.hpp"
#include "common/sysinfo.hpp"
#include "common/threads.hpp"
#include "common/timing.hpp"
#include "spk/layers/layers.hpp"

namespace {

using namespace spk_bench;
using spk::index_t;
namespace L = spk::layers;
namespace sp = spk::sparsity;

/// A timed whole-layer candidate; err() compares its last output with its reference.
struct layer_candidate {
  std::string group, name;
  std::function<void()> run;
  std::function<double()> err;  ///< max|out - ref| / max|ref|; empty for baselines
  double density = 1;
};

/// Prunes w (out x in) with `scheme` at kept fraction `keep`; returns the weight and writes the
/// pruned dense matrix to `pruned`.
L::weight prune(const spk::tensor<float, 2>& w, const std::string& scheme, double keep,
                spk::tensor<float, 2>& pruned) {
  const auto v = w.view();
  if (scheme == "dense") {
    pruned = w;
    return L::weight(v);
  }
  if (scheme == "bcr") {
    const auto m = sp::project_bcr(v, 16, 128, sp::block_prune::columns, keep);
    pruned = sp::apply_mask(v, m);
    return spk::format::bcr::from_dense(v, m, 16, 128);
  }
  if (scheme == "bsp") {
    const auto m = sp::project_bsp(v, 4, keep, 1, 1.0);
    pruned = sp::apply_mask(v, m);
    return spk::format::bcr::from_dense(v, m, 256, (w.dim(1) + 3) / 4);
  }
  if (scheme == "bsr") {
    const index_t c = w.dim(1) % 4 == 0 ? 4 : 1;
    const auto m = sp::project_bsr(v, 16, c, keep);
    pruned = sp::apply_mask(v, m);
    return spk::format::bsr::from_dense(v, m, 16, c);
  }
  const auto m = sp::project_unstructured(v, keep);
  pruned = sp::apply_mask(v, m);
  return spk::format::csr::from_dense(v, m);
}

double rel_err(const float* got, const float* want, index_t n) {
  double e = 0, m = 0;
  for (index_t i = 0; i < n; ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    e = std::max(e, std::fabs(double(got[i]) - want[i])),
    m = std::max(m, std::fabs(double(want[i])));
  }
  return m > 0 ? e / m : e;
}

// ---- GRU 2 x 1024, 153 inputs, 100 frames -------------------------------------------------
constexpr index_t gru_T = 100, gru_I = 153, gru_H = 1024;

struct gru_data {
  spk::tensor<float, 2> x{{gru_T, gru_I}};
  std::vector<spk::tensor<float, 2>> wih, whh;
  std::vector<std::vector<float>> bih, bhh;
  gru_data() {
    spk::fill_uniform(x.data(), x.size(), -1.f, 1.f, 7);
    const float a = 1.f / std::sqrt(float(gru_H));
    for (int l = 0; l < 2; ++l) {
      wih.emplace_back(spk::tensor<float, 2>({3 * gru_H, l == 0 ? gru_I : gru_H}));
      whh.emplace_back(spk::tensor<float, 2>({3 * gru_H, gru_H}));
      spk::fill_uniform(wih[l].data(), wih[l].size(), -a, a, 10 + l);
      spk::fill_uniform(whh[l].data(), whh[l].size(), -a, a, 20 + l);
      bih.emplace_back(3 * gru_H), bhh.emplace_back(3 * gru_H);
      spk::fill_uniform(bih[l].data(), 3 * gru_H, -a, a, 30 + l);
      spk::fill_uniform(bhh[l].data(), 3 * gru_H, -a, a, 40 + l);
    }
  }
};

void add_gru(std::vector<layer_candidate>& out, const std::string& scheme, double keep) {
  static gru_data d;
  std::vector<L::rnn_layer_weights> ls, ref;
  for (int l = 0; l < 2; ++l) {
    spk::tensor<float, 2> pi, ph;
    L::weight wi = prune(d.wih[l], scheme, keep, pi), wh = prune(d.whh[l], scheme, keep, ph);
    ls.push_back({std::move(wi), std::move(wh), d.bih[l], d.bhh[l]});
    ref.push_back({L::weight(pi.view()), L::weight(ph.view()), d.bih[l], d.bhh[l]});
  }
  auto net = std::make_shared<L::gru>(gru_I, std::move(ls));
  auto y = std::make_shared<spk::tensor<float, 2>>(spk::tensor<float, 2>({gru_T, gru_H}));
  layer_candidate c;
  c.group = "gru 2x1024 T=100";
  c.name = scheme == "dense" ? "spk_dense" : scheme;
  c.density = keep;
  c.run = [net, y] { net->forward(d.x.view(), y->view(), nullptr, nullptr, bench_executor()); };
  if (scheme != "dense") {
    auto want = std::make_shared<spk::tensor<float, 2>>(spk::tensor<float, 2>({gru_T, gru_H}));
    L::gru(gru_I, std::move(ref)).forward(d.x.view(), want->view());
    c.err = [y, want] { return rel_err(y->data(), want->data(), y->size()); };
  }
  out.push_back(std::move(c));
}

void add_onednn_gru(std::vector<layer_candidate>& out) {
  static gru_data d;
  struct state {
    std::vector<float> mid = std::vector<float>(gru_T * gru_H),
                       dst = std::vector<float>(gru_T * gru_H);
    std::unique_ptr<onednn_rnn_layer> l0, l1;
  };
  auto s = std::make_shared<state>();
  using cell = onednn_rnn_layer::cell;
  s->l0 =
      onednn_rnn_layer::create(cell::lbr_gru, gru_T, gru_I, gru_H, d.x.data(), s->mid.data(), 1);
  s->l1 =
      onednn_rnn_layer::create(cell::lbr_gru, gru_T, gru_H, gru_H, s->mid.data(), s->dst.data(), 2);
  layer_candidate c;
  c.group = "gru 2x1024 T=100";
  c.name = "onednn_gru(" + s->l0->impl() + ")";
  c.run = [s] { s->l0->run(), s->l1->run(); };
  out.push_back(std::move(c));
}

// ---- BERT-base encoder layer, 128 tokens ----------------------------------------------------
constexpr index_t bert_T = 128, bert_D = 768, bert_F = 3072, bert_heads = 12;

void add_bert(std::vector<layer_candidate>& out, const std::string& scheme, double keep) {
  static struct data {
    spk::tensor<float, 2> x{{bert_T, bert_D}}, win{{3 * bert_D, bert_D}}, wout{{bert_D, bert_D}};
    spk::tensor<float, 2> w1{{bert_F, bert_D}}, w2{{bert_D, bert_F}};
    std::vector<float> bin = std::vector<float>(3 * bert_D), bout = std::vector<float>(bert_D);
    std::vector<float> b1 = std::vector<float>(bert_F), b2 = std::vector<float>(bert_D);
    data() {
      spk::fill_uniform(x.data(), x.size(), -1.f, 1.f, 50);
      const float a = 1.f / std::sqrt(float(bert_D)), a2 = 1.f / std::sqrt(float(bert_F));
      spk::fill_uniform(win.data(), win.size(), -a, a, 51),
          spk::fill_uniform(wout.data(), wout.size(), -a, a, 52);
      spk::fill_uniform(w1.data(), w1.size(), -a, a, 53),
          spk::fill_uniform(w2.data(), w2.size(), -a2, a2, 54);
      spk::fill_uniform(bin.data(), 3 * bert_D, -a, a, 55),
          spk::fill_uniform(bout.data(), bert_D, -a, a, 56);
      spk::fill_uniform(b1.data(), bert_F, -a, a, 57),
          spk::fill_uniform(b2.data(), bert_D, -a, a, 58);
    }
  } d;
  auto make = [&](L::weight f1, L::weight f2) {
    return std::make_shared<L::transformer_encoder_layer>(
        L::multi_head_attention(bert_D, bert_heads, L::weight(d.win.view()), d.bin,
                                L::weight(d.wout.view()), d.bout),
        L::linear(std::move(f1), d.b1), L::linear(std::move(f2), d.b2), std::vector<float>(),
        std::vector<float>(), std::vector<float>(), std::vector<float>());
  };
  spk::tensor<float, 2> p1, p2;
  auto f1 = prune(d.w1, scheme, keep, p1);
  auto f2 = prune(d.w2, scheme, keep, p2);
  auto enc = make(std::move(f1), std::move(f2));
  auto y = std::make_shared<spk::tensor<float, 2>>(spk::tensor<float, 2>({bert_T, bert_D}));
  layer_candidate c;
  c.group = "bert-base layer T=128";
  c.name = scheme == "dense" ? "spk_dense" : scheme + " ffn";
  c.density = keep;
  c.run = [enc, y] { enc->forward(d.x.view(), y->view(), {}, bench_executor()); };
  if (scheme != "dense") {
    auto want = std::make_shared<spk::tensor<float, 2>>(spk::tensor<float, 2>({bert_T, bert_D}));
    make(L::weight(p1.view()), L::weight(p2.view()))->forward(d.x.view(), want->view());
    c.err = [y, want] { return rel_err(y->data(), want->data(), y->size()); };
  }
  out.push_back(std::move(c));
}

std::vector<layer_candidate> gru_candidates() {
  std::vector<layer_candidate> v;
  add_onednn_gru(v);
  add_gru(v, "dense", 1.0);
  for (double keep : {0.1, 0.05})
    for (const char* s : {"bcr", "bsp", "bsr", "csr"}) add_gru(v, s, keep);
  return v;
}
std::vector<layer_candidate> bert_candidates() {
  std::vector<layer_candidate> v;
  add_bert(v, "dense", 1.0);
  for (double keep : {0.5, 0.25, 0.125}) add_bert(v, "bcr", keep);
  add_bert(v, "bsr", 0.25);
  return v;
}

int run_interleaved(int threads, int reps) {
  std::printf(
      "spk-bench-spmm --interleaved  %s\n  compiler %s  arch %s  cpu %s  oneDNN %s  threads %d  "
      "reps %d\n",
      now_string().c_str(), compiler_string().c_str(), arch_string().c_str(), cpu_model().c_str(),
      onednn_version().c_str(), threads, reps);
  int status = 0;
  for (auto make : {gru_candidates, bert_candidates}) {
    const auto cands = make();
    std::vector<candidate> timed;
    for (const auto& c : cands) timed.push_back({c.name, c.run});
    const double peak0 = fma_peak_gflops(threads);
    timing_options o;
    o.reps = reps;
    const auto t = time_interleaved(timed, o);
    const double peak1 = fma_peak_gflops(threads);
    std::printf("\n%s   (FMA peak %.1f GFLOP/s before, %.1f after)\n", cands[0].group.c_str(),
                peak0, peak1);
    std::printf("%-44s %8s %10s %10s %12s %12s %10s\n", "candidate", "density", "median_ms",
                "min_ms", "vs_first", "vs_spk_dense", "max_rel_err");
    const double base = t[0].median_ms;
    double dense = NAN;
    for (std::size_t i = 0; i < cands.size(); ++i)
      if (cands[i].name == "spk_dense") dense = t[i].median_ms;
    for (std::size_t i = 0; i < cands.size(); ++i) {
      const double e = cands[i].err ? cands[i].err() : NAN;
      if (cands[i].err && !(e < 1e-4)) status = 1;
      std::printf("%-44s %8.3f %10.3f %10.3f %11.2fx %11.2fx %10.1e\n", cands[i].name.c_str(),
                  cands[i].density, t[i].median_ms, t[i].min_ms, base / t[i].median_ms,
                  dense / t[i].median_ms, e);
    }
  }
  std::printf(
      "\nvs_first = first row's median / this median (GRU: oneDNN's lbr_gru primitive; BERT: spk "
      "dense layer)\n");
  return status;
}

void register_all() {
  static std::vector<layer_candidate> all = [] {
    auto v = gru_candidates();
    auto b = bert_candidates();
    v.insert(v.end(), b.begin(), b.end());
    return v;
  }();
  for (const auto& c : all) {
    char density[32];
    std::snprintf(density, sizeof density, "%.3g", c.density);
    benchmark::RegisterBenchmark((c.group + "/" + c.name + "/density:" + density).c_str(),
                                 [run = c.run](benchmark::State& st) {
                                   for (auto _ : st) run();
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 7, out = 1;
  bool interleaved = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--interleaved") == 0)
      interleaved = true;
    else
      argv[out++] = argv[i];
  }
  argc = out;
  set_threads(threads < 1 ? 1 : threads);
  if (interleaved) return run_interleaved(threads, reps < 1 ? 1 : reps);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  char peak[32];
  std::snprintf(peak, sizeof peak, "%.1f", fma_peak_gflops(threads));
  benchmark::AddCustomContext("fma_peak_gflops_before", peak);
  benchmark::AddCustomContext("compiler", compiler_string());
  benchmark::RunSpecifiedBenchmarks();
  std::fprintf(stderr, "fma_peak_gflops_after: %.1f\n", fma_peak_gflops(threads));
  benchmark::Shutdown();
  return 0;
}
