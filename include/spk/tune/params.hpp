// SPDX-License-Identifier: Apache-2.0
// Tunable kernel parameters: one plain struct per kernel family (CPU: tiles, thread split, cache
// budgets; OpenCL: work-group shape, work per item, vector width, local memory), every field an
// int where 0 means "the built-in heuristic" (so params{} is exactly the untuned behaviour), and
// the registry that maps the tune table's kernel names to a family and its fields' ranges.
#pragma once

#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "spk/core/config.hpp"

SPK_BEGIN_NAMESPACE
namespace tune {

/// Most fields a family has; a table row stores this many ints (unused ones 0).
inline constexpr int max_fields = 6;
using param_values = std::array<int, max_fields>;

/// conv2d_fkw. tile_rows x tile_vecs = the R x V register tile, one of the shapes the driver
/// instantiates for the arch (AVX-512: 2x7, 4x4, 7x2, 7x1, 14x1; 8/4 lanes: 2x4, 4x2, 7x1);
/// any other pair, or 0, keeps pick_tile's choice. Flattened small planes keep their 1x4 tile.
/// groups_per_thread: filter groups per thread in the work split (0: 4; capped at 64 groups).
struct fkw_params {
  int tile_rows = 0, tile_vecs = 0, groups_per_thread = 0;
};

/// The kernel-group engine (conv3d_kgs; conv2d_punched, also for linear_punched). l2_kib: the L2
/// budget the channel chunking plans with, in KiB (0: 1024; values below the default are raised to
/// it, so the workspace never outgrows conv*_workspace_size). l1_kib: the L1 budget under which a
/// pointwise tile's input makes the order tile-major (0: 24). order: 0 auto, 1 block-major,
/// 2 tile-major. items_per_thread: filter-block ranges per thread (0: 2).
struct kgs_params {
  int l2_kib = 0, l1_kib = 0, order = 0, items_per_thread = 0;
};

/// spmm/spmv over BCR and BSR. items_per_thread: nnz-balanced work items per thread, 1..4
/// (0: 4; the workspace is sized for 4). half_tile: 1 = MR/2 tokens per register tile (AVX-512:
/// 8 instead of 16; SpMM only), for few-token problems where the padded panel wastes FMAs.
struct spmm_params {
  int items_per_thread = 0, half_tile = 0;
};

/// gemm_dense (and the dense paths of the layers). kc: reduction slice (0: 256, multiple of
/// 16); mc_panels: MR-row panels per MC block (0: 32); ncb_panels: NR-column panels per B
/// block (0: 8). kc * ncb may not exceed the default's (the per-item B buffer of the
/// workspace); a larger request shrinks ncb. split: 0 auto, 1 split N, 2 split M.
struct gemm_params {
  int kc = 0, mc_panels = 0, ncb_panels = 0, split = 0;
};

/// The density above which the dense path of the same layer is faster than this sparse
/// kernel, in per mille (0: unknown, never switch). Rows of kernel "<sparse kernel>/dense".
struct crossover_params {
  int dense_above_pm = 0;
};

/// Generic OpenCL launch params (cl_spmm_* / cl_spmv_* / cl_gemm_dense rows).
/// wg0 x wg1: work-group size (0: the kernel's default); work_per_item: outputs per work-item
/// along dim 0; vector_width: 1/2/4/8/16 (explicit floatN), 0 default; local_mem: 0 default,
/// 1 off, 2 on (stage in / reduce through __local). spk::cl::spmm_block_params maps as
/// group_strips = wg0, vector_width = vector_width, spmv_group_reduce = (local_mem == 2).
struct cl_params {
  int wg0 = 0, wg1 = 0, work_per_item = 0, vector_width = 0, local_mem = 0;
};

/// OpenCL kernel-group engine (cl_conv2d_punched, cl_conv3d_kgs rows) = the fields of
/// spk::cl::conv_kgs_cl_params, 0 keeping that struct's default: vw (1, 4, 8, 16), nv (1..8),
/// tiles_per_item (1..64), local0 (1..256).
struct cl_kgs_params {
  int vw = 0, nv = 0, tiles_per_item = 0, local0 = 0;
};

/// OpenCL FKW conv (cl_conv2d_fkw rows) = spk::cl::conv2d_fkw_tiles: vec_width (1, 2, 4, 8,
/// 16), rows (1..4), local_size (1..4096); 0 keeps the struct's default.
struct cl_fkw_params {
  int vec_width = 0, rows = 0, local_size = 0;
};

enum class family { fkw, kgs, spmm, gemm, crossover, cl, cl_kgs, cl_fkw };

/// One field of a family: its name in the table and the accepted range (0 always accepted).
struct field_spec {
  const char* name;
  int lo, hi;
};

struct family_spec {
  family fam;
  const char* name;
  int nfields;
  std::array<field_spec, max_fields> fields;
};

inline const family_spec& spec(family f) {
  static const std::array<family_spec, 8> s = {{
      {family::fkw,
       "fkw",
       3,
       {{{"tile_rows", 1, 14}, {"tile_vecs", 1, 7}, {"groups_per_thread", 1, 16}}}},
      {family::kgs,
       "kgs",
       4,
       {{{"l2_kib", 1, 65536}, {"l1_kib", 1, 4096}, {"order", 1, 2}, {"items_per_thread", 1, 16}}}},
      {family::spmm, "spmm", 2, {{{"items_per_thread", 1, 4}, {"half_tile", 1, 1}}}},
      {family::gemm,
       "gemm",
       4,
       {{{"kc", 16, 2048}, {"mc_panels", 1, 256}, {"ncb_panels", 1, 128}, {"split", 1, 2}}}},
      {family::crossover, "crossover", 1, {{{"dense_above_pm", 1, 1000}}}},
      {family::cl,
       "cl",
       5,
       {{{"wg0", 1, 4096},
         {"wg1", 1, 4096},
         {"work_per_item", 1, 64},
         {"vector_width", 1, 16},
         {"local_mem", 1, 2}}}},
      {family::cl_kgs,
       "cl_kgs",
       4,
       {{{"vw", 1, 16}, {"nv", 1, 8}, {"tiles_per_item", 1, 64}, {"local0", 1, 256}}}},
      {family::cl_fkw,
       "cl_fkw",
       3,
       {{{"vec_width", 1, 16}, {"rows", 1, 4}, {"local_size", 1, 4096}}}},
  }};
  return s[std::size_t(f)];
}

/// The kernel names a table may use, each with its family. "<sparse>/dense" rows hold the
/// crossover density of that sparse kernel.
struct kernel_spec {
  const char* name;
  family fam;
};
inline const auto& kernel_specs() {
  static const std::array<kernel_spec, 21> k = {{
      {"conv2d_fkw", family::fkw},
      {"conv3d_kgs", family::kgs},
      {"conv2d_punched", family::kgs},
      {"spmm_bcr", family::spmm},
      {"spmm_bsr", family::spmm},
      {"spmv_bcr", family::spmm},
      {"spmv_bsr", family::spmm},
      {"gemm_dense", family::gemm},
      {"conv2d_fkw/dense", family::crossover},
      {"conv3d_kgs/dense", family::crossover},
      {"conv2d_punched/dense", family::crossover},
      {"spmm_bcr/dense", family::crossover},
      {"spmm_bsr/dense", family::crossover},
      {"cl_conv2d_fkw", family::cl_fkw},
      {"cl_conv3d_kgs", family::cl_kgs},
      {"cl_conv2d_punched", family::cl_kgs},
      {"cl_spmm_bcr", family::cl},
      {"cl_spmm_bsr", family::cl},
      {"cl_spmv_bcr", family::cl},
      {"cl_spmv_bsr", family::cl},
      {"cl_gemm_dense", family::cl},
  }};
  return k;
}

/// The family of kernel `name`, or nullptr when the name is unknown.
inline const kernel_spec* find_kernel(std::string_view name) {
  for (const auto& k : kernel_specs())
    if (name == k.name) return &k;
  return nullptr;
}

/// Family struct <-> the table's value array (field order = spec(family).fields).
template <class P>
struct param_traits;
template <>
struct param_traits<fkw_params> {
  static constexpr family fam = family::fkw;
  static fkw_params from(const param_values& v) { return {v[0], v[1], v[2]}; }
  static param_values to(const fkw_params& p) {
    return {p.tile_rows, p.tile_vecs, p.groups_per_thread};
  }
};
template <>
struct param_traits<kgs_params> {
  static constexpr family fam = family::kgs;
  static kgs_params from(const param_values& v) { return {v[0], v[1], v[2], v[3]}; }
  static param_values to(const kgs_params& p) {
    return {p.l2_kib, p.l1_kib, p.order, p.items_per_thread};
  }
};
template <>
struct param_traits<spmm_params> {
  static constexpr family fam = family::spmm;
  static spmm_params from(const param_values& v) { return {v[0], v[1]}; }
  static param_values to(const spmm_params& p) { return {p.items_per_thread, p.half_tile}; }
};
template <>
struct param_traits<gemm_params> {
  static constexpr family fam = family::gemm;
  static gemm_params from(const param_values& v) { return {v[0], v[1], v[2], v[3]}; }
  static param_values to(const gemm_params& p) {
    return {p.kc, p.mc_panels, p.ncb_panels, p.split};
  }
};
template <>
struct param_traits<crossover_params> {
  static constexpr family fam = family::crossover;
  static crossover_params from(const param_values& v) { return {v[0]}; }
  static param_values to(const crossover_params& p) { return {p.dense_above_pm}; }
};
template <>
struct param_traits<cl_params> {
  static constexpr family fam = family::cl;
  static cl_params from(const param_values& v) { return {v[0], v[1], v[2], v[3], v[4]}; }
  static param_values to(const cl_params& p) {
    return {p.wg0, p.wg1, p.work_per_item, p.vector_width, p.local_mem};
  }
};

template <>
struct param_traits<cl_kgs_params> {
  static constexpr family fam = family::cl_kgs;
  static cl_kgs_params from(const param_values& v) { return {v[0], v[1], v[2], v[3]}; }
  static param_values to(const cl_kgs_params& p) {
    return {p.vw, p.nv, p.tiles_per_item, p.local0};
  }
};
template <>
struct param_traits<cl_fkw_params> {
  static constexpr family fam = family::cl_fkw;
  static cl_fkw_params from(const param_values& v) { return {v[0], v[1], v[2]}; }
  static param_values to(const cl_fkw_params& p) { return {p.vec_width, p.rows, p.local_size}; }
};

/// "name=value,..." of the non-zero fields ("-" when all are defaults).
inline std::string format_values(family f, const param_values& v) {
  std::string s;
  const family_spec& fs = spec(f);
  for (int i = 0; i < fs.nfields; ++i) {
    if (v[std::size_t(i)] == 0) continue;
    if (!s.empty()) s += ',';
    s += fs.fields[std::size_t(i)].name;
    s += '=';
    s += std::to_string(v[std::size_t(i)]);
  }
  return s.empty() ? "-" : s;
}

}  // namespace tune
SPK_END_NAMESPACE
