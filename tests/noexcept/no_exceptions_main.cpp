// SPDX-License-Identifier: Apache-2.0
// The SPK_NO_EXCEPTIONS error path, as a stand-alone program built with -fno-exceptions
// -DSPK_NO_EXCEPTIONS: a broken contract calls the installed handler, which prints
//   handler called: invalid_argument: spk: no_exceptions_main: argument 'stride_h' = 0: expected >=
//   1
// and returns, after which spk aborts. The ctest registration checks that line (and the abort).
#include <cstdio>

#include "spk/kernels/dense/im2col.hpp"
#include "spk/kernels/dense/reference.hpp"
#include "spk/spk.hpp"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "build this program with -fno-exceptions"
#endif
#ifndef SPK_NO_EXCEPTIONS
#error "build this program with -DSPK_NO_EXCEPTIONS"
#endif

namespace {
void print_handler(spk::errc code, const char* message) {
  std::printf("handler called: %s: %s\n", spk::to_string(code), message);
  std::fflush(stdout);
  // Returning is allowed: spk aborts after the handler, so no kernel runs past a broken contract.
}
}  // namespace

int main() {
  spk::set_error_handler(&print_handler);

  // A valid shape first: the no-exceptions build runs normally when nothing is wrong.
  const auto ok =
      spk::make_conv_shape<2>(1, 3, {8, 8}, 4, {3, 3}, spk::conv2d_params().with_pad(1));
  std::printf("valid shape: out %lldx%lld\n", static_cast<long long>(ok.out[0]),
              static_cast<long long>(ok.out[1]));
  std::fflush(stdout);

  spk::make_conv_shape<2>(1, 3, {8, 8}, 4, {3, 3}, spk::conv2d_params().with_stride(0),
                          "no_exceptions_main");

  std::printf("error: execution continued past a broken contract\n");
  return 0;
}
