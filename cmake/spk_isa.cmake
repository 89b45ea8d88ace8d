# Which x86 ISAs the per-ISA test executables may target on this machine: an ISA is used only
# if the compiler accepts its flags and a probe built with them runs here (try_run, cached).
include_guard(GLOBAL)

set(SPK_ISA_FLAGS_sse2 "")
set(SPK_ISA_FLAGS_avx2 -mavx2 -mfma)
set(SPK_ISA_FLAGS_avx512 -mavx512f -mavx512cd -mavx512bw -mavx512dq -mavx512vl)
set(SPK_ISA_CANDIDATES sse2 avx2 avx512)

# spk_isa_runs(<isa> <out_var>): TRUE if <isa> compiles and runs here. The result is cached as
# SPK_ISA_RUNS_<isa> (delete it from the cache to probe again).
function(spk_isa_runs isa out_var)
  if(DEFINED SPK_ISA_RUNS_${isa})
    set(${out_var} ${SPK_ISA_RUNS_${isa}} PARENT_SCOPE)
    return()
  endif()
  string(TOUPPER "${isa}" _up)
  set(_defs -DSPK_ISA_CHECK_${_up} ${SPK_ISA_FLAGS_${isa}})
  try_run(_run _compiled
    "${CMAKE_BINARY_DIR}/spk_isa_probe/${isa}"
    "${PROJECT_SOURCE_DIR}/cmake/spk_isa_check.cpp"
    COMPILE_DEFINITIONS ${_defs}
    COMPILE_OUTPUT_VARIABLE _compile_log
    RUN_OUTPUT_VARIABLE _run_log)
  if(NOT _compiled)
    set(_ok FALSE)
    set(_why "compiler rejects '${SPK_ISA_FLAGS_${isa}}'")
  elseif(NOT "${_run}" STREQUAL "0")
    set(_ok FALSE)
    set(_why "this CPU does not run it (probe exit: ${_run})")
  else()
    set(_ok TRUE)
    set(_why "compiler and CPU support it")
  endif()
  message(STATUS "spk: test ISA ${isa}: ${_why}")
  set(SPK_ISA_RUNS_${isa} ${_ok} CACHE INTERNAL "spk: ISA ${isa} usable for tests")
  set(${out_var} ${_ok} PARENT_SCOPE)
endfunction()

# spk_test_isas(<out_var>): the list of usable ISAs (x86 only; empty elsewhere or when
# cross-compiling). SPK_TEST_ISAS (cache) overrides: "auto" (default) or an explicit list.
function(spk_test_isas out_var)
  set(SPK_TEST_ISAS "auto" CACHE STRING
      "ISAs for the per-ISA kernel test executables: auto, or a list of sse2;avx2;avx512")
  if(NOT SPK_TEST_ISAS STREQUAL "auto")
    set(${out_var} ${SPK_TEST_ISAS} PARENT_SCOPE)
    return()
  endif()
  set(_list "")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|x64|i[3-6]86|x86)$"
     AND NOT CMAKE_CROSSCOMPILING)
    foreach(_isa IN LISTS SPK_ISA_CANDIDATES)
      spk_isa_runs(${_isa} _ok)
      if(_ok)
        list(APPEND _list ${_isa})
      endif()
    endforeach()
  endif()
  set(${out_var} ${_list} PARENT_SCOPE)
endfunction()
