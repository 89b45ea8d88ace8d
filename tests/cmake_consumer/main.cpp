// Consumer smoke test: compiles against spk as an installed / exported / sub-project package
// with the consumer's own flags (no -march from spk) and exercises a few public symbols.
#include <cstdio>
#include <string>

#if __has_include(<spk/spk.hpp>)
#include <spk/spk.hpp>
#endif
#include <spk/core/error.hpp>
#include <spk/version.hpp>
#ifdef SPK_WITH_OPENCL
#include <spk/cl/kernels_generated.hpp>
#endif

#define SPK_STR2(x) #x
#define SPK_STR(x) SPK_STR2(x)

int main() {
  bool ok = true;
  const std::string want =
      SPK_STR(SPK_VERSION_MAJOR) "." SPK_STR(SPK_VERSION_MINOR) "." SPK_STR(SPK_VERSION_PATCH);
  if (want != SPK_VERSION_STRING) {
    std::printf("version mismatch: %s vs %s\n", want.c_str(), SPK_VERSION_STRING);
    ok = false;
  }
  try {
    spk::raise(spk::errc::invalid_argument, "consumer check");
    ok = false;
  } catch (const spk::error& e) {
    ok = ok && e.code() == spk::errc::invalid_argument && std::string(e.what()) == "consumer check";
  }
#ifdef SPK_WITH_OPENCL
  ok = ok && spk::cl::kernel_source("axpy").find("__kernel") != std::string::npos;
#endif
  std::printf("spk_consumer: spk %s: %s\n", SPK_VERSION_STRING, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
