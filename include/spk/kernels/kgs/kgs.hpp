// SPDX-License-Identifier: Apache-2.0
// Kernel-group-sparse convolution (RT3D KGS / vanilla): the reference, the microkernel and the
// conv3d_kgs driver, with the format and the projections they consume.
#pragma once

#include "spk/format/kgs.hpp"
#include "spk/kernels/kgs/conv.hpp"
#include "spk/kernels/kgs/reference.hpp"
#include "spk/sparsity/kgs.hpp"
