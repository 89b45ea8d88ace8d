# Registers the consumer tests (included from tests/CMakeLists.txt): install into
# ${CMAKE_BINARY_DIR}/consumer-prefix (fixture), then configure+build+run the consumer project
# against that prefix, against the build tree (export()), and through add_subdirectory.
set(_src "${CMAKE_CURRENT_LIST_DIR}")
set(_prefix "${CMAKE_BINARY_DIR}/consumer-prefix")
set(_bat ${CMAKE_CTEST_COMMAND} --build-and-test "${_src}")
set(_gen --build-generator "${CMAKE_GENERATOR}")
if(CMAKE_GENERATOR_PLATFORM)
  list(APPEND _gen --build-generator-platform "${CMAKE_GENERATOR_PLATFORM}")
endif()
if(CMAKE_GENERATOR_TOOLSET)
  list(APPEND _gen --build-generator-toolset "${CMAKE_GENERATOR_TOOLSET}")
endif()
if(CMAKE_MAKE_PROGRAM)
  list(APPEND _gen --build-makeprogram "${CMAKE_MAKE_PROGRAM}")
endif()
list(APPEND _gen --build-config $<CONFIG>)
set(_opts -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_BUILD_TYPE=$<CONFIG>)
set(_bin "${CMAKE_CURRENT_BINARY_DIR}/consumer")
# spk_consumer_cmd(<out_var> <consumer build dir>): how --build-and-test runs the consumer. A
# cross build hands its toolchain file to the consumer and runs it under the emulator.
# The install prefix must also be a find root there: cross toolchains search packages only
# under their roots (CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY).
set(_find_root "")
if(CMAKE_CROSSCOMPILING)
  list(APPEND _opts "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE}")
  set(_find_root "-DCMAKE_FIND_ROOT_PATH=${_prefix}")
endif()
function(spk_consumer_cmd out_var dir)
  if(CMAKE_CROSSCOMPILING)
    set(${out_var} ${CMAKE_CROSSCOMPILING_EMULATOR} "${dir}/spk_consumer" PARENT_SCOPE)
  else()
    set(${out_var} spk_consumer PARENT_SCOPE)
  endif()
endfunction()

spk_consumer_cmd(_cmd_find_package "${_bin}/find_package")
spk_consumer_cmd(_cmd_build_tree "${_bin}/build_tree")
spk_consumer_cmd(_cmd_add_subdirectory "${_bin}/add_subdirectory")

if(SPK_INSTALL)
  add_test(NAME spk_install
    COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DPREFIX=${_prefix}
            -DCONFIG=$<CONFIG> -P "${_src}/install_tree.cmake")
  set_tests_properties(spk_install PROPERTIES FIXTURES_SETUP spk_installed TIMEOUT 120)

  add_test(NAME spk_consumer_find_package
    COMMAND ${_bat} "${_bin}/find_package" ${_gen}
            --build-options ${_opts} -DCMAKE_PREFIX_PATH=${_prefix} -DSPK_EXPECT_DIR=${_prefix}
            ${_find_root}
            --test-command ${_cmd_find_package})
  set_tests_properties(spk_consumer_find_package PROPERTIES
    FIXTURES_REQUIRED spk_installed TIMEOUT 300)
else()
  message(STATUS "spk: SPK_INSTALL=OFF; install-tree consumer test skipped")
endif()

add_test(NAME spk_consumer_build_tree
  COMMAND ${_bat} "${_bin}/build_tree" ${_gen}
          --build-options ${_opts} -Dspk_DIR=${PROJECT_BINARY_DIR}
          -DSPK_EXPECT_DIR=${PROJECT_BINARY_DIR}
          --test-command ${_cmd_build_tree})
add_test(NAME spk_consumer_add_subdirectory
  COMMAND ${_bat} "${_bin}/add_subdirectory" ${_gen}
          --build-options ${_opts} -DSPK_SOURCE_DIR=${PROJECT_SOURCE_DIR}
          -DSPK_WITH_OPENCL=${SPK_WITH_OPENCL}
          --test-command ${_cmd_add_subdirectory})
set_tests_properties(spk_consumer_build_tree spk_consumer_add_subdirectory PROPERTIES TIMEOUT 300)
