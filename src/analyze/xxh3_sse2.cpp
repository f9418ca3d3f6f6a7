// XXH3 for the x86-64 baseline (SSE2), or the compiler's default elsewhere.
#define XXH3_TARGET_FN xxh3_baseline
#include "analyze/xxh3_target.inc"
