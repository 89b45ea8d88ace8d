// SPDX-License-Identifier: Apache-2.0
// The dense family in one include: the reference oracles and spk's optimised dense path
// (packed GEMM/GEMV, im2col-based conv2d/conv3d).
#pragma once

#include "spk/kernels/dense/conv.hpp"
#include "spk/kernels/dense/gemm.hpp"
#include "spk/kernels/dense/im2col.hpp"
#include "spk/kernels/dense/reference.hpp"
