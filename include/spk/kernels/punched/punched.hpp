// SPDX-License-Identifier: Apache-2.0
// Block-punched sparse convolution (YOLObile): the projection, the format, the reference and
// the optimised conv2d_punched / linear_punched.
#pragma once

#include "spk/format/punched.hpp"
#include "spk/kernels/punched/conv.hpp"
#include "spk/kernels/punched/reference.hpp"
#include "spk/sparsity/punched.hpp"
