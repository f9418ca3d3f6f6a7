// Where --report may go: never onto the data the run reads, writes or analyzes (a report
// written over --input data.bin replaces the data), and only where a file can be written,
// both checked before the run starts.
#pragma once

#include <string>

#include "mpi/request.hpp"

namespace dgen::app {

/// Why `report` may not take the report (or, `option` --timeline, the bandwidth over time) of
/// the run `request` asks for with `ranks` ranks: it is, or resolves to (the same device and inode,
/// or a path inside a dataset or analyzed directory), an input, output or analyzed path, or
/// `report_file` (the --report path, when another file is checked), or a file cannot be written
/// there. The sentence names the option and both paths; empty when the report may go there.
std::string report_problem(const std::string& option, const std::string& report,
                           const mpi::RunRequest& request, int ranks,
                           const std::string& report_file = "");

}  // namespace dgen::app
