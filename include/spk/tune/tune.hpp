// SPDX-License-Identifier: Apache-2.0
// Umbrella of the tuning layer: params, the table format and lookup, shape classes, the active
// table the drivers consult, and the search spk-tune runs.
#pragma once

#include "spk/tune/active.hpp"
#include "spk/tune/classes.hpp"
#include "spk/tune/params.hpp"
#include "spk/tune/table.hpp"
#include "spk/tune/tuner.hpp"
