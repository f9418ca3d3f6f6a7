#include "analyze/xxh3_targets.hpp"

namespace dgen::analyze {

void xxh3_baseline(const void* p, std::size_t n, std::uint64_t* hi, std::uint64_t* lo);
#if defined(__x86_64__)
void xxh3_avx2(const void* p, std::size_t n, std::uint64_t* hi, std::uint64_t* lo);
void xxh3_avx512(const void* p, std::size_t n, std::uint64_t* hi, std::uint64_t* lo);
#endif

const std::vector<Xxh3Target>& xxh3_targets() {
  static const std::vector<Xxh3Target> targets = [] {
    std::vector<Xxh3Target> t;
#if defined(__x86_64__)
    __builtin_cpu_init();
    t.push_back({"sse2", xxh3_baseline, true});
    t.push_back({"avx2", xxh3_avx2, __builtin_cpu_supports("avx2") != 0});
    t.push_back({"avx512", xxh3_avx512, __builtin_cpu_supports("avx512f") != 0});
#else
    t.push_back({"portable", xxh3_baseline, true});
#endif
    return t;
  }();
  return targets;
}

const Xxh3Target& xxh3_best() {
  static const Xxh3Target& best = []() -> const Xxh3Target& {
    const auto& t = xxh3_targets();
    for (auto it = t.rbegin(); it != t.rend(); ++it)
      if (it->supported) return *it;
    return t.front();
  }();
  return best;
}

}  // namespace dgen::analyze
