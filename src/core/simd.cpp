#include "dgen/simd.hpp"

#include <hwy/targets.h>

#include <algorithm>
#include <cctype>
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

bool kernel_supported(const CompiledKernel& kernel) {
  if ((hwy::SupportedTargets() & kernel.target) == 0) return false;
#if defined(__x86_64__) || defined(__i386__)
  if (kernel.vaes && !__builtin_cpu_supports("vaes")) return false;
#endif
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
