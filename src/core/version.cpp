#include "dgen/version.hpp"

#ifndef DGEN_VERSION_STRING
#error "DGEN_VERSION_STRING is set by CMake"
#endif

namespace dgen {

std::string_view version() { return DGEN_VERSION_STRING; }

}  // namespace dgen
