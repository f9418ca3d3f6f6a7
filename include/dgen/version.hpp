// The version of the dgen library and tools.
#pragma once

#include <string_view>

namespace dgen {

/// The version from `git describe` at build time (or the project version outside git).
std::string_view version();

/// The data model's version (docs/data-model.md): equal versions, equal bytes for equal
/// parameters; it changes only when the bytes do.
inline constexpr int kDataModelVersion = 1;

}  // namespace dgen
