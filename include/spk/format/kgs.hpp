// SPDX-License-Identifier: Apache-2.0
// The kernel-group-sparse conv weight format (RT3D KGS and vanilla; also YOLObile's
// block-punched structure in 2D): per group of gm filters x gn channels, the kept kernel
// locations shared by all its kernels and a dense panel of their weights, laid out per filter
// block as the list of (channel, location) entries the kgs microkernel walks.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "spk/core/tensor.hpp"
#include "spk/sparsity/kgs.hpp"

SPK_BEGIN_NAMESPACE
namespace format {

/// What a kgs object was built as: vanilla additionally guarantees every group keeps all of
/// its locations or none (block sparsity over the (F, C) grid).
enum class kgs_structure { kgs, vanilla };

inline const char* to_string(kgs_structure s) noexcept {
  return s == kgs_structure::kgs ? "kgs" : "vanilla";
}

/// Kernel-group-sparse weights of an S-dim conv (F x C x kernel, groups = 1).
///
/// Layout. Groups (i, j) as in sparsity::kgs_grid. loc_ptr[g]..loc_ptr[g+1] index the sorted
/// kept locations of group g = i * channel_blocks + j in `locs`. Filter block i owns the entries
/// entry_ptr[i]..entry_ptr[i+1], in order (j, channel c of the group, kept location k): entry e
/// has channel entry_channel[e], location entry_location[e] and the gm weights
/// values[e * gm + m] of filters i * gm + m (0 for padding filters >= F). Padding channels have
/// no entries. A microkernel broadcasts the gm weights of one entry against one input vector:
/// one load feeds gm output filters.
template <int S>
class kgs {
 public:
  using kernel_dims = std::array<index_t, S>;

  /// Builds from pruned dense weights F x C x kernel and an element mask (F * C * K bytes,
  /// 1 = kept; a kept weight may be 0). Raises bad_format naming the group when the mask is not
  /// constant across a group's kernels (or, for vanilla, across its locations).
  static kgs build(tensor_view<const float, S + 2> weights, const std::vector<std::uint8_t>& mask,
                   index_t gm, index_t gn, kgs_structure st = kgs_structure::kgs) {
    const char* where = "format::kgs::build";
    kgs r;
    r.set_header(weights, gm, gn, st, where);
    const sparsity::kgs_grid& g = r.grid_;
    const index_t K = g.locations;
    require(index_t(mask.size()) == g.filters * g.channels * K, where, "mask.size()", mask.size(),
            "F * C * K = " + std::to_string(g.filters * g.channels * K), errc::shape_mismatch);
    sparsity::kgs_mask m{g, std::vector<std::uint8_t>(std::size_t(g.units()), 0)};
    for (index_t i = 0; i < g.filter_blocks(); ++i)
      for (index_t j = 0; j < g.channel_blocks(); ++j)
        for (index_t k = 0; k < K; ++k) {
          const index_t f0 = i * gm, c0 = j * gn;
          const bool first = mask[std::size_t((f0 * g.channels + c0) * K + k)] != 0;
          sparsity::detail::for_group(g, i, j, [&](index_t f, index_t c) {
            if ((mask[std::size_t((f * g.channels + c) * K + k)] != 0) != first)
              raise(errc::bad_format,
                    std::string(where) + ": mask is not constant across " + group_name(g, i, j) +
                        " at location " + std::to_string(k) + ": kernel (f " + std::to_string(f0) +
                        ", c " + std::to_string(c0) + ") " + (first ? "keeps" : "prunes") +
                        " it but (f " + std::to_string(f) + ", c " + std::to_string(c) +
                        ") does not");
          });
          m.keep[std::size_t((i * g.channel_blocks() + j) * K + k)] = first;
        }
    r.fill(weights, m);
    r.validate();
    return r;
  }

  /// Builds from pruned dense weights and a group mask (from a sparsity:: projection). The
  /// mask's grid must match the weights' F, C, K.
  static kgs build(tensor_view<const float, S + 2> weights, const sparsity::kgs_mask& m,
                   kgs_structure st = kgs_structure::kgs) {
    const char* where = "format::kgs::build";
    kgs r;
    r.set_header(weights, m.grid.gm, m.grid.gn, st, where);
    const sparsity::kgs_grid& g = r.grid_;
    require(m.grid.filters == g.filters && m.grid.channels == g.channels &&
                m.grid.locations == g.locations && index_t(m.keep.size()) == g.units(),
            where, "mask.grid",
            std::to_string(m.grid.filters) + "x" + std::to_string(m.grid.channels) + "x" +
                std::to_string(m.grid.locations),
            "the weights' F x C x K", errc::shape_mismatch);
    r.fill(weights, m);
    r.validate();
    return r;
  }

  /// Checks every invariant; raises bad_format naming the first violation. Objects returned by
  /// build() have passed it; kernels trust a kgs object.
  void validate() const {
    const char* where = "format::kgs::validate";
    const sparsity::kgs_grid& g = grid_;
    g.check(where);
    index_t kv = 1;
    for (index_t d : kernel_) kv *= d;
    bad_if(kv != g.locations, where,
           "kernel volume " + std::to_string(kv) + " != K " + std::to_string(g.locations));
    const index_t G = g.groups(), K = g.locations;
    bad_if(index_t(loc_ptr_.size()) != G + 1 || loc_ptr_[0] != 0, where,
           "loc_ptr must have groups + 1 entries from 0");
    for (index_t gi = 0; gi < G; ++gi) {
      const index_t b = loc_ptr_[std::size_t(gi)], n = loc_ptr_[std::size_t(gi + 1)];
      bad_if(n < b || n - b > K || n > index_t(locs_.size()), where,
             group_name(g, gi / g.channel_blocks(), gi % g.channel_blocks()) +
                 ": loc_ptr not monotone, beyond locs or more than K locations");
    }
    bad_if(index_t(entry_ptr_.size()) != g.filter_blocks() + 1 || entry_ptr_[0] != 0, where,
           "entry_ptr must have filter_blocks + 1 entries from 0");
    index_t e = 0;
    for (index_t i = 0; i < g.filter_blocks(); ++i) {
      for (index_t j = 0; j < g.channel_blocks(); ++j) {
        const index_t gi = i * g.channel_blocks() + j, b = loc_ptr_[std::size_t(gi)],
                      n = loc_ptr_[std::size_t(gi + 1)];
        for (index_t t = b; t < n; ++t) {
          bad_if(locs_[std::size_t(t)] >= K, where,
                 group_name(g, i, j) + ": location " + std::to_string(locs_[std::size_t(t)]) +
                     " >= K");
          bad_if(t > b && locs_[std::size_t(t)] <= locs_[std::size_t(t - 1)], where,
                 group_name(g, i, j) + ": locations not strictly increasing");
        }
        bad_if(structure_ == kgs_structure::vanilla && n - b != 0 && n - b != K, where,
               group_name(g, i, j) + " keeps " + std::to_string(n - b) + " of " +
                   std::to_string(K) + " locations: a vanilla group keeps all or none");
        if (n == b) continue;  // O(groups + entries), not O(F * C): a huge gn costs nothing
        for (index_t c = j * g.gn; c < j * g.gn + g.channels_in(j); ++c)
          for (index_t t = b; t < n; ++t, ++e)
            bad_if(e >= index_t(entry_channel_.size()) || entry_channel_[std::size_t(e)] != c ||
                       entry_location_[std::size_t(e)] != locs_[std::size_t(t)],
                   where,
                   group_name(g, i, j) + ": entry " + std::to_string(e) +
                       " disagrees with its locations");
      }
      bad_if(entry_ptr_[std::size_t(i + 1)] != e, where,
             "entry_ptr[" + std::to_string(i + 1) + "] != entries of filter blocks < " +
                 std::to_string(i + 1));
    }
    bad_if(loc_ptr_[std::size_t(G)] != index_t(locs_.size()), where,
           "loc_ptr does not end at locs.size()");
    bad_if(e != index_t(entry_channel_.size()) || e != index_t(entry_location_.size()), where,
           "entry arrays longer than the groups' entries");
    bad_if(values_.size() != e * g.gm, where, "values.size() != entries * gm");
    for (index_t i = 0; i < g.filter_blocks(); ++i)
      for (index_t t = entry_ptr_[std::size_t(i)]; t < entry_ptr_[std::size_t(i + 1)]; ++t)
        for (index_t m = g.filters_in(i); m < g.gm; ++m)
          bad_if(values_[t * g.gm + m] != 0.f, where,
                 "padding filter " + std::to_string(i * g.gm + m) + " has a non-zero weight");
  }

  /// Dense F x C x kernel weights (pruned positions 0).
  tensor<float, S + 2> to_dense() const {
    typename tensor<float, S + 2>::extents_type dims{};
    dims[0] = grid_.filters, dims[1] = grid_.channels;
    for (int d = 0; d < S; ++d) dims[d + 2] = kernel_[d];
    tensor<float, S + 2> t(dims, 0.f);
    const index_t K = grid_.locations, gm = grid_.gm;
    for (index_t i = 0; i < grid_.filter_blocks(); ++i)
      for (index_t e = entry_ptr_[std::size_t(i)]; e < entry_ptr_[std::size_t(i + 1)]; ++e)
        for (index_t m = 0; m < grid_.filters_in(i); ++m)
          t.data()[((i * gm + m) * grid_.channels + entry_channel_[std::size_t(e)]) * K +
                   entry_location_[std::size_t(e)]] = values_[e * gm + m];
    return t;
  }

  /// Element mask F x C x K of the kept positions (explicit: a kept weight may be 0).
  std::vector<std::uint8_t> element_mask() const { return group_mask().element_mask(); }

  /// The group mask (one byte per group and location).
  sparsity::kgs_mask group_mask() const {
    sparsity::kgs_mask m{grid_, std::vector<std::uint8_t>(std::size_t(grid_.units()), 0)};
    for (index_t gi = 0; gi < grid_.groups(); ++gi)
      for (index_t t = loc_ptr_[std::size_t(gi)]; t < loc_ptr_[std::size_t(gi + 1)]; ++t)
        m.keep[std::size_t(gi * grid_.locations + locs_[std::size_t(t)])] = 1;
    return m;
  }

  /// Bytes of the compressed representation (values, locations, entries, offsets).
  std::size_t storage_bytes() const {
    return std::size_t(values_.size()) * sizeof(float) + locs_.size() * sizeof(std::uint16_t) +
           loc_ptr_.size() * sizeof(index_t) + entry_ptr_.size() * sizeof(index_t) +
           entry_channel_.size() * sizeof(std::int32_t) +
           entry_location_.size() * sizeof(std::uint16_t);
  }

  const sparsity::kgs_grid& grid() const noexcept { return grid_; }
  index_t filters() const noexcept { return grid_.filters; }
  index_t channels() const noexcept { return grid_.channels; }
  const kernel_dims& kernel() const noexcept { return kernel_; }
  kgs_structure structure() const noexcept { return structure_; }
  /// Kept real weights (padding excluded): the non-zero FLOP count is 2 x this x outputs.
  index_t kept_weights() const noexcept {
    index_t n = 0;
    for (index_t i = 0; i < grid_.filter_blocks(); ++i)
      n += (entry_ptr_[std::size_t(i + 1)] - entry_ptr_[std::size_t(i)]) * grid_.filters_in(i);
    return n;
  }
  double density() const noexcept {
    return double(kept_weights()) / double(grid_.filters * grid_.channels * grid_.locations);
  }
  index_t entries() const noexcept { return index_t(entry_channel_.size()); }
  const std::vector<index_t>& loc_ptr() const noexcept { return loc_ptr_; }
  const std::vector<std::uint16_t>& locations() const noexcept { return locs_; }
  const std::vector<index_t>& entry_ptr() const noexcept { return entry_ptr_; }
  const std::vector<std::int32_t>& entry_channel() const noexcept { return entry_channel_; }
  const std::vector<std::uint16_t>& entry_location() const noexcept { return entry_location_; }
  const float* values() const noexcept { return values_.data(); }

  /// Assembles a format from its stored parts (a deserialiser's entry point) and validates
  /// it: the entry arrays are derived from loc_ptr / locs; `values` must hold entries * gm.
  static kgs from_parts(const sparsity::kgs_grid& g, const kernel_dims& kernel, kgs_structure st,
                        std::vector<index_t> loc_ptr, std::vector<std::uint16_t> locs,
                        aligned_buffer<float> values) {
    kgs r;
    r.grid_ = g, r.kernel_ = kernel, r.structure_ = st;
    r.grid_.check("format::kgs::from_parts");
    r.loc_ptr_ = std::move(loc_ptr), r.locs_ = std::move(locs), r.values_ = std::move(values);
    if (index_t(r.loc_ptr_.size()) == g.groups() + 1) r.derive_entries();
    r.validate();
    return r;
  }

 private:
  kgs() = default;

  static std::string group_name(const sparsity::kgs_grid& g, index_t i, index_t j) {
    return "group (" + std::to_string(i) + ", " + std::to_string(j) + ") = filters [" +
           std::to_string(i * g.gm) + ", " + std::to_string(i * g.gm + g.filters_in(i)) +
           ") x channels [" + std::to_string(j * g.gn) + ", " +
           std::to_string(j * g.gn + g.channels_in(j)) + ")";
  }
  static void bad_if(bool bad, const char* where, const std::string& what) {
    if (bad) raise(errc::bad_format, std::string(where) + ": " + what);
  }

  void set_header(const tensor_view<const float, S + 2>& w, index_t gm, index_t gn,
                  kgs_structure st, const char* where) {
    grid_.filters = w.dim(0), grid_.channels = w.dim(1), grid_.gm = gm, grid_.gn = gn;
    grid_.locations = 1;
    for (int d = 0; d < S; ++d) kernel_[d] = w.dim(d + 2), grid_.locations *= w.dim(d + 2);
    structure_ = st;
    grid_.check(where);
    require(w.data() != nullptr, where, "weights", "nullptr", "a non-null data pointer");
  }

  /// Fills locs / entries / values from a group mask and the dense weights (read at mask
  /// positions only).
  void fill(const tensor_view<const float, S + 2>& w, const sparsity::kgs_mask& m) {
    const sparsity::kgs_grid& g = grid_;
    const index_t K = g.locations;
    loc_ptr_.assign(1, 0), locs_.clear();
    for (index_t gi = 0; gi < g.groups(); ++gi) {
      for (index_t k = 0; k < K; ++k)
        if (m.keep[std::size_t(gi * K + k)]) locs_.push_back(std::uint16_t(k));
      loc_ptr_.push_back(index_t(locs_.size()));
    }
    derive_entries();
    values_ = aligned_buffer<float>(entries() * g.gm, 0.f);
    std::array<index_t, S + 2> idx{};
    for (index_t i = 0; i < g.filter_blocks(); ++i)
      for (index_t e = entry_ptr_[std::size_t(i)]; e < entry_ptr_[std::size_t(i + 1)]; ++e)
        for (index_t f = 0; f < g.filters_in(i); ++f) {
          idx[0] = i * g.gm + f, idx[1] = entry_channel_[std::size_t(e)];
          index_t k = entry_location_[std::size_t(e)];
          for (int d = S - 1; d >= 0; --d) idx[d + 2] = k % kernel_[d], k /= kernel_[d];
          index_t off = 0;
          for (int d = 0; d < S + 2; ++d) off += idx[d] * w.stride(d);
          values_[e * g.gm + f] = w.data()[off];
        }
  }

  void derive_entries() {
    const sparsity::kgs_grid& g = grid_;
    entry_ptr_.assign(1, 0), entry_channel_.clear(), entry_location_.clear();
    for (index_t i = 0; i < g.filter_blocks(); ++i) {
      for (index_t j = 0; j < g.channel_blocks(); ++j) {
        const index_t gi = i * g.channel_blocks() + j;
        const index_t b = loc_ptr_[std::size_t(gi)], n = loc_ptr_[std::size_t(gi + 1)];
        if (n < b || n > index_t(locs_.size())) return;  // validate() reports it
        if (n == b) continue;
        for (index_t c = j * g.gn; c < j * g.gn + g.channels_in(j); ++c)
          for (index_t t = b; t < n; ++t)
            entry_channel_.push_back(std::int32_t(c)),
                entry_location_.push_back(locs_[std::size_t(t)]);
      }
      entry_ptr_.push_back(index_t(entry_channel_.size()));
    }
  }

  sparsity::kgs_grid grid_;
  kernel_dims kernel_{};
  kgs_structure structure_ = kgs_structure::kgs;
  std::vector<index_t> loc_ptr_, entry_ptr_;
  std::vector<std::uint16_t> locs_, entry_location_;
  std::vector<std::int32_t> entry_channel_;
  aligned_buffer<float> values_;
};

using kgs3d = kgs<3>;
using kgs2d = kgs<2>;

}  // namespace format
SPK_END_NAMESPACE
