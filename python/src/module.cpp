// The Python module dgen._dgen: the generator library for Python callers (python/dgen/ wraps
// it). A fill writes straight into the caller's buffer (the buffer protocol, no copy) with the
// GIL released, split over a pool of threads; arguments are checked against the library's ranges
// and refused with a message naming the Python argument (ValueError, or TypeError for a type).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sched.h>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#include "dgen/size.hpp"
#include "dgen/spec.hpp"
#include "dgen/version.hpp"
#include "topology/memory.hpp"
#ifdef DGEN_PYTHON_HWLOC
#include "topology/binding.hpp"
#include "topology/machine.hpp"
#endif

namespace py = pybind11;

namespace {

// Arguments are checked here, before the library sees them, so that a message names the Python
// argument, its value (repr) and the accepted range: "threads=0: must be an integer from 1 to
// 4096, or None". A value of the wrong type raises TypeError and says its type as well.
std::string repr_of(const py::handle& value) { return py::repr(value); }
std::string type_name(const py::handle& value) {
  return py::str(py::type::of(value).attr("__name__"));
}
[[noreturn]] void wrong_type(const char* name, const py::handle& value, const std::string& want) {
  throw py::type_error(std::string(name) + "=" + repr_of(value) + ": must be " + want + ", not " +
                       type_name(value));
}
[[noreturn]] void wrong_value(const char* name, const py::handle& value, const std::string& want) {
  throw py::value_error(std::string(name) + "=" + repr_of(value) + ": must be " + want);
}

// An integer: anything with __index__ (int, numpy's integers), never bool. The range is checked
// in Python's arbitrary-precision integers, so -5 and 2**64 are named, not wrapped.
std::uint64_t int_arg(const py::handle& value, const char* name, std::uint64_t lo, std::uint64_t hi,
                      bool none_allowed = false) {
  const std::string want = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                           (none_allowed ? ", or None" : "");
  if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr())) wrong_type(name, value, want);
  const py::int_ v = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
  if (!v) throw py::error_already_set();
  if (v < py::int_(lo) || v > py::int_(hi)) wrong_value(name, value, want);
  return v.cast<std::uint64_t>();
}

// A real number (int, float, numpy's floats), never bool or str; finite and within [lo, hi].
double number_arg(const py::handle& value, const char* name, double lo, double hi) {
  std::ostringstream range;
  range << "a number from " << lo << " to " << hi;  // "1 to 100", as the CLI says it
  PyObject* p = value.ptr();
  if (PyBool_Check(p) || PyUnicode_Check(p) || PyBytes_Check(p) || PyByteArray_Check(p) ||
      !(PyFloat_Check(p) || PyLong_Check(p) || PyObject_HasAttrString(p, "__float__")))
    wrong_type(name, value, range.str());
  const double x = PyFloat_AsDouble(p);
  if (x == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  if (!std::isfinite(x) || x < lo || x > hi) wrong_value(name, value, range.str());
  return x;
}

// A str; `want` says what it may be.
std::string str_arg(const py::handle& value, const char* name, const std::string& want) {
  if (!PyUnicode_Check(value.ptr())) wrong_type(name, value, want);
  return value.cast<std::string>();
}

// ---------------------------------------------------------------- cpus and NUMA domains

std::vector<int> cpus_of(const cpu_set_t& mask) {
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &mask)) out.push_back(c);
  return out;
}

// The cpus the calling thread may run on.
std::vector<int> allowed_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) != 0) return {};
  return cpus_of(mask);
}

// The NUMA node of the cpu the calling thread runs on now (0 when the kernel does not say).
int current_node() {
  unsigned cpu = 0, node = 0;
  return getcpu(&cpu, &node) == 0 ? static_cast<int>(node) : 0;
}

// The NUMA domains (nodes with cpus) this thread may use: OS node index -> its cpus in the order
// threads take them, one per core first and then the cores' further hardware threads, as the
// CLI's placement plan does (with hwloc: src/topology/machine.cpp; without it, or when hwloc
// cannot read the machine, the kernel's lists in sysfs).
using Domains = std::map<int, std::vector<int>>;

// "0-3,8" -> {0, 1, 2, 3, 8} (the kernel's list format); empty when the file is not there.
std::vector<int> read_cpu_list(const std::string& path) {
  std::ifstream in(path);
  std::string list;
  std::vector<int> out;
  if (!(in >> list)) return out;
  std::stringstream ranges(list);
  for (std::string range; std::getline(ranges, range, ',');) {
    const auto dash = range.find('-');
    const int lo = std::stoi(range.substr(0, dash));
    const int hi = dash == std::string::npos ? lo : std::stoi(range.substr(dash + 1));
    for (int c = lo; c <= hi; ++c) out.push_back(c);
  }
  return out;
}

#ifdef DGEN_PYTHON_HWLOC
// This machine as the CLI's placement sees it, read once (hwloc takes milliseconds); throws
// std::runtime_error with hwloc's reason.
const dgen::topology::Machine& this_machine() {
  static const dgen::topology::Machine machine = dgen::topology::load_machine();
  return machine;
}
#endif

Domains domains_of(const std::vector<int>& allowed) {
  Domains out;
#ifdef DGEN_PYTHON_HWLOC
  try {
    for (const auto& d : dgen::topology::restrict_to(this_machine(), allowed).domains) {
      std::vector<int>& cpus = out[d.os_index];
      for (std::size_t smt = 0;; ++smt) {  // the first PU of every core, then the second, ...
        bool any = false;
        for (const auto& core : d.cores) {
          if (smt < core.pus.size()) {
            cpus.push_back(core.pus[smt]);
            any = true;
          }
        }
        if (!any) break;
      }
    }
    if (!out.empty()) return out;
  } catch (const std::exception&) {
    out.clear();  // hwloc cannot read this machine: the kernel's lists below
  }
#endif
  const std::set<int> may(allowed.begin(), allowed.end());
  for (int node : read_cpu_list("/sys/devices/system/node/online")) {
    for (int c : read_cpu_list("/sys/devices/system/node/node" + std::to_string(node) + "/cpulist"))
      if (may.count(c)) out[node].push_back(c);
  }
  if (out.empty() && !allowed.empty()) out[0] = allowed;  // no NUMA information: one domain
  return out;
}

// The domains for the thread's affinity now, remembered for that mask (a fill may ask per call).
const Domains& this_threads_domains() {
  static std::mutex mutex;
  static std::vector<int> last_allowed;
  static Domains last;
  static bool known = false;
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<int> allowed = allowed_cpus();
  if (!known || allowed != last_allowed) {
    last = domains_of(allowed);
    last_allowed = std::move(allowed);
    known = true;
  }
  return last;
}

// The cpus of the NUMA domain the calling thread runs on that it may run on (all it may run on
// when its node has none of them).
std::vector<int> cpus_of_this_domain() {
  const Domains& d = this_threads_domains();
  const auto here = d.find(current_node());
  if (here != d.end()) return here->second;
  return allowed_cpus();
}

int cpus_of_this_numa_domain() {
  return std::max<int>(1, static_cast<int>(cpus_of_this_domain().size()));
}

// dgen-py's numa_mode (case-insensitive, "disable" too, as dgen-py) and numa_node, as the
// library's placement: the cpus the pool's threads are pinned to, or None (threads float).
//  - numa_node N: the cpus of domain N, whatever the mode (dgen-py binds to it in any mode);
//  - "disabled": none;
//  - "auto": the caller's domain when this process may use more than one domain, else none;
//  - "force": the caller's domain, one domain or many.
// First touch does the rest: each page lands on the node of the pinned thread that writes it.
py::object placement_cpus(const py::object& numa_mode, const py::object& numa_node) {
  const char* modes = "'auto', 'force' or 'disabled'";
  std::string mode = str_arg(numa_mode, "numa_mode", modes);
  std::transform(mode.begin(), mode.end(), mode.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (mode == "disable") mode = "disabled";
  if (mode != "auto" && mode != "force" && mode != "disabled")
    wrong_value("numa_mode", numa_mode, modes);
  const Domains& domains = this_threads_domains();
  if (!numa_node.is_none()) {
    std::string nodes;
    for (const auto& [node, cpus] : domains) {
      if (!nodes.empty()) nodes += ", ";
      nodes += std::to_string(node);
    }
    const std::string want = "a NUMA node with cpus this process may use (" + nodes + "), or None";
    if (PyBool_Check(numa_node.ptr()) || !PyIndex_Check(numa_node.ptr()))
      wrong_type("numa_node", numa_node, want);
    const py::int_ v = py::reinterpret_steal<py::int_>(PyNumber_Index(numa_node.ptr()));
    if (!v) throw py::error_already_set();
    const auto it =
        v < py::int_(0) || v > py::int_(INT32_MAX) ? domains.end() : domains.find(v.cast<int>());
    if (it == domains.end()) wrong_value("numa_node", numa_node, want);
    return py::cast(it->second);
  }
  if (mode == "disabled" || (mode == "auto" && domains.size() < 2)) return py::none();
  return py::cast(cpus_of_this_domain());
}

// dgen-py's get_numa_info(): its five keys, from hwloc as the CLI reads the machine. num_nodes
// counts the NUMA nodes hwloc shows this process (with cpus or memory only); the cores and
// hardware threads are those the calling thread may run on, so logical_cpus is what
// os.sched_getaffinity(0) holds and physical_cores the cores they belong to.
#ifdef DGEN_PYTHON_HWLOC
py::dict numa_info() {
  const dgen::topology::Machine& m = this_machine();  // std::runtime_error: RuntimeError
  const dgen::topology::Machine mine = dgen::topology::restrict_to(m, allowed_cpus());
  const auto nodes = static_cast<int>(m.domains.size() + m.memory_only.size());
  py::dict d;
  d["num_nodes"] = std::max(1, nodes);
  d["physical_cores"] = mine.cores();
  d["logical_cpus"] = mine.pus();
  d["is_uma"] = nodes <= 1;
  d["deployment_type"] = nodes <= 1 ? "UMA (single NUMA node - cloud VM or workstation)"
                                    : "NUMA (multi-socket system or large cloud VM)";
  return d;
}
#endif

// ---------------------------------------------------------------- the thread pool

// A spin of up to `limit` before sleeping: a fill that follows another at once (a streaming
// loop) finds its threads awake, as an OpenMP team between regions.
template <class Ready>
bool spin_until(Ready ready, std::chrono::microseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (int i = 0;; ++i) {
    if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= end) return ready();
  }
}

// Pins the calling thread to one cpu; restores what it had when destroyed (the caller's thread
// is the user's: it is pinned only while it works on its part).
class ThreadPin {
 public:
  explicit ThreadPin(int cpu, bool restore) : restore_(restore) {
    cpu_set_t one;
    CPU_ZERO(&one);
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
      throw std::runtime_error("numa placement: cpu " + std::to_string(cpu) +
                               " is beyond what a cpu_set_t holds");
    }
    CPU_SET(cpu, &one);
    if (restore_) saved_ok_ = pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0;
    const int rc = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    if (rc != 0) {
      throw std::runtime_error("numa placement: cannot pin a thread to cpu " + std::to_string(cpu) +
                               ": " + std::strerror(rc));
    }
  }
  ~ThreadPin() {
    if (restore_ && saved_ok_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
  }
  ThreadPin(const ThreadPin&) = delete;
  ThreadPin& operator=(const ThreadPin&) = delete;

 private:
  bool restore_;
  bool saved_ok_ = false;
  cpu_set_t saved_{};
};

// Threads kept between fills: part 0 of a job runs on the caller, parts 1.. on the workers.
// With cpus (a placement), part i runs on cpus[i % cpus.size()]: worker i pinned for its life,
// the caller while it works on part 0. One job at a time; generators may share a pool (the
// compat layer's per-call functions share one per Python thread). A forked child
// (multiprocessing) inherits the pool's memory but not its threads, and perhaps a mutex some
// other thread held: it leaves that state alone (leaked, never joined) and starts its own.
class Pool {
 public:
  // The cpus start at the one the creating thread runs on, when it is one of them: processes
  // that each pin a few threads (several dgen-py scripts with max_threads=2, say) then spread
  // over the domain instead of piling onto its first cpus.
  explicit Pool(std::vector<int> cpus = {})
      : state_(new State), pid_(getpid()), cpus_(std::move(cpus)) {
    const auto here = std::find(cpus_.begin(), cpus_.end(), sched_getcpu());
    if (here != cpus_.end()) std::rotate(cpus_.begin(), here, cpus_.end());
  }
  ~Pool() {
    if (getpid() != pid_) return;  // inherited: the threads are not ours to join
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->quit.store(true);
    }
    state_->wake.notify_all();
    for (auto& t : state_->workers) t.join();
    delete state_;
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  const std::vector<int>& cpus() const { return cpus_; }
  int workers() const { return getpid() == pid_ ? static_cast<int>(state_->workers.size()) : 0; }

  // Runs body(i) for i in [0, parts) and returns when all are done; the first exception is
  // rethrown here.
  void run(int parts, const std::function<void(int)>& body) {
    if (getpid() != pid_) {  // after fork(): a fresh state, the old one leaked on purpose
      state_ = new State;
      pid_ = getpid();
    }
    State& s = *state_;
    std::lock_guard<std::mutex> serial(s.run_mutex);
    start_workers(s, parts - 1);
    s.body = &body;
    s.error = nullptr;
    s.pending.store(parts - 1, std::memory_order_relaxed);
    {
      // Under the mutex: a worker about to sleep has either seen the new ticket or is waiting.
      std::lock_guard<std::mutex> lock(s.mutex);
      const std::uint64_t generation = (s.ticket.load(std::memory_order_relaxed) >> 16) + 1;
      s.ticket.store(generation << 16 | static_cast<std::uint64_t>(parts),
                     std::memory_order_release);
    }
    s.wake.notify_all();  // no system call when every worker is still spinning
    std::exception_ptr mine;
    try {
      std::optional<ThreadPin> pin;
      if (!cpus_.empty()) pin.emplace(cpus_[0], true);
      body(0);
    } catch (...) {
      mine = std::current_exception();
    }
    const auto all_done = [&s] { return s.pending.load(std::memory_order_acquire) == 0; };
    if (!spin_until(all_done, std::chrono::microseconds(kCallerSpinUs))) {
      std::unique_lock<std::mutex> lock(s.mutex);
      s.done.wait(lock, all_done);
    }
    s.body = nullptr;
    if (mine) std::rethrow_exception(mine);
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.error) std::rethrow_exception(s.error);
  }

 private:
  static constexpr int kCallerSpinUs = 200, kWorkerSpinUs = 200;

  struct State {
    std::mutex run_mutex, mutex;
    std::condition_variable wake, done;
    std::vector<std::thread> workers;
    const std::function<void(int)>* body = nullptr;
    // generation << 16 | parts, in one word so that a worker reads a job's parts with it.
    std::atomic<std::uint64_t> ticket{0};
    std::atomic<int> pending{0};
    std::atomic<bool> quit{false};
    std::exception_ptr error;
    int started = 0;        // workers that are running (pinned, if the pool has cpus)
    std::string pin_error;  // why a worker could not be pinned
  };

  // Starts workers until there are `count`, each pinned before it takes a part.
  void start_workers(State& s, int count) {
    const int before = static_cast<int>(s.workers.size());
    if (before >= count) {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (!s.pin_error.empty()) throw std::runtime_error(s.pin_error);
      return;
    }
    for (int index = before + 1; index <= count; ++index) {
      const int cpu = cpus_.empty() ? -1 : cpus_[static_cast<std::size_t>(index) % cpus_.size()];
      s.workers.emplace_back([&s, index, cpu] { work(s, index, cpu); });
    }
    std::unique_lock<std::mutex> lock(s.mutex);
    s.done.wait(lock, [&] { return s.started == count; });
    if (!s.pin_error.empty()) throw std::runtime_error(s.pin_error);
  }

  static void work(State& s, int index, int cpu) {
    std::optional<ThreadPin> pin;
    std::uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      try {
        if (cpu >= 0) pin.emplace(cpu, false);
      } catch (const std::exception& e) {
        if (s.pin_error.empty()) s.pin_error = e.what();
      }
      seen = s.ticket.load(std::memory_order_relaxed) >> 16;
      ++s.started;
    }
    s.done.notify_all();
    for (;;) {
      const auto news = [&] {
        return (s.ticket.load(std::memory_order_acquire) >> 16) != seen || s.quit.load();
      };
      if (!spin_until(news, std::chrono::microseconds(kWorkerSpinUs))) {
        std::unique_lock<std::mutex> lock(s.mutex);
        s.wake.wait(lock, news);
      }
      if (s.quit.load()) return;
      const std::uint64_t ticket = s.ticket.load(std::memory_order_acquire);
      seen = ticket >> 16;
      if (index >= static_cast<int>(ticket & 0xffff)) continue;  // this job has fewer parts
      // The job cannot end before this part is done, so its body is still there.
      std::exception_ptr error;
      try {
        (*s.body)(index);
      } catch (...) {
        error = std::current_exception();
      }
      if (error) {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (!s.error) s.error = error;
      }
      if (s.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(s.mutex);  // the caller checks under it before waiting
        s.done.notify_all();
      }
    }
  }

  State* state_;
  pid_t pid_;
  std::vector<int> cpus_;
};

// A pool for Python (dgen._dgen._Pool): generators built with it share its threads.
struct PyPool {
  std::shared_ptr<Pool> pool;
};

// A buffer of the buffer protocol, held for the call.
class Buffer {
 public:
  Buffer(const py::object& object, bool writable) {
    const int flags = PyBUF_ANY_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object.ptr(), &view_, flags) != 0) {
      PyErr_Clear();
      throw py::type_error(std::string("buffer: must be a ") + (writable ? "writable " : "") +
                           "contiguous buffer (bytearray, memoryview, numpy array, mmap), not " +
                           type_name(object));
    }
  }
  ~Buffer() { PyBuffer_Release(&view_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  std::byte* data() const { return static_cast<std::byte*>(view_.buf); }
  std::size_t size() const { return static_cast<std::size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// The BytesView type, made at import (make_bytes_view_type).
PyTypeObject* bytes_view_type = nullptr;

// An allocation of `bytes` that this node cannot hold is refused with the numbers, as dgen_mpi
// refuses its buffer, instead of ending in the OOM killer (Linux overcommits: the allocation
// itself would succeed). Small ones are not checked (reading the limits takes microseconds).
void check_memory(const char* what, std::uint64_t bytes) {
  if (bytes < (256ULL << 20)) return;
  const auto limits = dgen::topology::read_memory_limits();
  if (bytes <= limits.usable()) return;
  PyErr_SetString(PyExc_MemoryError,
                  (std::string(what) + "=" + std::to_string(bytes) + " bytes (" +
                   dgen::format_size(bytes) + "): more than this node can give (" +
                   dgen::format_size(limits.usable()) + "; " + limits.describe() + ")")
                      .c_str());
  throw py::error_already_set();
}

class PyGenerator {
 public:
  PyGenerator(const py::object& seed, const py::object& dedup_ratio, const py::object& dedup_unit,
              const py::object& compress_ratio, const py::object& compress_fill,
              const py::object& simd, const py::object& numa_mode, const py::object& numa_node,
              const py::object& pool) {
    // The placement first: numa_mode and numa_node are checked whether or not a pool is given.
    const py::object cpus = placement_cpus(numa_mode, numa_node);
    if (!pool.is_none()) {
      pool_ = pool.cast<const PyPool&>().pool;
    } else {
      pool_ = std::make_shared<Pool>(cpus.is_none() ? std::vector<int>{}
                                                    : cpus.cast<std::vector<int>>());
    }
    default_threads_ =
        pool_->cpus().empty() ? cpus_of_this_numa_domain() : static_cast<int>(pool_->cpus().size());
    dgen::DataSpec spec;
    if (!seed.is_none()) spec.seed = int_arg(seed, "seed", 0, UINT64_MAX, true);
    spec.dedup_ratio =
        number_arg(dedup_ratio, "dedup_ratio", dgen::kMinDedupRatio, dgen::kMaxDedupRatio);
    spec.compress_ratio = number_arg(compress_ratio, "compress_ratio", dgen::kMinCompressRatio,
                                     dgen::kMaxCompressRatio);
    const std::string unit_range = "a power of two from " + std::to_string(dgen::kMinDedupUnit) +
                                   " to " + std::to_string(dgen::kMaxDedupUnit) + " (512B to 1MiB)";
    if (PyBool_Check(dedup_unit.ptr()) || !PyIndex_Check(dedup_unit.ptr()))
      wrong_type("dedup_unit", dedup_unit, unit_range);
    const py::int_ unit_int = py::reinterpret_steal<py::int_>(PyNumber_Index(dedup_unit.ptr()));
    if (!unit_int) throw py::error_already_set();
    if (unit_int < py::int_(dgen::kMinDedupUnit) || unit_int > py::int_(dgen::kMaxDedupUnit))
      wrong_value("dedup_unit", dedup_unit, unit_range);
    const auto unit = unit_int.cast<std::uint64_t>();
    if ((unit & (unit - 1)) != 0) wrong_value("dedup_unit", dedup_unit, unit_range);
    spec.dedup_unit = unit;
    const std::string fill = str_arg(compress_fill, "compress_fill", "'zero' or 'pattern'");
    if (fill != "zero" && fill != "pattern")
      wrong_value("compress_fill", compress_fill, "'zero' or 'pattern'");
    spec.compress_fill = dgen::parse_compress_fill(fill);
    const std::string simd_name = str_arg(simd, "simd", "'auto' or a compiled target's name");
    dgen::SimdTarget target;
    if (simd_name != "auto") {
      try {
        target = dgen::select_simd_target(simd_name);
      } catch (const std::invalid_argument& e) {
        // The library names the CLI's option ("--simd NAME: ..."): the reason, under our name.
        const std::string what = e.what();
        const auto colon = what.find(": ");
        throw py::value_error("simd=" + repr_of(simd) + ": " +
                              (colon == std::string::npos ? what : what.substr(colon + 2)));
      }
    }
    gen_.emplace(spec, target);
  }

  void fill(const py::object& buffer, const py::object& offset_arg, const py::object& threads_arg) {
    const std::uint64_t offset = int_arg(offset_arg, "offset", 0, UINT64_MAX);
    const int threads = threads_of(threads_arg);
    Buffer b(buffer, true);
    check_range(offset, b.size(), std::to_string(b.size()) + " bytes");
    py::gil_scoped_release release;
    fill_bytes(b.data(), b.size(), offset, threads);
  }

  // The first min(len(buffer), limit) bytes of the buffer; returns that count (dgen-py's
  // fill_chunk: the last chunk of a stream may be shorter than the buffer).
  std::uint64_t fill_upto(const py::object& buffer, const py::object& limit_arg,
                          const py::object& offset_arg, const py::object& threads_arg) {
    const std::uint64_t limit = int_arg(limit_arg, "limit", 0, UINT64_MAX);
    const std::uint64_t offset = int_arg(offset_arg, "offset", 0, UINT64_MAX);
    const int threads = threads_of(threads_arg);
    Buffer b(buffer, true);
    const std::uint64_t n = std::min<std::uint64_t>(b.size(), limit);
    check_range(offset, n, std::to_string(n) + " bytes");
    if (n == 0) return 0;
    py::gil_scoped_release release;
    fill_bytes(b.data(), n, offset, threads);
    return n;
  }

  py::bytes generate(const py::object& offset_arg, const py::object& size_arg,
                     const py::object& threads_arg) {
    return generate_as(offset_arg, size_arg, threads_arg, nullptr);
  }

  // The same as a BytesView (dgen.compat's type: a bytes object by another name).
  py::bytes generate_view(const py::object& offset_arg, const py::object& size_arg,
                          const py::object& threads_arg) {
    return generate_as(offset_arg, size_arg, threads_arg, bytes_view_type);
  }

  std::optional<std::uint64_t> first_mismatch(const py::object& buffer,
                                              const py::object& offset_arg) {
    const std::uint64_t offset = int_arg(offset_arg, "offset", 0, UINT64_MAX);
    Buffer b(buffer, false);
    check_range(offset, b.size(), std::to_string(b.size()) + " bytes");
    py::gil_scoped_release release;
    // The stream regenerated in pieces that stay in cache beside the bytes compared.
    constexpr std::size_t kPiece = 64 << 10;
    std::vector<std::byte> want(kPiece);
    for (std::size_t at = 0; at < b.size(); at += kPiece) {
      const std::size_t n = std::min(kPiece, b.size() - at);
      gen_->generate(offset + at, {want.data(), n});
      if (std::memcmp(want.data(), b.data() + at, n) == 0) continue;
      for (std::size_t i = 0; i < n; ++i)
        if (want[i] != b.data()[at + i]) return offset + at + i;
    }
    return std::nullopt;
  }

  std::string simd() const { return gen_->simd().name; }
  int threads_of(const py::object& threads) const {
    return threads.is_none() ? default_threads_
                             : static_cast<int>(int_arg(threads, "threads", 1, 4096, true));
  }
  const dgen::DataSpec& spec() const { return gen_->spec(); }
  int default_threads() const { return default_threads_; }
  const Pool& pool() const { return *pool_; }

 private:
  // `what` says the length as the caller gave it: "size=6", or "10 bytes" (a buffer's).
  static void check_range(std::uint64_t offset, std::uint64_t size, const std::string& what) {
    if (size > 0 && size - 1 > UINT64_MAX - offset)  // the stream's last byte is at 2^64 - 1
      throw py::value_error("offset=" + std::to_string(offset) + " with " + what +
                            ": past the stream's end (2**64 bytes)");
  }

  // Parts start on multiples of 64 KiB: any split gives the same bytes; this one keeps threads
  // off each other's cache lines and pages.
  void fill_bytes(std::byte* p, std::size_t n, std::uint64_t offset, int threads) {
    constexpr std::size_t kGranule = 64 << 10;
    const int parts = static_cast<int>(
        std::max<std::size_t>(1, std::min<std::size_t>(threads, (n + kGranule - 1) / kGranule)));
    // As dgen_mpi's bench mode: non-temporal stores when a thread's part is beyond the caches.
    const dgen::StoreMode mode =
        n / parts > (8u << 20) ? dgen::StoreMode::kStreaming : dgen::StoreMode::kCached;
    if (parts == 1) {
      gen_->generate(offset, {p, n}, mode);
      return;
    }
    const std::size_t granules = (n + kGranule - 1) / kGranule;
    pool_->run(parts, [&](int i) {
      const std::size_t first = granules * i / parts * kGranule;
      const std::size_t last = std::min(n, granules * (i + 1) / parts * kGranule);
      if (first < last) gen_->generate(offset + first, {p + first, last - first}, mode);
    });
  }

  // [offset, offset + size) into a new bytes object, written in place (no copy), then given
  // `type` (a subclass of bytes with bytes' layout) when there is one.
  py::bytes generate_as(const py::object& offset_arg, const py::object& size_arg,
                        const py::object& threads_arg, PyTypeObject* type) {
    const std::uint64_t offset = int_arg(offset_arg, "offset", 0, UINT64_MAX);
    const std::uint64_t size = int_arg(size_arg, "size", 0, PY_SSIZE_T_MAX);
    const int threads = threads_of(threads_arg);
    check_range(offset, size, "size=" + std::to_string(size));
    check_memory("size", size);
    if (size == 0) {  // never retype bytes' shared empty object: a new empty instance instead
      PyObject* empty =
          type ? PyObject_CallNoArgs(reinterpret_cast<PyObject*>(type)) : PyBytes_FromString("");
      if (empty == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::bytes>(empty);
    }
    PyObject* bytes = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
    if (bytes == nullptr) throw py::error_already_set();
    py::bytes out = py::reinterpret_steal<py::bytes>(bytes);
    auto* p = reinterpret_cast<std::byte*>(PyBytes_AS_STRING(bytes));
    {
      py::gil_scoped_release release;
      fill_bytes(p, size, offset, threads);
    }
    if (type != nullptr) {
      // A fresh bytes object of size >= 1 (PyBytes_FromStringAndSize(NULL, n) never shares
      // one), and a subclass that adds nothing to bytes' layout (checked at import): the object
      // becomes an instance of it, holding a reference to its heap type as instances do.
      Py_INCREF(type);
      Py_SET_TYPE(bytes, type);
    }
    return out;
  }

  std::optional<dgen::Generator> gen_;
  std::shared_ptr<Pool> pool_;
  int default_threads_ = 1;
};

// ---------------------------------------------------------------- BytesView, create_bytearrays

const char* const kBytesViewDoc =
    "dgen-py's BytesView: generated bytes shared, not copied, with whatever reads them.\n\n"
    "A bytes object by another name (a subclass of bytes that adds nothing): the generator "
    "wrote into its memory, and memoryview(v) and numpy.frombuffer(v) read that memory, "
    "read-only, as dgen-py's; bytes(v) copies. len(), slicing and == work as for bytes.";

// Built at import: a heap subclass of bytes without the garbage collector's header (a type
// made with class or type() would have one, and bytes objects have none), so that a bytes
// object can become one in place.
void make_bytes_view_type(py::module_& m) {
  static PyType_Slot slots[] = {{Py_tp_doc, const_cast<char*>(kBytesViewDoc)}, {0, nullptr}};
  static PyType_Spec spec = {"dgen.compat.BytesView", 0, 0, Py_TPFLAGS_DEFAULT, slots};
  py::tuple bases = py::make_tuple(py::handle(reinterpret_cast<PyObject*>(&PyBytes_Type)));
  PyObject* made = PyType_FromSpecWithBases(&spec, bases.ptr());
  if (made == nullptr) throw py::error_already_set();
  auto* type = reinterpret_cast<PyTypeObject*>(made);
  if (type->tp_basicsize != PyBytes_Type.tp_basicsize ||
      type->tp_itemsize != PyBytes_Type.tp_itemsize || PyType_IS_GC(type) ||
      !PyType_HasFeature(type, Py_TPFLAGS_BYTES_SUBCLASS)) {
    Py_DECREF(made);
    throw py::import_error("dgen: BytesView would not have bytes' layout in this interpreter");
  }
  m.attr("BytesView") = py::reinterpret_steal<py::object>(made);
  bytes_view_type = type;  // the module holds the reference
}

// dgen-py's create_bytearrays: `count` bytearrays of `size` bytes. Their memory comes from
// calloc, not from writing zeros: a large one is fresh pages from the kernel, zero and not yet
// touched (dgen-py's are uninitialized, whatever the allocator had; these read as zeros).
py::list create_bytearrays(const py::object& count_arg, const py::object& size_arg) {
  const std::uint64_t count = int_arg(count_arg, "count", 0, PY_SSIZE_T_MAX);
  const std::uint64_t size = int_arg(size_arg, "size", 0, PY_SSIZE_T_MAX - 1);
  const unsigned __int128 total = static_cast<unsigned __int128>(count) * size;
  check_memory("count * size", total > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(total));
  py::list out(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    PyObject* b = PyByteArray_FromStringAndSize(nullptr, 0);
    if (b == nullptr) throw py::error_already_set();
    PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), b);  // the list owns it (and frees
                                                                // it if a later one fails)
    if (size == 0) continue;
    // A bytearray owns ob_bytes and frees it with PyObject_Free: its memory may come from
    // PyObject_Calloc as well as from its own PyObject_Malloc.
    auto* mem = static_cast<char*>(PyObject_Calloc(1, static_cast<std::size_t>(size) + 1));
    if (mem == nullptr) {
      PyErr_NoMemory();
      throw py::error_already_set();
    }
    auto* array = reinterpret_cast<PyByteArrayObject*>(b);
    PyObject_Free(array->ob_bytes);
    array->ob_bytes = array->ob_start = mem;
    array->ob_alloc = static_cast<Py_ssize_t>(size) + 1;
    Py_SET_SIZE(array, static_cast<Py_ssize_t>(size));
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_dgen, m) {
  m.doc() = "dgen: synthetic data with exact deduplication and compression ratios";
  m.attr("__version__") = std::string(dgen::version());
  m.attr("DATA_MODEL_VERSION") = dgen::kDataModelVersion;
  m.def(
      "simd_targets",
      [] {
        py::list out;
        for (const auto& t : dgen::compiled_simd_targets()) {
          py::dict d;
          d["name"] = t.name;
          d["supported"] = t.supported;
          out.append(d);
        }
        return out;
      },
      "The compiled kernels: [{'name': ..., 'supported': bool}], the best first.");
  make_bytes_view_type(m);
  m.def("create_bytearrays", &create_bytearrays, py::arg("count"), py::arg("size"),
        "dgen-py's create_bytearrays: a list of `count` bytearrays of `size` bytes each, "
        "allocated without being written (fill them before reading).");
  m.def("_placement_cpus", &placement_cpus, py::arg("numa_mode"), py::arg("numa_node"),
        "The cpus dgen-py's numa_mode and numa_node pin a pool's threads to, or None.");
  m.def(
      "_domains", [] { return this_threads_domains(); },
      "The NUMA domains this thread may use: node -> cpus, in the order threads take them.");
#ifdef DGEN_PYTHON_HWLOC
  m.def("numa_info", &numa_info,
        "dgen-py's get_numa_info(): num_nodes, physical_cores, logical_cpus, is_uma, "
        "deployment_type (hwloc; RuntimeError when it cannot read the machine).");
#endif
  py::class_<PyPool>(m, "_Pool")
      .def(py::init([](const py::object& cpus) {
             std::vector<int> list;
             if (!cpus.is_none()) list = cpus.cast<std::vector<int>>();
             return PyPool{std::make_shared<Pool>(std::move(list))};
           }),
           py::arg("cpus") = py::none())
      .def_property_readonly("cpus", [](const PyPool& p) { return p.pool->cpus(); })
      .def_property_readonly("workers", [](const PyPool& p) { return p.pool->workers(); });
  py::class_<PyGenerator>(m, "Generator")
      .def(py::init<const py::object&, const py::object&, const py::object&, const py::object&,
                    const py::object&, const py::object&, const py::object&, const py::object&,
                    const py::object&>(),
           py::kw_only(), py::arg("seed") = py::none(), py::arg("dedup_ratio") = 1.0,
           py::arg("dedup_unit") = 4096, py::arg("compress_ratio") = 1.0,
           py::arg("compress_fill") = "pattern", py::arg("simd") = "auto",
           py::arg("numa_mode") = "auto", py::arg("numa_node") = py::none(),
           py::arg("_pool") = py::none())
      .def("fill", &PyGenerator::fill, py::arg("buffer"), py::arg("offset") = 0,
           py::arg("threads") = py::none(),
           "Writes len(buffer) bytes of the stream from `offset` into the buffer, in place.")
      .def("generate", &PyGenerator::generate, py::arg("offset"), py::arg("size"),
           py::arg("threads") = py::none(), "The stream's bytes [offset, offset + size) as bytes.")
      .def("_fill_upto", &PyGenerator::fill_upto, py::arg("buffer"), py::arg("limit"),
           py::arg("offset"), py::arg("threads") = py::none(),
           "Writes the first min(len(buffer), limit) bytes; returns that count.")
      .def("_generate_view", &PyGenerator::generate_view, py::arg("offset"), py::arg("size"),
           py::arg("threads") = py::none(), "The same as a dgen.compat.BytesView.")
      .def("first_mismatch", &PyGenerator::first_mismatch, py::arg("buffer"), py::arg("offset") = 0,
           "The stream offset of the first byte of `buffer` that differs from the stream at "
           "`offset`, or None.")
      .def_property_readonly("simd", &PyGenerator::simd)
      .def_property_readonly("seed", [](const PyGenerator& g) { return g.spec().seed; })
      .def_property_readonly("dedup_ratio",
                             [](const PyGenerator& g) { return g.spec().dedup_ratio; })
      .def_property_readonly("dedup_unit", [](const PyGenerator& g) { return g.spec().dedup_unit; })
      .def_property_readonly("compress_ratio",
                             [](const PyGenerator& g) { return g.spec().compress_ratio; })
      .def_property_readonly(
          "compress_fill",
          [](const PyGenerator& g) { return std::string(dgen::to_string(g.spec().compress_fill)); })
      .def_property_readonly("default_threads", &PyGenerator::default_threads)
      .def_property_readonly(
          "cpus",
          [](const PyGenerator& g) -> py::object {
            if (g.pool().cpus().empty()) return py::none();
            return py::cast(g.pool().cpus());
          },
          "The cpus its threads are pinned to (thread i on cpus[i % len]), or None: floating.");
}
