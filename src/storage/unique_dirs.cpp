#include "storage/unique_dirs.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include "io/errors.hpp"
#include "storage/on_disk.hpp"

namespace dgen::storage {

std::string unique_dir_writers(const io::Namespace& names, const std::string& path, int& writers) {
  if (stat_or_missing(names, path).kind != io::Entry::Kind::kDirectory) return "";
  std::vector<std::string> entries;
  try {
    entries = names.list(path);
  } catch (const io::IoError& x) {
    return "--input " + path + ": cannot list it: " + std::strerror(x.error());
  }
  long long most = -1;
  for (const std::string& name : entries) {
    if (name.size() != 9 || name[0] != 'r') continue;
    if (name.find_first_not_of("0123456789", 1) != std::string::npos) continue;
    if (stat_or_missing(names, path + "/" + name).kind != io::Entry::Kind::kDirectory) continue;
    most = std::max(most, std::stoll(name.substr(1)));
  }
  if (most < 0) {
    return "--input " + path +
           ": --unique-dir: it holds no rank directory (r00000000, ...): it was written "
           "without --unique-dir";
  }
  if (most >= INT_MAX) {
    return "--input " + path + ": --unique-dir: a rank directory r" + std::to_string(most) +
           " no job could have written";
  }
  writers = static_cast<int>(most + 1);
  return "";
}

}  // namespace dgen::storage
