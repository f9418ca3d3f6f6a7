// Helpers shared by the tests: stream bytes, unit hashing, real compressors.
#pragma once

#include <lz4.h>
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dgen/generator.hpp"

namespace dgen::test {

inline std::vector<std::byte> bytes_of(const Generator& gen, std::uint64_t offset, std::size_t n) {
  std::vector<std::byte> out(n);
  gen.generate(offset, out);
  return out;
}

/// The first n bytes of the stream as a string, to compare with a file's contents.
inline std::string stream_text(const DataSpec& spec, std::uint64_t n) {
  std::string out(n, '\0');
  Generator(spec).generate(0, {reinterpret_cast<std::byte*>(out.data()), n});
  return out;
}

inline std::string_view view(const std::byte* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

inline std::size_t zstd_size(const std::byte* p, std::size_t n, int level = 3) {
  std::vector<char> out(ZSTD_compressBound(n));
  const std::size_t r = ZSTD_compress(out.data(), out.size(), p, n, level);
  if (ZSTD_isError(r)) throw std::runtime_error(ZSTD_getErrorName(r));
  return r;
}

inline std::size_t lz4_size(const std::byte* p, std::size_t n) {
  std::vector<char> out(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(n))));
  const int r = LZ4_compress_default(reinterpret_cast<const char*>(p), out.data(),
                                     static_cast<int>(n), static_cast<int>(out.size()));
  if (r <= 0) throw std::runtime_error("lz4 failed");
  return static_cast<std::size_t>(r);
}

inline std::size_t zlib_size(const std::byte* p, std::size_t n, int level = 6) {
  uLongf len = compressBound(static_cast<uLong>(n));
  std::vector<Bytef> out(len);
  if (compress2(out.data(), &len, reinterpret_cast<const Bytef*>(p), static_cast<uLong>(n),
                level) != Z_OK) {
    throw std::runtime_error("zlib failed");
  }
  return len;
}

}  // namespace dgen::test
