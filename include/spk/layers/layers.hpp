// SPDX-License-Identifier: Apache-2.0
// Umbrella of the reference layers: weight (dense or sparse matrix), linear, conv2d, GRU, LSTM,
// multi-head attention and the BERT encoder layer, plus LayerNorm / softmax / GELU.
#pragma once

#include "spk/layers/attention.hpp"
#include "spk/layers/conv.hpp"
#include "spk/layers/crossover.hpp"
#include "spk/layers/functional.hpp"
#include "spk/layers/linear.hpp"
#include "spk/layers/rnn.hpp"
#include "spk/layers/weight.hpp"
