#include "storage/tally.hpp"

namespace dgen::storage {

const char* op_name(int op) {
  static const char* const names[kOps] = {"write", "read", "fsync", "open",
                                          "close", "stat", "unlink"};
  return op >= 0 && op < kOps ? names[op] : "?";
}

}  // namespace dgen::storage
