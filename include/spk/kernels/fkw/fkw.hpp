// SPDX-License-Identifier: Apache-2.0
// The FKW (pattern + connectivity) kernel family in one include: the reference conv2d_fkw and
// the optimised xsimd conv2d_fkw (microkernel + driver).
#pragma once

#include "spk/kernels/fkw/conv.hpp"
#include "spk/kernels/fkw/reference.hpp"
#include "spk/kernels/fkw/ukernel.hpp"
