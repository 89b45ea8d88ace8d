// SPDX-License-Identifier: Apache-2.0
// Umbrella header: everything in spk that does not need OpenCL. Include spk/cl/*.hpp for the
// OpenCL host side.
#pragma once

#include "spk/version.hpp"
#include "spk/core/arch.hpp"
#include "spk/core/buffer.hpp"
#include "spk/core/checked.hpp"
#include "spk/core/config.hpp"
#include "spk/core/conv_shape.hpp"
#include "spk/core/error.hpp"
#include "spk/core/executor.hpp"
#include "spk/core/random.hpp"
#include "spk/core/simd.hpp"
#include "spk/core/tensor.hpp"
#include "spk/sparsity/block.hpp"
#include "spk/sparsity/connectivity.hpp"
#include "spk/sparsity/kgs.hpp"
#include "spk/sparsity/pattern.hpp"
#include "spk/format/bcr.hpp"
#include "spk/format/bsr.hpp"
#include "spk/format/csr.hpp"
#include "spk/format/fkw.hpp"
#include "spk/format/kgs.hpp"
#include "spk/kernels/fkw/fkw.hpp"
#include "spk/kernels/kgs/kgs.hpp"
#include "spk/kernels/spmm/spmm.hpp"
#include "spk/layers/layers.hpp"
