#include "report/plan_report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "dgen/size.hpp"
#include "report/lists.hpp"

namespace dgen::report {

LaunchLines launch_lines(const topology::Machine& m, const topology::PlanRequest& req,
                         const std::vector<topology::RankPlan>& plans) {
  const int n = req.ranks;
  const int domains = static_cast<int>(m.domains.size());
  const int units = req.smt ? m.pus() : m.cores();
  int per_rank = 0;
  for (const auto& p : plans) per_rank = std::max(per_rank, p.threads());
  const std::string hint = req.smt ? " --hint=multithread" : " --hint=nomultithread";
  LaunchLines l;
  const std::string srun_base = "SRUN_CPUS_PER_TASK=" + std::to_string(per_rank) +
                                " srun --mpi=pmix -N 1 -n " + std::to_string(n) +
                                " --ntasks-per-node=" + std::to_string(n) +
                                " --cpus-per-task=" + std::to_string(per_rank) + hint;
  // Open MPI's PE mapping gives each rank the next `per_rank` cores in logical order: the plan,
  // when every rank has the same number and together they use all of them.
  const bool even = std::all_of(plans.begin(), plans.end(),
                                [&](const auto& p) { return p.threads() == per_rank; }) &&
                    per_rank * n == units;
  // Open MPI counts memory-only nodes as NUMA objects (flat-mode HBM): --map-by numa would put
  // ranks on them and leave sockets idle, so such machines use the PE mapping.
  // srun has one rule (slurm/dgen.sbatch uses it too): each task gets --cpus-per-task whole
  // cores in block order, --cpu-bind=cores; with one task per domain that is the domain's cores,
  // and dgen_mpi --bind auto re-places any rank the launcher put elsewhere.
  const std::string srun_cores = srun_base + " --cpu-bind=cores --distribution=block:block";
  if (n == domains && m.memory_only.empty()) {
    l.mpirun = "mpirun --map-by numa --bind-to numa -n " + std::to_string(n);
    l.srun = srun_cores;
  } else if (even) {
    l.mpirun = "mpirun --map-by ppr:" + std::to_string(n) + ":node:PE=" + std::to_string(per_rank) +
               (req.smt ? " --use-hwthread-cpus" : "") + " --bind-to core -n " + std::to_string(n);
    l.srun = srun_cores;
  } else {
    l.mpirun = "mpirun --bind-to none -n " + std::to_string(n);
    l.srun = srun_base + " --cpu-bind=none";
    l.note =
        "no launcher mapping gives this uneven split; dgen_mpi binds each rank itself (--bind "
        "auto)";
  }
  if (n > units)
    l.note = "more ranks than " + std::string(req.smt ? "PUs" : "cores") + ": oversubscribed";
  return l;
}

std::string render_plan_table(const topology::Machine& m, const topology::PlanRequest& req,
                              const std::vector<topology::RankPlan>& plans) {
  std::ostringstream o;
  o << "plan for " << m.source << ": " << m.domains.size() << " NUMA domain(s), " << m.cores()
    << " cores, " << m.pus() << " PUs";
  if (!m.memory_only.empty()) {
    o << "; memory-only nodes:";
    for (const auto& mo : m.memory_only) {
      o << " " << mo.os_index << " (" << (mo.subtype.empty() ? "no subtype" : mo.subtype) << ", "
        << format_size(mo.memory_bytes) << ")";
    }
  }
  o << "\nranks " << req.ranks << " per node, "
    << (req.smt ? "a thread per PU" : "a thread per core") << ", memory "
    << topology::to_string(req.memory) << "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%5s %5s %-12s %-10s %7s %s\n", "rank", "numa", "domains",
                "mem nodes", "threads", "cpus");
  o << line;
  for (const auto& p : plans) {
    std::snprintf(line, sizeof line, "%5d %5d %-12s %-10s %7d ", p.local_rank,
                  p.domains.empty() ? -1 : p.domains.front(), range_list(p.domains).c_str(),
                  comma_list(p.memory_nodes).c_str(), p.threads());
    o << line << range_list(p.cpus) << (p.oversubscribed ? "  (oversubscribed)" : "") << "\n";
  }
  const auto l = launch_lines(m, req, plans);
  o << "\nlaunch with:\n  " << l.mpirun << " dgen_mpi ...\n  " << l.srun << " dgen_mpi ...\n";
  if (!l.note.empty()) o << "note: " << l.note << "\n";
  return o.str();
}

nlohmann::ordered_json plan_to_json(const topology::Machine& m, const topology::PlanRequest& req,
                                    const std::vector<topology::RankPlan>& plans) {
  nlohmann::ordered_json j;
  j["topology"] = m.source;
  auto domains = nlohmann::ordered_json::array();
  for (const auto& d : m.domains) {
    domains.push_back({{"os_index", d.os_index},
                       {"logical_index", d.logical_index},
                       {"cores", d.cores.size()},
                       {"memory_bytes", d.memory_bytes},
                       {"near_memory_only", d.near_memory_only}});
  }
  j["domains"] = domains;
  auto memory_only = nlohmann::ordered_json::array();
  for (const auto& mo : m.memory_only) {
    memory_only.push_back({{"os_index", mo.os_index},
                           {"logical_index", mo.logical_index},
                           {"subtype", mo.subtype},
                           {"memory_bytes", mo.memory_bytes}});
  }
  j["memory_only_nodes"] = memory_only;
  j["ranks"] = req.ranks;
  j["smt"] = req.smt;
  j["memory"] = topology::to_string(req.memory);
  auto per_rank = nlohmann::ordered_json::array();
  for (const auto& p : plans) {
    per_rank.push_back({{"rank", p.local_rank},
                        {"local_rank", p.local_rank},
                        {"numa_node", p.domains.empty() ? -1 : p.domains.front()},
                        {"domains", p.domains},
                        {"memory_nodes", p.memory_nodes},
                        {"cpus", p.cpus},
                        {"threads", p.threads()},
                        {"oversubscribed", p.oversubscribed}});
  }
  j["per_rank"] = per_rank;
  const auto l = launch_lines(m, req, plans);
  j["launch"] = {{"mpirun", l.mpirun}, {"srun", l.srun}, {"note", l.note}};
  return j;
}

}  // namespace dgen::report
