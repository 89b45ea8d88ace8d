// SPDX-License-Identifier: Apache-2.0
// GPU-CPU collaborative execution (YOLObile §4) of a small YOLO-style block with two parallel
// branches, block-punched weights throughout:
//   stem   3x3 conv 16 -> 32, leaky ReLU                         (one branch)
//   split  A: 3x3 conv 32 -> 64, Mish  |  B: 1x1 conv 32 -> 32, leaky ReLU
//   merge  concat(A, B) -> 1x1 conv 96 -> 64, leaky ReLU          (one branch)
// Each branch runs either on the OpenCL device (spk::cl::conv2d_punched) or on the CPU
// (spk::kernels::punched::conv2d_punched, one thread); the executor profiles both, places B on
// the CPU only if T_cpu(B) + T_copy(B) <= T_gpu(A), and runs the two at the same time. Prints the
// profile, the placement, device-only vs collaborative time, and the difference between them.
// On PoCL the "device" is this CPU, so the two sides compete for the same cores.
#include <cstdio>

#ifndef SPK_WITH_OPENCL
int main() {
  std::puts("collab_branches: spk was built without OpenCL (SPK_WITH_OPENCL=OFF); nothing to run");
  return 0;
}
#else

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "example_util.hpp"
#include "spk/cl/collaborative.hpp"
#include "spk/cl/conv_kgs.hpp"
#include "spk/cl/memory.hpp"
#include "spk/core/random.hpp"
#include "spk/kernels/punched/punched.hpp"
#include "spk/sparsity/punched.hpp"

namespace {

using spk::index_t;
using spk::kernels::activation;

/// One block-punched conv layer, 8 x 4 blocks pruned by the official score to `density`, with
/// its weights on both sides and its output buffer on both sides.
struct punched_layer {
  index_t c, f, k, hw;  // square planes, stride 1, "same" padding
  activation act;
  std::unique_ptr<spk::format::punched> fmt;
  std::unique_ptr<spk::cl::device_punched> dev;
  std::vector<float> bias, host_in, host_out;
  ::cl::Buffer dev_bias, dev_out;

  punched_layer(const spk::cl::context& ctx, index_t c_, index_t f_, index_t k_, index_t hw_,
                activation a, double density, std::uint64_t seed)
      : c(c_), f(f_), k(k_), hw(hw_), act(a) {
    namespace sp = spk::sparsity;
    std::vector<float> w(std::size_t(f * c * k * k));
    spk::fill_uniform(w.data(), index_t(w.size()), -0.3f, 0.3f, seed);
    const auto m = sp::project_punched(w.data(), sp::punched_grid(f, c, k * k), density);
    sp::apply_mask(w.data(), m.element_mask());
    fmt = std::make_unique<spk::format::punched>(spk::format::build_punched(
        spk::tensor_view<const float, 4>::contiguous(w.data(), {f, c, k, k}), m));
    dev = std::make_unique<spk::cl::device_punched>(ctx, *fmt);
    bias.resize(std::size_t(f));
    spk::fill_uniform(bias.data(), f, -0.1f, 0.1f, seed + 1);
    dev_bias = spk::cl::upload(ctx, bias);
    host_in.resize(std::size_t(c * hw * hw));
    host_out.resize(std::size_t(f * hw * hw));
    dev_out = spk::cl::device_buffer<float>(ctx, host_out.size());
  }
  spk::conv2d_params params() const { return spk::conv2d_params{}.with_pad(k / 2); }

  void enqueue(const spk::cl::context& ctx, const ::cl::Buffer& in) const {
    spk::cl::conv2d_punched(ctx, *dev, in, 1, c, {hw, hw}, &dev_bias, dev_out, params(), act);
  }
  void run_host() {
    spk::serial_executor one_thread;  // leave the other core to the OpenCL runtime
    spk::kernels::punched::conv2d_punched(
        *fmt, spk::make_nchw<const float>(host_in.data(), 1, c, hw, hw), bias.data(),
        spk::make_nchw<float>(host_out.data(), 1, f, hw, hw), params(), act, one_thread);
  }
  void read_input(const spk::cl::context& ctx, const ::cl::Buffer& in) {
    spk::cl::download(ctx, in, host_in.data(), host_in.size());
  }
  void write_output(const spk::cl::context& ctx) const {
    ctx.queue().enqueueWriteBuffer(dev_out, CL_TRUE, 0, host_out.size() * sizeof(float),
                                   host_out.data());
  }
  /// The layer as a branch of the collaborative executor reading device buffer `in`.
  spk::cl::branch as_branch(std::string name, const ::cl::Buffer* in) {
    spk::cl::branch b;
    b.name = std::move(name);
    b.enqueue = [this, in](const spk::cl::context& ctx) { enqueue(ctx, *in); };
    b.inputs_to_host = [this, in](const spk::cl::context& ctx) { read_input(ctx, *in); };
    b.run_host = [this] { run_host(); };
    b.outputs_to_device = [this](const spk::cl::context& ctx) { write_output(ctx); };
    return b;
  }
};

}  // namespace

int main() {
  // On PoCL the OpenCL device is this CPU: give it one core (unless the caller chose) so the
  // host thread has the other, as a phone's GPU and CPU are separate processors.
  ::setenv("POCL_MAX_PTHREAD_COUNT", "1", 0);
  try {
    const spk::cl::context ctx;
    const index_t hw = 80;  // a 320-input YOLO's stride-4 plane
    std::printf("collab_branches: OpenCL device '%s', planes %lldx%lld\n",
                ctx.device_name().c_str(), (long long)hw, (long long)hw);
    punched_layer stem(ctx, 16, 32, 3, hw, activation::leaky_relu(), 0.5, 11);
    punched_layer a(ctx, 32, 64, 3, hw, activation::mish(), 1.0 / 8, 12);
    punched_layer b(ctx, 32, 32, 1, hw, activation::leaky_relu(), 0.25, 13);
    punched_layer merge(ctx, 96, 64, 1, hw, activation::leaky_relu(), 0.25, 14);

    std::vector<float> x(std::size_t(16 * hw * hw));
    spk::fill_uniform(x.data(), index_t(x.size()), -1.f, 1.f, 15);
    const ::cl::Buffer dev_x = spk::cl::upload(ctx, x);
    // The merge reads concat(A, B) along channels: in NCHW with batch 1, A's 64 planes then B's.
    const std::size_t plane = std::size_t(hw * hw);
    const ::cl::Buffer dev_cat = spk::cl::device_buffer<float>(ctx, 96 * plane);

    spk::cl::branch merge_branch = merge.as_branch("merge", &dev_cat);
    merge_branch.enqueue = [&](const spk::cl::context& c) {
      c.queue().enqueueCopyBuffer(a.dev_out, dev_cat, 0, 0, 64 * plane * sizeof(float));
      c.queue().enqueueCopyBuffer(b.dev_out, dev_cat, 0, 64 * plane * sizeof(float),
                                  32 * plane * sizeof(float));
      merge.enqueue(c, dev_cat);
    };
    merge_branch.inputs_to_host = [&](const spk::cl::context& c) {
      spk::cl::download(c, a.dev_out, merge.host_in.data(), 64 * plane);
      spk::cl::download(c, b.dev_out, merge.host_in.data() + 64 * plane, 32 * plane);
    };
    const spk::cl::stage_graph g = {
        {"stem", {stem.as_branch("stem 3x3 16->32", &dev_x)}},
        {"split",
         {a.as_branch("A 3x3 32->64", &stem.dev_out), b.as_branch("B 1x1 32->32", &stem.dev_out)}},
        {"merge", {merge_branch}}};

    const spk::cl::collaborative_plan plan = spk::cl::plan_graph(ctx, g, 5);
    std::printf("\n%-7s %-16s %10s %10s %10s  placed on\n", "stage", "branch", "gpu ms", "cpu ms",
                "copy ms");
    for (std::size_t s = 0; s < g.size(); ++s)
      for (std::size_t i = 0; i < g[s].branches.size(); ++i) {
        const spk::cl::branch_times& t = plan.profiled[s][i];
        std::printf("%-7s %-16s %10.3f %10.3f %10.3f  %s\n", g[s].name.c_str(),
                    g[s].branches[i].name.c_str(), t.device_s * 1e3, t.host_s * 1e3, t.copy_s * 1e3,
                    plan.on_host[s][i] ? "CPU" : "OpenCL device");
      }

    std::vector<float> out_seq(merge.host_out.size()), out_collab(merge.host_out.size());
    const spk::cl::collaborative_plan device_only = spk::cl::device_only_plan(g);
    const double ms_seq =
        spk_example::best_ms([&] { spk::cl::run_graph(ctx, g, device_only); }, 5, true);
    spk::cl::download(ctx, merge.dev_out, out_seq.data(), out_seq.size());
    const double ms_collab =
        spk_example::best_ms([&] { spk::cl::run_graph(ctx, g, plan); }, 5, true);
    spk::cl::download(ctx, merge.dev_out, out_collab.data(), out_collab.size());
    const double diff =
        spk_example::max_rel_diff(out_collab.data(), out_seq.data(), index_t(out_seq.size()));
    std::printf("\ndevice only (sequential): %.3f ms   collaborative: %.3f ms   (best of 5)\n",
                ms_seq, ms_collab);
    std::printf("max relative difference collaborative vs device only: %.2e\n", diff);
    if (!(diff <= 1e-5)) {
      std::fprintf(stderr, "collab_branches: results differ\n");
      return 1;
    }
    return 0;
  } catch (const spk::error& e) {
    if (e.code() == spk::errc::unsupported) {
      std::printf("collab_branches: no OpenCL device (%s); nothing to run\n", e.what());
      return 0;
    }
    std::fprintf(stderr, "collab_branches: %s\n", e.what());
    return 1;
  }
}

#endif
