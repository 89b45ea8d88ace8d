// SPDX-License-Identifier: Apache-2.0
// OpenCL host runtime: device selection (SPK_CL_DEVICE), a context + profiling queue wrapper, and
// the process-wide program cache keyed by (context, device, source hash, defines, options).
// Every OpenCL failure surfaces as spk::error (errc::opencl; errc::unsupported: no device).
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "spk/cl/opencl.hpp"
#include "spk/core/config.hpp"
#include "spk/core/error.hpp"

SPK_BEGIN_NAMESPACE
// Inside spk::cl the name `cl` means spk::cl: the Khronos bindings are always spelled ::cl::.
namespace cl {

/// Symbolic name of an OpenCL status code ("CL_OUT_OF_RESOURCES"), or "unknown status".
inline const char* status_name(cl_int status) noexcept {
#define SPK_CL_STATUS_(code) \
  { code, #code }
  struct entry {
    cl_int code;
    const char* name;
  };
  static constexpr entry table[] = {
      SPK_CL_STATUS_(CL_SUCCESS),
      SPK_CL_STATUS_(CL_DEVICE_NOT_FOUND),
      SPK_CL_STATUS_(CL_DEVICE_NOT_AVAILABLE),
      SPK_CL_STATUS_(CL_COMPILER_NOT_AVAILABLE),
      SPK_CL_STATUS_(CL_MEM_OBJECT_ALLOCATION_FAILURE),
      SPK_CL_STATUS_(CL_OUT_OF_RESOURCES),
      SPK_CL_STATUS_(CL_OUT_OF_HOST_MEMORY),
      SPK_CL_STATUS_(CL_BUILD_PROGRAM_FAILURE),
      SPK_CL_STATUS_(CL_MISALIGNED_SUB_BUFFER_OFFSET),
      SPK_CL_STATUS_(CL_INVALID_VALUE),
      SPK_CL_STATUS_(CL_INVALID_PLATFORM),
      SPK_CL_STATUS_(CL_INVALID_DEVICE),
      SPK_CL_STATUS_(CL_INVALID_CONTEXT),
      SPK_CL_STATUS_(CL_INVALID_QUEUE_PROPERTIES),
      SPK_CL_STATUS_(CL_INVALID_COMMAND_QUEUE),
      SPK_CL_STATUS_(CL_INVALID_HOST_PTR),
      SPK_CL_STATUS_(CL_INVALID_MEM_OBJECT),
      SPK_CL_STATUS_(CL_INVALID_BUILD_OPTIONS),
      SPK_CL_STATUS_(CL_INVALID_PROGRAM),
      SPK_CL_STATUS_(CL_INVALID_PROGRAM_EXECUTABLE),
      SPK_CL_STATUS_(CL_INVALID_KERNEL_NAME),
      SPK_CL_STATUS_(CL_INVALID_KERNEL),
      SPK_CL_STATUS_(CL_INVALID_ARG_INDEX),
      SPK_CL_STATUS_(CL_INVALID_ARG_VALUE),
      SPK_CL_STATUS_(CL_INVALID_ARG_SIZE),
      SPK_CL_STATUS_(CL_INVALID_KERNEL_ARGS),
      SPK_CL_STATUS_(CL_INVALID_WORK_DIMENSION),
      SPK_CL_STATUS_(CL_INVALID_WORK_GROUP_SIZE),
      SPK_CL_STATUS_(CL_INVALID_WORK_ITEM_SIZE),
      SPK_CL_STATUS_(CL_INVALID_GLOBAL_OFFSET),
      SPK_CL_STATUS_(CL_INVALID_EVENT_WAIT_LIST),
      SPK_CL_STATUS_(CL_INVALID_EVENT),
      SPK_CL_STATUS_(CL_INVALID_OPERATION),
      SPK_CL_STATUS_(CL_INVALID_BUFFER_SIZE),
      SPK_CL_STATUS_(CL_INVALID_GLOBAL_WORK_SIZE),
      {-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
  };
#undef SPK_CL_STATUS_
  for (const entry& e : table)
    if (e.code == status) return e.name;
  return "unknown status";
}

namespace detail {

/// Raises errc::opencl: "spk::cl: <what> failed: CL status <n> (<name>)[: <extra>]".
[[noreturn]] inline void raise_status(std::string_view what, cl_int status,
                                      std::string_view extra = {}) {
  std::ostringstream os;
  os << "spk::cl: " << what << " failed: CL status " << status << " (" << status_name(status)
     << ")";
  if (!extra.empty()) os << ": " << extra;
  raise(errc::opencl, os.str());
}

/// Runs `f`, turning a ::cl::Error thrown by the bindings into spk::error(errc::opencl).
template <class F>
decltype(auto) translate(std::string_view what, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const ::cl::Error& e) {
    raise_status(what, e.err(), e.what() ? e.what() : "");
  }
}

inline std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

/// Every platform's devices; a platform whose device query fails contributes none.
/// Raises errc::unsupported when there is no platform at all.
inline std::vector<std::vector<::cl::Device>> all_devices() {
  std::vector<::cl::Platform> platforms;
  try {
    ::cl::Platform::get(&platforms);
  } catch (const ::cl::Error& e) {
    // ocl-icd reports "no ICD installed" as CL_PLATFORM_NOT_FOUND_KHR (-1001).
    raise(errc::unsupported, std::string("spk::cl: no OpenCL platform found (CL status ") +
                                 std::to_string(e.err()) + " " + status_name(e.err()) + ")");
  }
  if (platforms.empty()) raise(errc::unsupported, "spk::cl: no OpenCL platform found");
  std::vector<std::vector<::cl::Device>> out(platforms.size());
  for (std::size_t p = 0; p < platforms.size(); ++p) {
    try {
      platforms[p].getDevices(CL_DEVICE_TYPE_ALL, &out[p]);
    } catch (const ::cl::Error&) {
      out[p].clear();
    }
  }
  return out;
}

/// "p:d name" per device, one per line, for error messages.
inline std::string list_devices(const std::vector<std::vector<::cl::Device>>& devs) {
  std::ostringstream os;
  for (std::size_t p = 0; p < devs.size(); ++p)
    for (std::size_t d = 0; d < devs[p].size(); ++d)
      os << "\n  " << p << ":" << d << " " << devs[p][d].getInfo<CL_DEVICE_NAME>();
  std::string s = os.str();
  return s.empty() ? std::string("\n  (none)") : s;
}

inline bool parse_index_pair(std::string_view s, std::size_t& p, std::size_t& d) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  auto digits = [](std::string_view t, std::size_t& v) {
    v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    return !t.empty();
  };
  return digits(s.substr(0, colon), p) && digits(s.substr(colon + 1), d);
}

}  // namespace detail

/// Picks a device. `spec` = "P:D" (platform and device indices), or a case-insensitive
/// substring of the device name, or empty for the default rule: the first GPU of any platform,
/// else the first CPU device, else the first device. Raises errc::unsupported if nothing fits.
inline ::cl::Device select_device(std::string_view spec) {
  const auto devs = detail::all_devices();
  if (!spec.empty()) {
    std::size_t p = 0, d = 0;
    if (detail::parse_index_pair(spec, p, d)) {
      if (p < devs.size() && d < devs[p].size()) return devs[p][d];
    } else {
      const std::string needle = detail::lower(spec);
      for (const auto& plat : devs)
        for (const auto& dev : plat)
          if (detail::lower(dev.getInfo<CL_DEVICE_NAME>()).find(needle) != std::string::npos)
            return dev;
    }
    raise(errc::unsupported, "spk::cl: no OpenCL device matches SPK_CL_DEVICE='" +
                                 std::string(spec) +
                                 "'; available devices:" + detail::list_devices(devs));
  }
  for (cl_device_type want : {cl_device_type(CL_DEVICE_TYPE_GPU),
                              cl_device_type(CL_DEVICE_TYPE_CPU), cl_device_type(~0ull)})
    for (const auto& plat : devs)
      for (const auto& dev : plat)
        if (dev.getInfo<CL_DEVICE_TYPE>() & want) return dev;
  raise(errc::unsupported, "spk::cl: OpenCL platforms exist but expose no device");
}

/// Picks the device named by the environment variable SPK_CL_DEVICE ("P:D" or a name
/// substring), or by the default rule (first GPU, else first CPU) when it is unset or empty.
inline ::cl::Device select_device() {
  const char* env = std::getenv("SPK_CL_DEVICE");
  return select_device(env ? std::string_view(env) : std::string_view());
}

/// One device, its context and an in-order command queue with profiling enabled.
/// Cheap to copy (the members are reference-counted OpenCL handles).
class context {
 public:
  /// Uses select_device(): SPK_CL_DEVICE, else the first GPU, else the first CPU device.
  context() : context(select_device()) {}

  /// Uses the given device.
  explicit context(const ::cl::Device& device) : device_(device) {
    detail::translate("creating an OpenCL context", [&] {
      context_ = ::cl::Context(device_);
      queue_ = ::cl::CommandQueue(context_, device_, CL_QUEUE_PROFILING_ENABLE);
    });
  }

  /// The underlying ::cl::Context.
  const ::cl::Context& get() const noexcept { return context_; }
  /// The device every program of this context is built for.
  const ::cl::Device& device() const noexcept { return device_; }
  /// The in-order, profiling-enabled queue.
  const ::cl::CommandQueue& queue() const noexcept { return queue_; }

  /// CL_DEVICE_NAME of the device ("pthread-skylake-avx512-..." under PoCL).
  std::string device_name() const {
    return detail::translate("clGetDeviceInfo(CL_DEVICE_NAME)",
                             [&] { return device_.getInfo<CL_DEVICE_NAME>(); });
  }

  /// Blocks until every command enqueued so far has completed.
  void finish() const {
    detail::translate("clFinish", [&] { queue_.finish(); });
  }

 private:
  ::cl::Device device_;
  ::cl::Context context_;
  ::cl::CommandQueue queue_;
};

/// Compile-time specialisation: each (name, value) becomes "#define name value" ahead of the
/// source, overriding the file's `#ifndef NAME / #define NAME default` tunables.
using define_list = std::vector<std::pair<std::string, std::string>>;

/// The "#define NAME VALUE\n" lines for `defines`, in the given order.
inline std::string defines_text(const define_list& defines) {
  std::string s;
  for (const auto& [name, value] : defines) s += "#define " + name + " " + value + "\n";
  return s;
}

/// Builds `source` for ctx.device() with "-cl-std=CL1.2" plus `options`, after prepending
/// `defines` (and a #line 1, so the build log's line numbers match the .cl file). Not cached.
/// A failed build raises errc::opencl whose message carries the full build log.
inline ::cl::Program build_program(const context& ctx, std::string_view source,
                                   const define_list& defines = {}, std::string_view options = {}) {
  const std::string full = defines_text(defines) + "#line 1\n" + std::string(source);
  std::string opts = "-cl-std=CL1.2";
  if (!options.empty()) opts += " " + std::string(options);
  ::cl::Program program = detail::translate("clCreateProgramWithSource",
                                            [&] { return ::cl::Program(ctx.get(), full); });
  try {
    program.build(std::vector<::cl::Device>{ctx.device()}, opts.c_str());
  } catch (const ::cl::Error& e) {
    std::string log;
    try {
      log = program.getBuildInfo<CL_PROGRAM_BUILD_LOG>(ctx.device());
    } catch (const ::cl::Error&) {
      log = "(build log unavailable)";
    }
    std::ostringstream os;
    os << "building an OpenCL program for '" << ctx.device_name() << "' with options '" << opts
       << "' and defines {" << defines_text(defines) << "}";
    detail::raise_status(os.str(), e.err(), "build log:\n" + log);
  }
  return program;
}

/// Built programs keyed by (context, device, hash and length of the source, defines text,
/// options). Thread-safe: one mutex, held across a build so a program is built only once.
/// A cached program retains its context, so a context handle in a key can't be reused by a
/// new context while the entry lives.
class program_cache {
 public:
  /// The cached program for these inputs, building it on first use (see build_program()).
  ::cl::Program get(const context& ctx, std::string_view source, const define_list& defines = {},
                    std::string_view options = {}) {
    key k{ctx.get()(),   ctx.device()(),        std::hash<std::string_view>{}(source),
          source.size(), defines_text(defines), std::string(options)};
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = programs_.find(k);
    if (it != programs_.end()) return it->second;
    ::cl::Program program = build_program(ctx, source, defines, options);
    programs_.emplace(std::move(k), program);
    return program;
  }

  /// Number of cached programs.
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return programs_.size();
  }

  /// Drops every cached program (kernels and buffers already created stay valid).
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    programs_.clear();
  }

 private:
  struct key {
    cl_context context;
    cl_device_id device;
    std::size_t source_hash;
    std::size_t source_size;
    std::string defines;
    std::string options;
    bool operator<(const key& o) const {
      return std::tie(context, device, source_hash, source_size, defines, options) <
             std::tie(o.context, o.device, o.source_hash, o.source_size, o.defines, o.options);
    }
  };
  mutable std::mutex mutex_;
  std::map<key, ::cl::Program> programs_;
};

/// The process-wide program cache. Deliberately never destroyed: releasing OpenCL objects
/// from a static destructor can run after the driver has shut down.
inline program_cache& default_program_cache() {
  static program_cache* cache = new program_cache();
  return *cache;
}

/// default_program_cache().get(...): the usual way kernels obtain their program.
inline ::cl::Program get_program(const context& ctx, std::string_view source,
                                 const define_list& defines = {}, std::string_view options = {}) {
  return default_program_cache().get(ctx, source, defines, options);
}

/// A device buffer of `bytes` bytes (a size_t, never an int: pitfall P6). With `host` and
/// CL_MEM_COPY_HOST_PTR in `flags`, the buffer starts as a copy of host memory.
inline ::cl::Buffer make_buffer(const context& ctx, cl_mem_flags flags, std::size_t bytes,
                                void* host = nullptr) {
  return detail::translate("clCreateBuffer",
                           [&] { return ::cl::Buffer(ctx.get(), flags, bytes, host); });
}

}  // namespace cl
SPK_END_NAMESPACE
