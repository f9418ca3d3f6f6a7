// The Generator is assembled here, beside the kernels it dispatches to: src/core (spec, stream
// layout) knows nothing of kernels, and the kernels depend on core, one way.
#include "dgen/generator.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/stream_layout.hpp"
#include "kernels/kernel.hpp"

namespace dgen {

struct Generator::Impl {
  DataSpec spec;
  SimdTarget simd;
  detail::StreamLayout layout;
  kernels::GenerateFn kernel;
};

Generator::Generator(const DataSpec& spec, SimdTarget simd) {
  validate(spec);
  if (simd.name.empty()) simd = best_simd_target();
  const kernels::CompiledKernel* kernel = kernels::find_kernel(simd.name);
  if (kernel == nullptr) throw std::invalid_argument("--simd " + simd.name + ": not compiled in");
  if (!kernels::kernel_supported(*kernel)) {
    throw std::invalid_argument("--simd " + simd.name + ": this CPU does not support it");
  }
  simd.supported = true;
  impl_ = std::make_shared<const Impl>(
      Impl{spec, simd, detail::make_stream_layout(spec), kernel->generate});
}

void Generator::generate(std::uint64_t offset, std::span<std::byte> out, StoreMode mode) const {
  if (out.empty()) return;
  // The stream has 2^64 bytes: a range past its end would wrap to offset 0.
  if (out.size() - 1 > UINT64_MAX - offset) {
    throw std::out_of_range("stream range [" + std::to_string(offset) + ", +" +
                            std::to_string(out.size()) + ") goes past the 2^64-byte stream");
  }
  impl_->kernel(impl_->layout, offset, out.size(), reinterpret_cast<std::uint8_t*>(out.data()),
                mode == StoreMode::kStreaming);
}

const DataSpec& Generator::spec() const { return impl_->spec; }
const SimdTarget& Generator::simd() const { return impl_->simd; }
std::uint32_t Generator::random_bytes_per_block() const { return impl_->layout.random_bytes; }
std::uint32_t Generator::block_size() const { return impl_->layout.block_size; }

}  // namespace dgen
