// SPDX-License-Identifier: Apache-2.0
// Umbrella of the sparse-weight kernels: block formats (BCR, BSR) and CSR, SpMM and SpMV,
// their references and fused epilogues.
#pragma once

#include "spk/kernels/spmm/bcr.hpp"
#include "spk/kernels/spmm/bsr.hpp"
#include "spk/kernels/spmm/csr.hpp"
#include "spk/kernels/spmm/reference.hpp"
