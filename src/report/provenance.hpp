// Facts about the machine and the build for the report's provenance.
#pragma once

#include "report/report.hpp"

namespace dgen::report {

/// Everything but the command line, start time and host, which the caller knows.
Provenance local_provenance();

/// Now, as ISO 8601 UTC ("2026-11-24T05:00:00Z").
std::string utc_now();

}  // namespace dgen::report
