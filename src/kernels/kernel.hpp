// The interface every SIMD kernel target implements, and the list of those compiled in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/stream_layout.hpp"

namespace dgen::kernels {

/// Writes stream bytes [offset, offset + len) to dst. `streaming` asks for non-temporal stores.
using GenerateFn = void (*)(const detail::StreamLayout& layout, std::uint64_t offset,
                            std::size_t len, std::uint8_t* dst, bool streaming);

/// Fills [dst, dst + len) with `value` using non-temporal (streaming) stores of the target's
/// vector width: the machine's write limit, the baseline generation is compared with.
using StreamFillFn = void (*)(std::uint8_t* dst, std::size_t len, std::uint8_t value);

/// One compiled target's kernel.
struct CompiledKernel {
  std::int64_t target;  ///< Highway target bit
  bool vaes;            ///< uses 256-bit VAES rounds on AVX2 (needs a VAES CPU)
  GenerateFn generate;
  StreamFillFn stream_fill;
};

/// Every kernel compiled into this binary, whether or not this CPU supports it.
std::span<const CompiledKernel> compiled_kernels();

/// Called once per target at static initialisation by generate_kernel.cpp.
bool register_kernel(CompiledKernel kernel);

/// The --simd name of a kernel: "scalar", "sse4", "avx2", "avx2-vaes", "avx512", "avx512-dl".
std::string kernel_name(const CompiledKernel& kernel);

/// Whether this CPU (and OS) can run the kernel.
bool kernel_supported(const CompiledKernel& kernel);

/// The compiled kernel called `name`, or nullptr.
const CompiledKernel* find_kernel(std::string_view name);

}  // namespace dgen::kernels
