// SPDX-License-Identifier: Apache-2.0
// Shared by the OpenCL test files: the default context or a clean skip when this machine has no
// OpenCL device (a device requested through SPK_CL_DEVICE but absent is a failure, not a skip).
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "spk/cl/runtime.hpp"

namespace spk_cl_test {

inline std::optional<spk::cl::context> context_or_skip() {
  try {
    return spk::cl::context();
  } catch (const spk::error& e) {
    const char* requested = std::getenv("SPK_CL_DEVICE");
    if (e.code() != spk::errc::unsupported || (requested && *requested)) throw;
    MESSAGE("SKIPPED: no usable OpenCL platform/device here: " << std::string(e.what()));
    return std::nullopt;
  }
}

}  // namespace spk_cl_test
