// SPDX-License-Identifier: Apache-2.0
// What a benchmark result was measured on: compiler, SIMD arch spk compiled for, CPU model,
// oneDNN version and date. Printed in every report header and stored in the JSON.
#pragma once

#include <ctime>
#include <fstream>
#include <string>

#include "spk/core/arch.hpp"

namespace spk_bench {

/// e.g. "g++ 12.2.0" or "clang++ Debian Clang 14.0.6".
inline std::string compiler_string() {
#if defined(__clang__)
  return std::string("clang++ ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown compiler";
#endif
}

/// The "model name" line of /proc/cpuinfo, or "unknown CPU".
inline std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto p = line.find(':');
      if (p != std::string::npos) return line.substr(line.find_first_not_of(' ', p + 1));
    }
  return "unknown CPU";
}

/// Local date and time, "YYYY-MM-DD HH:MM".
inline std::string now_string() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&t));
  return buf;
}

inline std::string arch_string() { return spk::arch_name(); }

}  // namespace spk_bench
