// SPDX-License-Identifier: Apache-2.0
// Test harness helpers: NaN-prefilled outputs, exact small-integer data, comparison against an
// oracle with a printed reproducer, and the error bound k * eps * sum(|w||x|).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "spk/core/executor.hpp"
#include "spk/core/random.hpp"
#include "spk/core/tensor.hpp"

namespace spk_test {

using spk::index_t;

/// Base seed for every test; override with SPK_TEST_SEED to replay a failure on other data.
inline std::uint64_t base_seed() {
  static const std::uint64_t seed = [] {
    const char* s = std::getenv("SPK_TEST_SEED");
    return s ? std::strtoull(s, nullptr, 10) : std::uint64_t{2080};
  }();
  return seed;
}
/// A per-use seed: base seed mixed with a local salt (so different tensors differ).
inline std::uint64_t seed(std::uint64_t salt) { return base_seed() * 0x9e3779b97f4a7c15ULL + salt; }

inline float nan() { return std::numeric_limits<float>::quiet_NaN(); }

/// The executors every kernel test runs on: serial and, with OpenMP, 2 and 3 threads (3 > the
/// 2 cores: uneven splits).
inline std::vector<spk::executor*> executors() {
  static spk::serial_executor serial;
  std::vector<spk::executor*> v{&serial};
#ifdef _OPENMP
  static spk::openmp_executor two(2), three(3);
  v.push_back(&two), v.push_back(&three);
#endif
  return v;
}

/// Owning tensor pre-filled with NaN, so an element a kernel forgets to write shows up.
template <int R>
spk::tensor<float, R> nan_tensor(const std::array<index_t, R>& dims) {
  return spk::tensor<float, R>(dims, nan());
}
/// Owning tensor of small integers in [lo, hi] (exact fp32 sums).
template <int R>
spk::tensor<float, R> int_tensor(const std::array<index_t, R>& dims, std::uint64_t salt, int lo = -4,
                                 int hi = 4) {
  spk::tensor<float, R> t(dims);
  spk::fill_small_int(t.data(), t.size(), lo, hi, seed(salt));
  return t;
}
/// Owning tensor of uniform floats in [lo, hi).
template <int R>
spk::tensor<float, R> uniform_tensor(const std::array<index_t, R>& dims, std::uint64_t salt,
                                     float lo = -1.f, float hi = 1.f) {
  spk::tensor<float, R> t(dims);
  spk::fill_uniform(t.data(), t.size(), lo, hi, seed(salt));
  return t;
}

/// Result of comparing n values of `got` against `want`.
struct compare_result {
  index_t mismatches = 0, first_bad = -1, nan_count = 0, nonzero = 0;
  double max_abs_err = 0, max_rel_err = 0;
  float first_got = 0, first_want = 0;
  std::string str() const {
    std::ostringstream os;
    os << "mismatches=" << mismatches << " nan=" << nan_count << " first_bad=" << first_bad
       << " (got " << first_got << ", want " << first_want << ") max_abs_err=" << max_abs_err
       << " max_rel_err=" << max_rel_err << " nonzero=" << nonzero << " seed=" << base_seed();
    return os.str();
  }
};

/// Element-wise comparison with tolerance |got - want| <= atol + rtol * |want|; NaN in `got`
/// is always a mismatch (a NaN in `want` must be matched by NaN). atol = rtol = 0: exact.
inline compare_result compare(const float* got, const float* want, index_t n, double atol = 0,
                              double rtol = 0) {
  compare_result r;
  for (index_t i = 0; i < n; ++i) {
    const double g = got[i], w = want[i];
    if (w != 0) ++r.nonzero;
    bool bad;
    if (std::isnan(w)) {
      bad = !std::isnan(g);
    } else if (std::isnan(g)) {
      bad = true, ++r.nan_count;
    } else {
      const double err = std::fabs(g - w);
      r.max_abs_err = std::max(r.max_abs_err, err);
      if (w != 0) r.max_rel_err = std::max(r.max_rel_err, err / std::fabs(w));
      bad = err > atol + rtol * std::fabs(w);
    }
    if (bad) {
      if (r.first_bad < 0) r.first_bad = i, r.first_got = got[i], r.first_want = want[i];
      ++r.mismatches;
    }
  }
  return r;
}

/// Exact equality of two tensors (integer data), and a guard that the oracle is not all zero.
#define SPK_CHECK_EXACT(got, want, n)                                  \
  do {                                                                 \
    auto spk_r_ = ::spk_test::compare((got), (want), (n));             \
    CHECK_MESSAGE(spk_r_.mismatches == 0, spk_r_.str());               \
    CHECK_MESSAGE(spk_r_.nonzero > 0, "oracle output is all zero");    \
  } while (0)

/// Tolerance check against a per-element bound bound[i] = k * eps * sum(|w||x|) computed by
/// the caller with the same loops as the oracle (see abs_oracle in the kernel tests).
inline compare_result compare_bounded(const float* got, const float* want, const float* abs_sum,
                                      index_t n, double k = 8) {
  compare_result r;
  const double eps = std::numeric_limits<float>::epsilon();
  for (index_t i = 0; i < n; ++i) {
    const double g = got[i], w = want[i];
    if (w != 0) ++r.nonzero;
    const double err = std::isnan(g) ? INFINITY : std::fabs(g - w);
    if (std::isnan(g)) ++r.nan_count;
    r.max_abs_err = std::max(r.max_abs_err, err);
    if (w != 0) r.max_rel_err = std::max(r.max_rel_err, err / std::fabs(w));
    if (err > k * eps * abs_sum[i] + std::numeric_limits<float>::min()) {
      if (r.first_bad < 0) r.first_bad = i, r.first_got = got[i], r.first_want = want[i];
      ++r.mismatches;
    }
  }
  return r;
}

/// Checks that `expr` raises spk::error with code `code` and a message containing `needle`.
#define SPK_CHECK_ERROR(expr, errcode, needle)                                               \
  do {                                                                                    \
    bool spk_thrown_ = false;                                                             \
    try {                                                                                 \
      (void)(expr);                                                                       \
    } catch (const spk::error& e) {                                                       \
      spk_thrown_ = true;                                                                 \
      CHECK_MESSAGE(e.code() == (errcode), "code was " << spk::to_string(e.code()) << ": " << e.what()); \
      CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos,              \
                    "message '" << e.what() << "' lacks '" << (needle) << "'");          \
    }                                                                                     \
    CHECK_MESSAGE(spk_thrown_, "expected spk::error from " #expr);                        \
  } while (0)

}  // namespace spk_test
