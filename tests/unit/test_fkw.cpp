// SPDX-License-Identifier: Apache-2.0
// FKW format: build with/without filter and kernel reordering, to_dense round trips, kept
// zeros, runs, storage against CSR, and malformed arrays -> bad_format.
#include <vector>

#include "harness.hpp"
#include "spk/format/fkw.hpp"
#include "spk/sparsity/connectivity.hpp"

using namespace spk;
using namespace spk::sparsity;
using spk::format::fkw;
using spk::format::fkw_options;
using spk_test::int_tensor;

namespace {

struct pruned_layer {
  tensor<float, 4> w;
  pattern_structure s;
};

pruned_layer make_layer(index_t F, index_t C, index_t keep, std::uint64_t salt) {
  auto dense = int_tensor<4>({F, C, 3, 3}, salt, -4, 4);
  auto lib = extract_library(dense.view(), candidate_library(), 8);
  pruned_layer l{dense, {}};
  l.s = project_pattern_connectivity(dense.view(), lib, keep, connectivity_scope::per_layer,
                                     l.w.view());
  return l;
}

bool equal(const tensor<float, 4>& a, const tensor<float, 4>& b) {
  if (a.dims() != b.dims()) return false;
  for (index_t i = 0; i < a.size(); ++i)
    if (a.data()[i] != b.data()[i]) return false;
  return true;
}

}  // namespace

TEST_CASE("fkw round trips under every reorder option") {
  for (index_t keep : {0, 1, 13, 40, 60}) {
    auto l = make_layer(5, 12, keep, 100 + keep);
    for (bool fr : {false, true})
      for (bool kr : {false, true}) {
        CAPTURE(keep);
        CAPTURE(fr);
        CAPTURE(kr);
        const fkw f = fkw::build(l.w.view(), l.s, fkw_options{fr, kr});
        CHECK(f.kernels() == keep);
        CHECK(f.nnz() == keep * 4);
        CHECK(equal(f.to_dense(), l.w));
        CHECK(f.kernel_sorted() == kr);
        if (!fr)
          for (index_t i = 0; i < 5; ++i) CHECK(f.reorder()[std::size_t(i)] == i);
        // Runs cover every slot once, and a sorted fkw has <= P runs per filter.
        for (index_t i = 0; i < 5; ++i) {
          index_t next = f.offset()[std::size_t(i)], runs = 0;
          f.for_each_run(i, [&](index_t p, index_t b, index_t e) {
            CHECK(b == next);
            CHECK(e > b);
            CHECK(p < f.library().size());
            for (index_t k = b; k < e; ++k)
              CHECK(l.s(f.reorder()[std::size_t(i)], f.index()[std::size_t(k)]) == p);
            next = e, ++runs;
          });
          CHECK(next == f.offset()[std::size_t(i + 1)]);
          if (kr) CHECK(runs <= f.library().size());
        }
        if (fr)  // descending filter length
          for (index_t i = 1; i < 5; ++i)
            CHECK(f.offset()[std::size_t(i + 1)] - f.offset()[std::size_t(i)] <=
                  f.offset()[std::size_t(i)] - f.offset()[std::size_t(i - 1)]);
      }
  }
}

TEST_CASE("fkw keeps exact zeros at kept positions and builds from a library alone") {
  auto l = make_layer(3, 4, 6, 7);
  // Zero one kept weight: the structure still says it is kept.
  const auto wv = l.w.view();
  index_t f0 = -1, c0 = -1;
  for (index_t f = 0; f < 3 && f0 < 0; ++f)
    for (index_t c = 0; c < 4 && f0 < 0; ++c)
      if (l.s(f, c) >= 0) f0 = f, c0 = c;
  REQUIRE(f0 >= 0);
  wv(f0, c0, 1, 1) = 0.f;  // the centre is in every extracted candidate
  const fkw a = fkw::build(l.w.view(), l.s);
  CHECK(a.nnz() == 24);
  CHECK(equal(a.to_dense(), l.w));
  const fkw b = fkw::build(l.w.view(), l.s.library);  // infers patterns; may pick another one
  CHECK(equal(b.to_dense(), l.w));
  CHECK(a.csr_storage_bytes() == 4 * (2 * 24 + 3 + 1));
  // Storage on a real-sized layer: one int32 index per kernel instead of 4 column indices.
  auto big = make_layer(64, 64, 1138, 8);
  const fkw c = fkw::build(big.w.view(), big.s);
  CHECK(c.storage_bytes() < c.csr_storage_bytes());
  CHECK(c.storage_bytes() > 4 * std::size_t(c.nnz()));
}

TEST_CASE("fkw::build rejects weights outside the structure and shape mismatches") {
  auto l = make_layer(3, 4, 5, 9);
  auto w = l.w;
  const auto wv = w.view();
  for (index_t f = 0; f < 3; ++f)
    for (index_t c = 0; c < 4; ++c)
      if (l.s(f, c) < 0) {
        wv(f, c, 0, 0) = 1.f;
        SPK_CHECK_ERROR(fkw::build(w.view(), l.s), errc::invalid_argument, "empty kernel");
        wv(f, c, 0, 0) = 0.f;
        f = 3;
        break;
      }
  // A kernel whose non-zeros match no library pattern: fill all 9 positions.
  for (index_t r = 0; r < 3; ++r)
    for (index_t s = 0; s < 3; ++s) wv(0, 0, r, s) = 1.f;
  SPK_CHECK_ERROR(fkw::build(w.view(), l.s.library), errc::invalid_argument,
                  "inside some library pattern");
  auto small = int_tensor<4>({3, 5, 3, 3}, 1);
  SPK_CHECK_ERROR(fkw::build(small.view(), l.s), errc::shape_mismatch, "weights");
  pattern_structure bad = l.s;
  bad.id[0] = 99;
  SPK_CHECK_ERROR(fkw::build(l.w.view(), bad), errc::out_of_range, "structure.id[0]");
}

TEST_CASE("fkw::validate rejects malformed arrays") {
  auto l = make_layer(3, 4, 7, 11);
  for (bool kr : {true, false}) {
    const fkw good = fkw::build(l.w.view(), l.s, fkw_options{true, kr});
    const auto remake = [&](auto mutate) {
      auto reorder = good.reorder(), offset = good.offset(), index = good.index(),
           stride = good.stride();
      auto kpat = good.kernel_pattern();
      auto weight = good.weight();
      mutate(reorder, offset, index, stride, kpat, weight);
      return fkw(3, 4, good.library(), kr, reorder, offset, index, stride, kpat, weight);
    };
    using V = std::vector<std::int32_t>;
    using B = std::vector<std::uint8_t>;
    using W = std::vector<float>;
    SPK_CHECK_ERROR(remake([](V& r, V&, V&, V&, B&, W&) { r[0] = r[1]; }), errc::bad_format,
                    "reorder[");
    SPK_CHECK_ERROR(remake([](V& r, V&, V&, V&, B&, W&) { r.pop_back(); }), errc::bad_format,
                    "reorder.size()");
    SPK_CHECK_ERROR(remake([](V&, V& o, V&, V&, B&, W&) { o[0] = 1; }), errc::bad_format,
                    "offset[0]");
    SPK_CHECK_ERROR(remake([](V&, V& o, V&, V&, B&, W&) { o[1] = o[2] + 1; }), errc::bad_format,
                    "offset[");
    SPK_CHECK_ERROR(remake([](V&, V& o, V&, V&, B&, W&) { o[3] += 1; }), errc::bad_format,
                    "offset[");
    SPK_CHECK_ERROR(remake([](V&, V&, V& i, V&, B&, W&) { i[0] = 4; }), errc::bad_format,
                    "index[0]");
    SPK_CHECK_ERROR(remake([](V&, V&, V& i, V&, B&, W&) { i[0] = -1; }), errc::bad_format,
                    "index[0]");
    SPK_CHECK_ERROR(remake([](V&, V&, V&, V&, B&, W& w) { w.pop_back(); }), errc::bad_format,
                    "weight.size()");
    if (kr) {
      SPK_CHECK_ERROR(remake([](V&, V&, V&, V& s, B&, W&) { s[0] = 1; }), errc::bad_format,
                      "stride[0]");
      SPK_CHECK_ERROR(remake([](V&, V&, V&, V& s, B&, W&) { s.pop_back(); }), errc::bad_format,
                      "stride.size()");
      SPK_CHECK_ERROR(remake([](V&, V&, V&, V& s, B&, W&) { s[8] += 1; }), errc::bad_format,
                      "stride[8]");
      SPK_CHECK_ERROR(remake([](V&, V&, V&, V&, B& k, W&) { k.push_back(0); }), errc::bad_format,
                      "kernel_pattern.size()");
    } else {
      SPK_CHECK_ERROR(remake([](V&, V&, V&, V&, B& k, W&) { k[0] = 200; }), errc::bad_format,
                      "kernel_pattern[0]");
      SPK_CHECK_ERROR(remake([](V&, V&, V&, V&, B& k, W&) { k.pop_back(); }), errc::bad_format,
                      "kernel_pattern.size()");
    }
  }
  // Duplicate channel inside one filter.
  auto l2 = make_layer(1, 4, 4, 12);
  const fkw g = fkw::build(l2.w.view(), l2.s, fkw_options{true, false});
  auto index = g.index();
  index[1] = index[0];
  SPK_CHECK_ERROR(fkw(1, 4, g.library(), false, g.reorder(), g.offset(), index, g.stride(),
                      g.kernel_pattern(), g.weight()),
                  errc::bad_format, "not used twice");
}
