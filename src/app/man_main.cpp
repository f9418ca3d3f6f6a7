// Prints the man page dgen_mpi(1) from the option table of --help: the build writes
// dgen_mpi.1 with it (src/CMakeLists.txt), so the two never disagree.
#include <iostream>

#include "app/options.hpp"

int main() {
  std::cout << dgen::app::man_page();
  return std::cout.good() ? 0 : 1;
}
