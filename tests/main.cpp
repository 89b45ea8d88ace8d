// SPDX-License-Identifier: Apache-2.0
// doctest main shared by every spk test executable: prints the ISA this executable was built
// for, the xsimd arch in use and the test seed (SPK_TEST_SEED), then runs doctest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <xsimd/xsimd.hpp>

#if __has_include("harness.hpp")
#include "harness.hpp"
#define SPK_TEST_HAVE_HARNESS 1
#endif

#ifndef SPK_TEST_ISA
#define SPK_TEST_ISA "default"
#endif

int main(int argc, char** argv) {
#ifdef SPK_TEST_HAVE_HARNESS
  const std::uint64_t seed = spk_test::base_seed();
#else
  const char* env = std::getenv("SPK_TEST_SEED");
  const std::uint64_t seed = env ? std::strtoull(env, nullptr, 10) : 0;
#endif
  std::printf("spk tests: isa=%s xsimd::default_arch=%s seed=%llu (set SPK_TEST_SEED to change)\n",
              SPK_TEST_ISA, xsimd::default_arch::name(), static_cast<unsigned long long>(seed));
  std::fflush(stdout);

  doctest::Context context;
  context.setOption("rand-seed", static_cast<int>(seed & 0x7fffffff));  // for --order-by=rand
  context.applyCommandLine(argc, argv);
  return context.run();
}
