# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): strips the ELF files that CPack has staged,
# as Debian's dh_strip does, so that the package has no unstripped binaries and no .comment or
# .note sections (lintian: unstripped-binary-or-object, binary-has-unneeded-section):
#   executables (bin/):              strip --remove-section=.comment --remove-section=.note
#   shared objects (*.so, *.so.N):   the same and --strip-unneeded (keeps the dynamic symbols)
#   static libraries (*.a):          --strip-debug only, deterministic archive members
# CPACK_DGEN_STRIP is CMAKE_STRIP of the build (CMakeLists.txt).
if(NOT CPACK_DGEN_STRIP)
  message(FATAL_ERROR "cpack_strip.cmake: CPACK_DGEN_STRIP (the strip program) is not set")
endif()
set(_common --remove-section=.comment --remove-section=.note)
file(GLOB_RECURSE _files LIST_DIRECTORIES false "${CPACK_TEMPORARY_DIRECTORY}/*")
foreach(f IN LISTS _files)
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  file(READ "${f}" _magic LIMIT 8 HEX)
  if(_magic MATCHES "^7f454c46")
    if(f MATCHES "[.]so([.][0-9]+)*$")
      set(_args ${_common} --strip-unneeded)
    elseif(f MATCHES "/s?bin/[^/]+$")
      set(_args ${_common})
    else()
      message(FATAL_ERROR "cpack_strip.cmake: an ELF file neither in bin/ nor a .so: ${f}")
    endif()
  elseif(_magic STREQUAL "213c617263683e0a") # "!<arch>\n"
    set(_args ${_common} --strip-debug --enable-deterministic-archives)
  else()
    continue()
  endif()
  execute_process(COMMAND "${CPACK_DGEN_STRIP}" ${_args} "${f}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cpack_strip.cmake: ${CPACK_DGEN_STRIP} ${_args} ${f} failed (${_rc})")
  endif()
endforeach()
