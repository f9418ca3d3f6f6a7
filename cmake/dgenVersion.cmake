# DGEN_VERSION_STRING: `git describe` of the source tree when it is a git checkout, else the
# project version. Read at configure time; re-run cmake after tagging.
find_package(Git QUIET)
set(DGEN_VERSION_STRING "${PROJECT_VERSION}")
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" describe --tags --always --dirty
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    OUTPUT_VARIABLE _dgen_describe OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
    RESULT_VARIABLE _dgen_rc)
  if(_dgen_rc EQUAL 0 AND _dgen_describe)
    set(DGEN_VERSION_STRING "${PROJECT_VERSION}-g${_dgen_describe}")
  endif()
endif()
