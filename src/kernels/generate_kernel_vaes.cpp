// The AVX2 kernel compiled once more with 256-bit VAES rounds; see generate_kernel.cpp.
#define DGEN_KERNEL_VAES 1
#include "kernels/generate_kernel.cpp"
