// SPDX-License-Identifier: Apache-2.0
// OpenCL y = a * x + y (kernels_cl/axpy.cl): the smallest user of the embedded sources, the
// #define specialisation and the program cache. Buffer-level and host-memory entry points.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "spk/cl/kernels_generated.hpp"
#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// Work-items per group: fixed, so PoCL compiles one work-group function per WPT instead of one
/// per problem size (it compiles again for every new local size, pitfall P7).
inline constexpr std::size_t axpy_local_size = 64;

/// Enqueues y[i] = a * x[i] + y[i] for i < n on ctx.queue() and returns the kernel's event.
/// x and y hold at least n floats and must not overlap; `wpt` (1..64) is the elements per
/// work-item, compiled in as WPT (each value is its own cached program).
inline ::cl::Event axpy(const context& ctx, float a, const ::cl::Buffer& x, const ::cl::Buffer& y,
                        std::size_t n, int wpt = 4) {
  constexpr const char* where = "spk::cl::axpy";
  require(wpt >= 1 && wpt <= 64, where, "wpt", wpt, "in [1, 64]");
  require(n <= 0x7fffffffu, where, "n", n, "at most 2^31 - 1 (32-bit kernel indices)");
  const std::size_t bytes = n * sizeof(float);
  const auto x_bytes =
      detail::translate("clGetMemObjectInfo", [&] { return x.getInfo<CL_MEM_SIZE>(); });
  const auto y_bytes =
      detail::translate("clGetMemObjectInfo", [&] { return y.getInfo<CL_MEM_SIZE>(); });
  require(x_bytes >= bytes, where, "x (bytes)", x_bytes, "at least n * 4 bytes",
          errc::shape_mismatch);
  require(y_bytes >= bytes, where, "y (bytes)", y_bytes, "at least n * 4 bytes",
          errc::shape_mismatch);
  if (n == 0) return ::cl::Event();

  static const std::string source = kernel_source("axpy");
  ::cl::Program program = get_program(ctx, source, {{"WPT", std::to_string(wpt)}});
  return detail::translate("enqueueing axpy", [&] {
    ::cl::Kernel kernel(program, "axpy");
    const std::size_t max_wg = kernel.getWorkGroupInfo<CL_KERNEL_WORK_GROUP_SIZE>(ctx.device());
    const std::size_t local = std::min(axpy_local_size, std::max<std::size_t>(1, max_wg));
    const std::size_t per_group = local * static_cast<std::size_t>(wpt);
    const std::size_t groups = (n + per_group - 1) / per_group;
    kernel.setArg(0, static_cast<cl_uint>(n));
    kernel.setArg(1, a);
    kernel.setArg(2, x);
    kernel.setArg(3, y);
    ::cl::Event event;
    ctx.queue().enqueueNDRangeKernel(kernel, ::cl::NullRange, ::cl::NDRange(groups * local),
                                     ::cl::NDRange(local), nullptr, &event);
    return event;
  });
}

/// Host-memory convenience: copies x and y to the device, runs axpy, copies y back (blocking).
inline void axpy(const context& ctx, float a, const float* x, float* y, std::size_t n,
                 int wpt = 4) {
  if (n == 0) return;
  require(x != nullptr, "spk::cl::axpy", "x", "nullptr", "a pointer to n floats");
  require(y != nullptr, "spk::cl::axpy", "y", "nullptr", "a pointer to n floats");
  const std::size_t bytes = n * sizeof(float);
  ::cl::Buffer bx = make_buffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                                const_cast<float*>(x));  // COPY_HOST_PTR only reads
  ::cl::Buffer by = make_buffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, y);
  ::cl::Event done = axpy(ctx, a, bx, by, n, wpt);
  detail::translate("reading back axpy's result", [&] {
    std::vector<::cl::Event> deps{done};
    ctx.queue().enqueueReadBuffer(by, CL_TRUE, 0, bytes, y, &deps);
  });
}

}  // namespace cl
SPK_END_NAMESPACE
