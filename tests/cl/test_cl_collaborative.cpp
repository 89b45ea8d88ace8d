// SPDX-License-Identifier: Apache-2.0
// The collaborative executor: YOLObile's placement rule on given times (no device needed), and
// on the OpenCL device a three-stage graph whose outputs must equal sequential device-only
// execution under every placement, including the profiled one.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "cl_test_util.hpp"
#include "harness.hpp"
#include "spk/cl/axpy.hpp"
#include "spk/cl/collaborative.hpp"
#include "spk/cl/memory.hpp"

using spk::cl::branch_times;
using spk::cl::place_branches;

TEST_CASE("place_branches: YOLObile's pair rule T_cpu(B) + T_copy(B) <= T_gpu(A)") {
  // B moves: 3 + 1 <= 5.
  CHECK(place_branches({{5, 9, 0}, {2, 3, 1}}) == std::vector<bool>{false, true});
  // Exactly equal still moves (the rule is <=).
  CHECK(place_branches({{4, 9, 0}, {2, 3, 1}}) == std::vector<bool>{false, true});
  // Copy tips it over: 3 + 2.5 > 5.
  CHECK(place_branches({{5, 9, 0}, {2, 3, 2.5}}) == std::vector<bool>{false, false});
  // Either could move; the cheaper host side (A: 1 + 0) goes, then B cannot (device left 2).
  CHECK(place_branches({{5, 1, 0}, {2, 3, 0}}) == std::vector<bool>{true, false});
  // One branch never leaves the device, nor do zero-time branches.
  CHECK(place_branches({{5, 0.1, 0}}) == std::vector<bool>{false});
  CHECK(place_branches({{0, 0, 0}, {0, 0, 0}}) == std::vector<bool>{false, false});
  CHECK(place_branches({}).empty());
}

TEST_CASE("place_branches: several branches share one host thread") {
  // Device total 12. Host costs 1, 2, 6: take 1 (device left 8), 2 (host 3 <= 6), then 6 would
  // make host 9 > device left 4.
  CHECK(place_branches({{4, 1, 0}, {2, 2, 0}, {6, 6, 0}}) == std::vector<bool>{true, true, false});
  SPK_CHECK_ERROR(place_branches({{1, -1, 0}}), spk::errc::invalid_argument, "times[0]");
}

namespace {

/// out = a * x + c on either side: a copy then axpy on the device, a loop on the host. Inputs
/// and outputs are small integers, so both sides are exact and must agree bit for bit.
struct affine_branch {
  float a;
  const ::cl::Buffer *x, *c;  // device inputs (outputs of earlier stages)
  ::cl::Buffer* out;          // this branch's device output
  std::size_t n;
  std::vector<float> hx, hc, hout;

  affine_branch(float a_, const ::cl::Buffer* x_, const ::cl::Buffer* c_, ::cl::Buffer* out_,
                std::size_t n_)
      : a(a_), x(x_), c(c_), out(out_), n(n_), hx(n_), hc(n_), hout(n_) {}

  spk::cl::branch make(std::string name) {
    spk::cl::branch b;
    b.name = std::move(name);
    b.enqueue = [this](const spk::cl::context& ctx) {
      ctx.queue().enqueueCopyBuffer(*c, *out, 0, 0, n * sizeof(float));
      spk::cl::axpy(ctx, a, *x, *out, n);
    };
    b.inputs_to_host = [this](const spk::cl::context& ctx) {
      spk::cl::download(ctx, *x, hx.data(), n);
      spk::cl::download(ctx, *c, hc.data(), n);
    };
    b.run_host = [this] {
      for (std::size_t i = 0; i < n; ++i) hout[i] = a * hx[i] + hc[i];
    };
    b.outputs_to_device = [this](const spk::cl::context& ctx) {
      ctx.queue().enqueueWriteBuffer(*out, CL_TRUE, 0, n * sizeof(float), hout.data());
    };
    return b;
  }
};

}  // namespace

TEST_CASE("collaborative executor: every placement equals sequential device execution") {
  auto ctx = spk_cl_test::context_or_skip();
  if (!ctx) return;
  const std::size_t n = 1000;  // not a multiple of any work-group size
  std::vector<float> x0(n), c0(n);
  for (std::size_t i = 0; i < n; ++i) x0[i] = float(int(i % 7) - 3), c0[i] = float(int(i % 5) - 2);
  ::cl::Buffer x = spk::cl::upload(*ctx, x0), c = spk::cl::upload(*ctx, c0);
  ::cl::Buffer s1 = spk::cl::device_buffer<float>(*ctx, n);
  ::cl::Buffer a = spk::cl::device_buffer<float>(*ctx, n),
               b = spk::cl::device_buffer<float>(*ctx, n);
  ::cl::Buffer y = spk::cl::device_buffer<float>(*ctx, n);

  // stage "stem": s1 = 2x + c; stage "branches": a = 3 s1 + x, b = -1 s1 + c (independent);
  // stage "merge": y = 2a + b.
  affine_branch stem{2, &x, &c, &s1, n}, left{3, &s1, &x, &a, n}, right{-1, &s1, &c, &b, n},
      merge{2, &a, &b, &y, n};
  spk::cl::stage_graph g = {{"stem", {stem.make("stem")}},
                            {"branches", {left.make("left"), right.make("right")}},
                            {"merge", {merge.make("merge")}}};
  std::vector<float> expect(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = 2 * x0[i] + c0[i];
    expect[i] = 2 * (3 * v + x0[i]) + (-v + c0[i]);
  }
  auto result = [&](const spk::cl::collaborative_plan& p) {
    const std::vector<float> nan(n, NAN);
    for (::cl::Buffer* buf : {&s1, &a, &b, &y})
      ctx->queue().enqueueWriteBuffer(*buf, CL_TRUE, 0, n * sizeof(float), nan.data());
    spk::cl::run_graph(*ctx, g, p);
    std::vector<float> out(n);
    spk::cl::download(*ctx, y, out.data(), n);
    return out;
  };
  const std::vector<float> sequential = result(spk::cl::device_only_plan(g));
  CHECK(sequential == expect);
  for (int mask = 0; mask < 4; ++mask) {
    spk::cl::collaborative_plan p = spk::cl::device_only_plan(g);
    p.on_host[1] = {bool(mask & 1), bool(mask & 2)};
    p.on_host[0] = {mask == 3};  // a host stem too, once
    CAPTURE(mask);
    CHECK(result(p) == sequential);
  }
  const spk::cl::collaborative_plan planned = spk::cl::plan_graph(*ctx, g, 2);
  REQUIRE(planned.profiled.size() == 3);
  CHECK(planned.on_host[0] == std::vector<bool>{false});  // single-branch stages stay
  CHECK(planned.on_host[2] == std::vector<bool>{false});
  CHECK(planned.on_host[1] == place_branches(planned.profiled[1]));
  CHECK(result(planned) == sequential);

  spk::cl::collaborative_plan bad = spk::cl::device_only_plan(g);
  bad.on_host[1].pop_back();
  SPK_CHECK_ERROR(spk::cl::run_graph(*ctx, g, bad), spk::errc::shape_mismatch, "plan.on_host[1]");
  spk::cl::stage_graph missing = {{"s", {spk::cl::branch{"empty", {}, {}, {}, {}}}}};
  SPK_CHECK_ERROR(spk::cl::run_graph(*ctx, missing, spk::cl::device_only_plan(missing)),
                  spk::errc::invalid_argument, "branch 'empty'");
}
