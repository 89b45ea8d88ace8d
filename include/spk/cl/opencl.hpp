// SPDX-License-Identifier: Apache-2.0
// The one place spk includes <CL/opencl.hpp>: fixes the Khronos C++ bindings' configuration
// (target OpenCL 3.0, minimum left at its default, exceptions on) before the include.
#pragma once

#ifdef SPK_NO_EXCEPTIONS
#error "spk/cl needs C++ exceptions (it translates cl::Error into spk::error)"
#endif

#if defined(CL_HPP_) && !defined(CL_HPP_ENABLE_EXCEPTIONS)
#error "<CL/opencl.hpp> was included before spk/cl/opencl.hpp without CL_HPP_ENABLE_EXCEPTIONS"
#endif

// Target 3.0; the minimum stays at the bindings' default (2.0), so they call 2.0 entry points
// such as clCreateCommandQueueWithProperties directly. For a driver that only has 1.2, define
// CL_HPP_MINIMUM_OPENCL_VERSION 110 before including spk (300/110 compiles; 300/120 and
// 200/120 do not, pitfall P5). Kernels themselves are built as OpenCL C 1.2.
#ifndef CL_HPP_TARGET_OPENCL_VERSION
#define CL_HPP_TARGET_OPENCL_VERSION 300
#endif
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 300
#endif
#ifndef CL_HPP_ENABLE_EXCEPTIONS
#define CL_HPP_ENABLE_EXCEPTIONS
#endif

#include <CL/opencl.hpp>
