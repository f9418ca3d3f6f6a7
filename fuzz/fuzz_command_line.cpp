// libFuzzer: the whole command line. The input is split at NUL bytes into arguments. Every
// outcome is a parsed command line or a UsageError naming the problem; any other exception, a
// crash or undefined behaviour is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> words{"dgen_mpi"};
  std::string word;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      words.push_back(word);
      word.clear();
    } else {
      word += static_cast<char>(data[i]);
    }
  }
  words.push_back(word);
  if (words.size() > 64) return 0;
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  try {
    const auto parsed = dgen::app::parse_command_line(static_cast<int>(argv.size()), argv.data());
    const auto& o = parsed.options;
    if (o.size == 0 || o.iterations < 1 || (o.threads && (*o.threads < 1 || *o.threads > 4096)))
      std::abort();
  } catch (const dgen::app::UsageError& e) {
    if (std::string(e.what()).empty()) std::abort();  // a message, always
  }
  return 0;
}
