// SPDX-License-Identifier: Apache-2.0
// The fused activations: vector forms (this executable's ISA) against the double references,
// over every region (Mish's overflow clamp at 20, its x << 0 tail, exact zero). The fused
// epilogues themselves are checked through the conv kernels that use them.
#include <cmath>
#include <limits>
#include <vector>

#include "harness.hpp"
#include "spk/core/arch.hpp"
#include "spk/kernels/activation.hpp"

using namespace spk;
using namespace spk::kernels;

TEST_CASE("vector activations match the double references") {
  using vec = xsimd::batch<float, default_arch>;
  constexpr index_t L = index_t(vec::size);
  std::vector<float> xs;
  for (int i = -4000; i <= 4000; ++i) xs.push_back(float(i) * 0.01f);  // [-40, 40]
  for (float x : {-1e30f, -80.f, -1e-30f, 0.f, 1e-30f, 19.99f, 20.f, 20.01f, 88.f, 1e30f}) xs.push_back(x);
  while (index_t(xs.size()) % L) xs.push_back(0.f);
  const double eps = std::numeric_limits<float>::epsilon();
  for (const activation a : {activation::none(), activation::relu(), activation::leaky_relu(0.1f), activation::mish()}) {
    CAPTURE(to_string(a.kind));
    index_t bad = 0;
    double worst = 0;
    for (std::size_t i = 0; i < xs.size(); i += std::size_t(L)) {
      alignas(64) float y[64];
      apply_vec<default_arch>(a, vec::load_unaligned(xs.data() + i)).store_aligned(y);
      for (index_t l = 0; l < L; ++l) {
        const double x = xs[i + std::size_t(l)], want = apply_ref(a, x);
        const double err = std::fabs(double(y[l]) - want);
        // Mish: exp, one multiply-add chain and a division, each within an ulp or two.
        const double tol = (a.kind == act_kind::mish ? 8 : 1) * eps * std::fabs(want) + 1e-37;
        worst = std::max(worst, err / (std::fabs(want) + 1e-30));
        if (!(err <= tol)) ++bad;
      }
    }
    CHECK_MESSAGE(bad == 0, "worst relative error " << worst);
  }
  CHECK(apply_ref(activation::mish(), 0.0) == 0.0);
  CHECK(std::fabs(apply_ref(activation::mish(), 1.0) - 0.8650983882673103) < 1e-15);
  CHECK(apply_ref(activation::mish(), -1e300) == 0.0);
}
