# ctest driver (cmake -P) for the SPK_NO_EXCEPTIONS programs: runs EXE and passes only if its
# output matches EXPECT and it did NOT exit normally with status 0 (spk must abort after the
# error handler). -DEXE=<program> -DEXPECT=<regex> [-DEMULATOR=<cmd|arg|...>] (cross builds:
# the emulator command line, '|'-separated, that runs EXE).
string(REPLACE "|" ";" _emulator "${EMULATOR}")
execute_process(COMMAND ${_emulator} "${EXE}"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message("${_out}${_err}")
if(NOT "${_out}${_err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match '${EXPECT}'")
endif()
if("${_rc}" STREQUAL "0")
  message(FATAL_ERROR "program exited with 0; expected an abort after the error handler")
endif()
message("exit: ${_rc} (expected: abort)")
