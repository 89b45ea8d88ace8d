// ODR check, TU 1 of 2: includes the umbrella header; linking with odr_b.cpp fails if any
// header defines a function or variable that is not inline.
#include <spk/spk.hpp>

int spk_odr_b();

int main() { return spk_odr_b() == SPK_VERSION_MAJOR ? 0 : 1; }
