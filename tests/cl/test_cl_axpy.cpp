// SPDX-License-Identifier: Apache-2.0
// OpenCL runtime and axpy on whatever device is present (PoCL in CI): exact results on
// small-integer data, the program cache's keying, build-log errors, device selection.
// Without any OpenCL platform/device the cases print a skip message and pass.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cl_test_util.hpp"
#include "spk/cl/axpy.hpp"
#include "spk/cl/kernels_generated.hpp"
#include "spk/cl/runtime.hpp"

namespace {

using spk_cl_test::context_or_skip;

/// Small integers in [-8, 8]: every a*x+y below is exact in fp32, whatever the rounding path.
std::vector<float> small_ints(std::size_t n, int salt) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(static_cast<int>((i * 7 + static_cast<std::size_t>(salt) * 13) % 17) -
                              8);
  return v;
}

struct env_guard {
  const char* name;
  std::optional<std::string> old;
  env_guard(const char* n, const char* value) : name(n) {
    if (const char* o = std::getenv(n)) old = o;
    ::setenv(n, value, 1);
  }
  ~env_guard() {
    if (old)
      ::setenv(name, old->c_str(), 1);
    else
      ::unsetenv(name);
  }
};

}  // namespace

TEST_CASE("cl_kernel_source: axpy is embedded") {
  CHECK(spk::cl::has_kernel_source("axpy"));
  const std::string src = spk::cl::kernel_source("axpy");
  CHECK(src.find("__kernel void axpy") != std::string::npos);
  CHECK(src.find("#ifndef WPT") != std::string::npos);
  CHECK_FALSE(spk::cl::has_kernel_source("no_such_kernel"));
  CHECK_THROWS_AS(spk::cl::kernel_source("no_such_kernel"), spk::error);
}

TEST_CASE("cl_errors: cl::Error becomes spk::error with the status") {
  bool thrown = false;
  try {
    spk::cl::detail::translate("enqueueing test_kernel", [] {
      throw cl::Error(CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel");
    });
  } catch (const spk::error& e) {
    thrown = true;
    const std::string msg = e.what();
    CHECK(e.code() == spk::errc::opencl);
    CHECK_MESSAGE(msg.find("enqueueing test_kernel") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("-5") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("CL_OUT_OF_RESOURCES") != std::string::npos, msg);
  }
  CHECK(thrown);
  CHECK(std::string(spk::cl::status_name(CL_BUILD_PROGRAM_FAILURE)) == "CL_BUILD_PROGRAM_FAILURE");
  CHECK(std::string(spk::cl::status_name(-12345)) == "unknown status");
}

TEST_CASE("axpy_cl: exact on small integers") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  MESSAGE("OpenCL device: " << ctx->device_name());
  const float a = 3.f;
  for (int wpt : {1, 4, 7}) {
    for (std::size_t n :
         {std::size_t{1}, std::size_t{3}, std::size_t{63}, std::size_t{64}, std::size_t{65},
          std::size_t{257}, std::size_t{1000}, std::size_t{4099}}) {
      CAPTURE(wpt);
      CAPTURE(n);
      const std::vector<float> x = small_ints(n, 1);
      std::vector<float> y = small_ints(n, 2);
      std::vector<float> want(n);
      for (std::size_t i = 0; i < n; ++i) want[i] = a * x[i] + y[i];
      spk::cl::axpy(*ctx, a, x.data(), y.data(), n, wpt);
      std::size_t bad = 0, nonzero = 0;
      for (std::size_t i = 0; i < n; ++i) {
        bad += y[i] != want[i];
        nonzero += want[i] != 0.f;
      }
      CHECK(bad == 0);
      CHECK(nonzero > 0);
    }
  }
  // n = 0 is a no-op; a bad tunable is an argument error, not an OpenCL one.
  spk::cl::axpy(*ctx, a, nullptr, nullptr, 0);
  std::vector<float> x(4, 1.f), y(4, 1.f);
  CHECK_THROWS_AS(spk::cl::axpy(*ctx, a, x.data(), y.data(), 4, 0), spk::error);
}

TEST_CASE("cl_program_cache: keyed by source and defines") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  spk::cl::program_cache cache;
  const std::string src = spk::cl::kernel_source("axpy");
  const cl::Program p4 = cache.get(*ctx, src, {{"WPT", "4"}});
  const cl::Program p4again = cache.get(*ctx, src, {{"WPT", "4"}});
  const cl::Program p2 = cache.get(*ctx, src, {{"WPT", "2"}});
  CHECK(p4() == p4again());
  CHECK(p4() != p2());
  CHECK(cache.size() == 2);
  const cl::Program other = cache.get(*ctx, src + "\n// another source\n", {{"WPT", "4"}});
  CHECK(other() != p4());
  CHECK(cache.size() == 3);
  // The process-wide cache serves axpy: the same defines twice add one entry at most.
  spk::cl::get_program(*ctx, src, {{"WPT", "3"}});
  const std::size_t before = spk::cl::default_program_cache().size();
  spk::cl::get_program(*ctx, src, {{"WPT", "3"}});
  CHECK(spk::cl::default_program_cache().size() == before);
  cache.clear();
  CHECK(cache.size() == 0);
}

TEST_CASE("cl_program_cache: concurrent requests build once") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  spk::cl::program_cache cache;
  const std::string src = spk::cl::kernel_source("axpy");
  std::vector<cl_program> got(4, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = cache.get(*ctx, src, {{"WPT", "5"}})(); });
  for (auto& th : threads) th.join();
  CHECK(cache.size() == 1);
  for (cl_program p : got) CHECK(p == got[0]);
}

TEST_CASE("cl_build_program: a broken source raises spk::error with the build log") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  const std::string broken =
      "__kernel void broken(__global float* y) {\n"
      "  y[0] = spk_no_such_identifier + ;\n"
      "}\n";
  bool thrown = false;
  try {
    spk::cl::build_program(*ctx, broken);
  } catch (const spk::error& e) {
    thrown = true;
    const std::string msg = e.what();
    CHECK(e.code() == spk::errc::opencl);
    CHECK_MESSAGE(msg.find("build log") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("CL_BUILD_PROGRAM_FAILURE") != std::string::npos, msg);
    // The compiler's diagnostic (from the log) names the offending identifier.
    CHECK_MESSAGE(msg.find("spk_no_such_identifier") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("error") != std::string::npos, msg);
  }
  CHECK(thrown);
}

TEST_CASE("cl_select_device: SPK_CL_DEVICE") {
  auto ctx = context_or_skip();
  if (!ctx) return;
  {
    env_guard g("SPK_CL_DEVICE", "0:0");
    CHECK_NOTHROW(spk::cl::select_device());
  }
  {
    env_guard g("SPK_CL_DEVICE", "zz-no-such-device-zz");
    try {
      spk::cl::select_device();
      FAIL("expected spk::error");
    } catch (const spk::error& e) {
      CHECK(e.code() == spk::errc::unsupported);
      CHECK(std::string(e.what()).find("available devices") != std::string::npos);
    }
  }
  const std::string name = ctx->device_name();
  CHECK(spk::cl::select_device(name.substr(0, 6)).getInfo<CL_DEVICE_NAME>().substr(0, 6) ==
        name.substr(0, 6));
}
