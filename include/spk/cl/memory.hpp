// SPDX-License-Identifier: Apache-2.0
// OpenCL buffer helpers shared by every kernel family's host side: upload a host array once,
// read results back, check a buffer's size, read a kernel's time from its profiling event, stage
// strided host views, and the growable scratch buffer the pack kernels write.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spk/cl/runtime.hpp"
#include "spk/core/config.hpp"
#include "spk/core/error.hpp"
#include "spk/core/tensor.hpp"

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

/// A device scratch buffer (the pack kernels' target) grown on demand and shared by the copies
/// of its owner. Hold lock() while the commands that use it are enqueued: the in-order queue
/// then runs them before any later user's, so one buffer serves every call without a per-call
/// allocation.
class scratch_buffer {
 public:
  std::mutex& mutex() const noexcept { return st_->m; }
  /// At least `bytes` (never shrunk); call with mutex() held.
  const ::cl::Buffer& get(const context& ctx, std::size_t bytes) const {
    if (bytes > st_->bytes) {
      st_->buf = make_buffer(ctx, CL_MEM_READ_WRITE, bytes);
      st_->bytes = bytes;
    }
    return st_->buf;
  }

 private:
  struct state {
    std::mutex m;
    ::cl::Buffer buf;
    std::size_t bytes = 0;
  };
  std::shared_ptr<state> st_ = std::make_shared<state>();
};

namespace detail {

/// Copies any strided view into a contiguous row-major vector (the host overloads' staging).
template <int R>
std::vector<float> pack(const tensor_view<const float, R>& v) {
  std::vector<float> out(static_cast<std::size_t>(v.size()));
  if (out.empty()) return out;
  std::array<index_t, R> idx{};
  std::size_t i = 0;
  for (;;) {
    index_t off = 0;
    for (int d = 0; d < R; ++d) off += idx[d] * v.stride(d);
    out[i++] = v.data()[off];
    int d = R - 1;
    while (d >= 0 && ++idx[d] == v.dim(d)) idx[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

/// Scatters a contiguous row-major vector into a strided view of the same dims.
template <int R>
void unpack(const std::vector<float>& src, const tensor_view<float, R>& v) {
  if (src.empty()) return;
  std::array<index_t, R> idx{};
  std::size_t i = 0;
  for (;;) {
    index_t off = 0;
    for (int d = 0; d < R; ++d) off += idx[d] * v.stride(d);
    v.data()[off] = src[i++];
    int d = R - 1;
    while (d >= 0 && ++idx[d] == v.dim(d)) idx[d--] = 0;
    if (d < 0) break;
  }
}

}  // namespace detail

}  // namespace cl
SPK_END_NAMESPACE
