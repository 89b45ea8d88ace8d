// ODR check, TU 2 of 2: the same umbrella header in a second translation unit.
#include <spk/spk.hpp>

int spk_odr_b() { return SPK_VERSION_MAJOR; }
