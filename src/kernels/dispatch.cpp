// Choosing a SIMD target: the compiled kernels, which of them this CPU runs, their --simd names.
// In src/kernels, not src/core: the choice needs the kernel table, and core must not see it.
#include "dgen/simd.hpp"

#include <hwy/targets.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>

#include "kernels/kernel.hpp"

namespace dgen {

namespace kernels {

std::string kernel_name(const CompiledKernel& kernel) {
  switch (kernel.target) {
    case HWY_EMU128:
    case HWY_SCALAR:
      return "scalar";
    case HWY_AVX2:
      return kernel.vaes ? "avx2-vaes" : "avx2";
    case HWY_AVX3:
      return "avx512";
    case HWY_AVX3_DL:
      return "avx512-dl";
    default: {
      std::string name = hwy::TargetName(kernel.target);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return name;
    }
  }
}

namespace {
// What this CPU supports is read once: in a virtual machine CPUID traps to the hypervisor (tens
// of microseconds each; Highway's SupportedTargets() detects anew on every call), and every
// Generator asks (the Python module builds one per dgen-py-style call): 0.4 ms a Generator here.
std::int64_t supported_targets() {
  static const std::int64_t targets = hwy::SupportedTargets();
  return targets;
}

// CPUID leaf 7, ECX bit 9 (VAES). Read directly: clang 14's __builtin_cpu_supports does not
// know "vaes". The AVX2 target's check (Highway) already covers the OS saving YMM state.
bool cpu_has_vaes() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
    return (ecx & (1u << 9)) != 0;
  }();
  return has;
#else
  return false;
#endif
}
}  // namespace

bool kernel_supported(const CompiledKernel& kernel) {
  if ((supported_targets() & kernel.target) == 0) return false;
  if (kernel.vaes && !cpu_has_vaes()) return false;
  return true;
}

const CompiledKernel* find_kernel(std::string_view name) {
  for (const auto& k : compiled_kernels()) {
    if (kernel_name(k) == name) return &k;
  }
  return nullptr;
}

}  // namespace kernels

std::vector<SimdTarget> compiled_simd_targets() {
  std::vector<kernels::CompiledKernel> sorted(kernels::compiled_kernels().begin(),
                                              kernels::compiled_kernels().end());
  // Highway numbers better targets with lower bits; VAES makes AVX2 better.
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.target != b.target ? a.target < b.target : a.vaes > b.vaes;
  });
  std::vector<SimdTarget> targets;
  for (const auto& k : sorted)
    targets.push_back({kernels::kernel_name(k), kernels::kernel_supported(k)});
  return targets;
}

SimdTarget best_simd_target() {
  for (const auto& t : compiled_simd_targets()) {
    if (t.supported) return t;
  }
  throw std::runtime_error("no compiled SIMD target runs on this CPU");
}

SimdTarget select_simd_target(std::string_view name) {
  if (name == "auto") return best_simd_target();
  std::string all = "auto", supported;
  for (const auto& t : compiled_simd_targets()) {
    all += "|" + t.name;
    if (t.supported) supported += (supported.empty() ? "" : ", ") + t.name;
  }
  for (const auto& t : compiled_simd_targets()) {
    if (t.name != name) continue;
    if (!t.supported) {
      throw std::invalid_argument("--simd " + t.name +
                                  ": this CPU does not support it (supported: " + supported + ")");
    }
    return t;
  }
  throw std::invalid_argument("--simd " + std::string(name) + ": must be one of " + all);
}

}  // namespace dgen
