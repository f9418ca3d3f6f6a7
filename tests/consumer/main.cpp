// Uses the installed dgen library: prints the version, the SIMD target and the first byte.
#include <cstdio>
#include <dgen/dgen.hpp>
#include <vector>
int main() {
  dgen::Generator gen(dgen::DataSpec{});
  std::vector<std::byte> b(4096);
  gen.generate(0, b);
  std::printf("%s %s %02x\n", std::string(dgen::version()).c_str(), gen.simd().name.c_str(),
              (unsigned)b[0]);
}
