# ctest fixture step (cmake -P): installs the spk build tree BUILD_DIR into a fresh PREFIX.
# -DBUILD_DIR=<spk build dir> -DPREFIX=<install prefix> [-DCONFIG=<config>]
file(REMOVE_RECURSE "${PREFIX}")
set(_cfg "")
if(CONFIG)
  set(_cfg --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${_cfg}
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${_rc})")
endif()
if(NOT EXISTS "${PREFIX}/share/cmake/spk/spkConfig.cmake")
  message(FATAL_ERROR "install tree lacks share/cmake/spk/spkConfig.cmake")
endif()
