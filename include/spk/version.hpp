// SPDX-License-Identifier: Apache-2.0
// spk version. CMake parses the three SPK_VERSION_* lines below; keep their form.
#pragma once

#define SPK_VERSION_MAJOR 0
#define SPK_VERSION_MINOR 1
#define SPK_VERSION_PATCH 0

#define SPK_VERSION_STRING "0.1.0"
