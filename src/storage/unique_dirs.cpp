#include "storage/unique_dirs.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>

namespace dgen::storage {

std::string unique_dir_writers(const std::string& path, int& writers) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return "";
  long long most = -1;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 9 || name[0] != 'r' || !e.is_directory(ec)) continue;
    if (name.find_first_not_of("0123456789", 1) != std::string::npos) continue;
    most = std::max(most, std::stoll(name.substr(1)));
  }
  if (ec) return "--input " + path + ": cannot list it: " + ec.message();
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
