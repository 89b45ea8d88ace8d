// SPDX-License-Identifier: Apache-2.0
// OpenCL buffer helpers shared by every kernel family's host side: upload a host array once,
// read results back, check a buffer's size, and read a kernel's time from its profiling event.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE
namespace cl {

/// A read-only device copy of n elements at `host` (n == 0 gives a 1-element dummy buffer,
/// since OpenCL refuses zero-sized buffers; kernels never read it).
template <class T>
::cl::Buffer upload(const context& ctx, const T* host, std::size_t n,
                    cl_mem_flags flags = CL_MEM_READ_ONLY) {
  if (n == 0) return make_buffer(ctx, flags, sizeof(T));
  require(host != nullptr, "spk::cl::upload", "host", "nullptr", "a pointer to n elements");
  // COPY_HOST_PTR only reads the host memory.
  return make_buffer(ctx, flags | CL_MEM_COPY_HOST_PTR, n * sizeof(T), const_cast<T*>(host));
}

template <class T>
::cl::Buffer upload(const context& ctx, const std::vector<T>& host,
                    cl_mem_flags flags = CL_MEM_READ_ONLY) {
  return upload(ctx, host.data(), host.size(), flags);
}

/// An uninitialised read-write device buffer of n elements (at least one).
template <class T>
::cl::Buffer device_buffer(const context& ctx, std::size_t n) {
  return make_buffer(ctx, CL_MEM_READ_WRITE, (n ? n : 1) * sizeof(T));
}

/// Blocking read of n elements from `buf` (after `wait`, if given) into host memory.
template <class T>
void download(const context& ctx, const ::cl::Buffer& buf, T* host, std::size_t n,
              const ::cl::Event* wait = nullptr) {
  if (n == 0) return;
  detail::translate("clEnqueueReadBuffer", [&] {
    std::vector<::cl::Event> deps;
    if (wait != nullptr && (*wait)() != nullptr) deps.push_back(*wait);
    ctx.queue().enqueueReadBuffer(buf, CL_TRUE, 0, n * sizeof(T), host,
                                  deps.empty() ? nullptr : &deps);
  });
}

/// Raises errc::shape_mismatch unless `buf` holds at least n elements of T.
template <class T>
void require_elements(const ::cl::Buffer& buf, std::size_t n, const char* where, const char* arg) {
  const std::size_t bytes =
      detail::translate("clGetMemObjectInfo", [&] { return buf.getInfo<CL_MEM_SIZE>(); });
  require(bytes >= n * sizeof(T), where, std::string(arg) + " (bytes)", bytes,
          "at least " + std::to_string(n * sizeof(T)) + " bytes", errc::shape_mismatch);
}

/// Seconds between CL_PROFILING_COMMAND_START and _END of a completed event (the queue is
/// created with profiling enabled). Waits for the event first.
inline double event_seconds(const ::cl::Event& ev) {
  return detail::translate("reading profiling info", [&] {
    ev.wait();
    const cl_ulong t0 = ev.getProfilingInfo<CL_PROFILING_COMMAND_START>();
    const cl_ulong t1 = ev.getProfilingInfo<CL_PROFILING_COMMAND_END>();
    return double(t1 - t0) * 1e-9;
  });
}

}  // namespace cl
SPK_END_NAMESPACE
