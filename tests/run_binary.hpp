// The dgen_mpi under test, mpirun, and the JSON a run prints: defined once for every suite that
// launches the program (each suite's target defines DGEN_MPI_BINARY).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <exception>
#include <string>

#include "run_process.hpp"

namespace dgen::test {

/// The dgen_mpi every suite runs: the build's, or DGEN_TEST_BINARY.
inline const std::string kBinary = binary_under_test(DGEN_MPI_BINARY);

/// mpirun as the suites start it, its whole run bounded by `seconds`: a rank that hangs fails
/// its test instead of the suite. Ends in a space, ready for "-n N".
inline std::string mpirun_within(int seconds) {
  return "timeout " + std::to_string(seconds) + " mpirun --oversubscribe ";
}

/// mpirun bounded at 120 s, the bound most suites use.
inline const std::string kMpirun = mpirun_within(120);

/// `text` as JSON; null, with a test failure that shows the text, when it is not JSON.
inline nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON:\n" << text;
    return {};
  }
}

/// A run's stdout as JSON; null, with a failure that shows its stdout and stderr, when it is not.
inline nlohmann::json parse_json(const ProcessResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON:\n" << r.out << r.err;
    return {};
  }
}

/// Runs `command`, expects exit code 0, and returns its stdout as JSON (null, after a failure
/// naming the command, when it failed or printed no JSON).
inline nlohmann::json run_json(const std::string& command) {
  const ProcessResult r = run_shell(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.out << r.err;
  if (r.exit_code != 0) return {};
  return parse_json(r);
}

}  // namespace dgen::test
