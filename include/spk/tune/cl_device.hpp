// SPDX-License-Identifier: Apache-2.0
// Tune-table device ids of OpenCL devices ("cl:<normalised CL_DEVICE_NAME>", with "cl:pocl-cpu"
// as the fallback id of every PoCL CPU device) and cl_params_for<P>(), the lookup the OpenCL
// enqueue functions make when the caller passes no explicit tile params.
#pragma once

#include <string>
#include <string_view>

#include "spk/cl/runtime.hpp"
#include "spk/tune/active.hpp"

SPK_BEGIN_NAMESPACE
namespace tune {

/// The device id of an OpenCL device name: "cl:" + the name lowercased, each run of characters
/// outside [a-z0-9._+] replaced by one '-', leading and trailing '-' dropped, at most 120
/// characters ("unknown" when nothing is left). PoCL's "pthread-skylake-avx512-AMD EPYC" ->
/// "cl:pthread-skylake-avx512-amd-epyc". Stable across runs and valid in a table's device column.
inline std::string cl_device_id(std::string_view device_name) {
  std::string s;
  bool dash = false;
  for (char c : device_name) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+';
    if (keep) {
      if (dash && !s.empty()) s += '-';
      s += c, dash = false;
    } else {
      dash = true;
    }
    if (s.size() >= 120) break;
  }
  return "cl:" + (s.empty() ? std::string("unknown") : s);
}

/// Fallback id of PoCL's CPU device (any host CPU): the compiled-in PoCL rows use it, so a
/// machine whose exact id has no rows still gets the PoCL-tuned choices.
inline constexpr std::string_view pocl_cpu_device = "cl:pocl-cpu";

/// The ids a lookup for `dev` tries, exact first: {exact, fallback} (fallback empty when the
/// device is not PoCL on a CPU). Queried from the driver per call (two clGetDeviceInfo).
struct cl_device_ids {
  std::string exact, fallback;
};
inline cl_device_ids cl_ids_of(const ::cl::Device& dev) {
  cl_device_ids ids;
  std::string name, platform_name;
  cl_device_type type = 0;
  try {
    name = dev.getInfo<CL_DEVICE_NAME>();
    type = dev.getInfo<CL_DEVICE_TYPE>();
    ::cl::Platform pf(dev.getInfo<CL_DEVICE_PLATFORM>());
    platform_name = pf.getInfo<CL_PLATFORM_NAME>();
  } catch (const ::cl::Error&) {  // an unqueryable device: no table rows apply
  }
  while (!name.empty() && name.back() == '\0') name.pop_back();
  ids.exact = cl_device_id(name);
  if ((type & CL_DEVICE_TYPE_CPU) && platform_name.find("Portable Computing Language") == 0)
    ids.fallback = std::string(pocl_cpu_device);
  return ids;
}

/// Params of family P (cl_kgs_params, cl_fkw_params, cl_params) for one OpenCL call: the
/// active table's lookup of (exact id, kernel, shape_of(), density) when the table has rows for
/// that id and kernel, else of (fallback id, ...), else P{} (all 0 = the kernel's defaults).
/// `density` is a density class or any_density. shape_of runs only when rows exist.
template <class P, class ShapeFn>
P cl_params_for(const cl_device_ids& ids, std::string_view kernel, const ShapeFn& shape_of,
                int density, lookup_result* how = nullptr) {
  const auto t = active_table();
  for (const std::string* id : {&ids.exact, &ids.fallback}) {
    if (id->empty() || !t->has(*id, kernel)) continue;
    const lookup_result r = t->lookup(*id, kernel, shape_of(), density);
    if (how) *how = r;
    return param_traits<P>::from(r.values);
  }
  if (how) *how = {};
  return P{};
}

}  // namespace tune
SPK_END_NAMESPACE
