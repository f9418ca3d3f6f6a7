// The version of the dgen library and tools.
#pragma once

#include <string_view>

namespace dgen {

/// The version from `git describe` at build time (or the project version outside git).
std::string_view version();

}  // namespace dgen
