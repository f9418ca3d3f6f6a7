// The Python module dgen._dgen: the generator library for Python callers (python/dgen/ wraps
// it). A fill writes straight into the caller's buffer (the buffer protocol, no copy) with the
// GIL released, split over a pool of threads; arguments are checked against the library's ranges
// and refused with a message naming the Python argument (ValueError, or TypeError for a type).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#include "dgen/spec.hpp"
#include "dgen/version.hpp"

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

// The cpus of the NUMA node the calling thread runs on that it may run on; the affinity mask
// alone when sysfs does not say.
int cpus_of_this_numa_domain() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) != 0) return 1;
  const int allowed = CPU_COUNT(&mask);
  unsigned cpu = 0, node = 0;
  if (getcpu(&cpu, &node) != 0) return std::max(1, allowed);
  std::ifstream in("/sys/devices/system/node/node" + std::to_string(node) + "/cpulist");
  std::string list;
  if (!(in >> list)) return std::max(1, allowed);
  int count = 0;
  std::stringstream ranges(list);
  for (std::string range; std::getline(ranges, range, ',');) {
    const auto dash = range.find('-');
    const int lo = std::stoi(range.substr(0, dash));
    const int hi = dash == std::string::npos ? lo : std::stoi(range.substr(dash + 1));
    for (int c = lo; c <= hi; ++c) count += c < CPU_SETSIZE && CPU_ISSET(c, &mask) ? 1 : 0;
  }
  return std::max(1, count);
}

// Threads kept between fills: part 0 of a job runs on the caller, parts 1.. on the workers. A
// forked child (multiprocessing) inherits the pool's memory but not its threads, and perhaps a
// mutex some other thread held: it leaves that state alone (leaked, never joined) and starts
// its own.
class Pool {
 public:
  Pool() : state_(new State), pid_(getpid()) {}
  ~Pool() {
    if (getpid() != pid_) return;  // inherited: the threads are not ours to join
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->quit = true;
    }
    state_->wake.notify_all();
    for (auto& t : state_->workers) t.join();
    delete state_;
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs body(i) for i in [0, parts) and returns when all are done; the first exception is
  // rethrown here.
  void run(int parts, const std::function<void(int)>& body) {
    if (getpid() != pid_) {  // after fork(): a fresh state, the old one leaked on purpose
      state_ = new State;
      pid_ = getpid();
    }
    State& s = *state_;
    std::lock_guard<std::mutex> serial(s.run_mutex);  // one job at a time per generator
    while (static_cast<int>(s.workers.size()) < parts - 1) {
      const int index = static_cast<int>(s.workers.size()) + 1;
      s.workers.emplace_back([&s, index] { work(s, index); });
    }
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.body = &body;
      s.parts = parts;
      s.pending = parts - 1;
      s.error = nullptr;
      ++s.generation;
    }
    s.wake.notify_all();
    std::exception_ptr mine;
    try {
      body(0);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(s.mutex);
    s.done.wait(lock, [&s] { return s.pending == 0; });
    s.body = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (s.error) std::rethrow_exception(s.error);
  }

 private:
  struct State {
    std::mutex run_mutex, mutex;
    std::condition_variable wake, done;
    std::vector<std::thread> workers;
    const std::function<void(int)>* body = nullptr;
    int parts = 0, pending = 0;
    std::uint64_t generation = 0;
    bool quit = false;
    std::exception_ptr error;
  };

  static void work(State& s, int index) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* body = nullptr;
      {
        std::unique_lock<std::mutex> lock(s.mutex);
        s.wake.wait(lock, [&] { return s.quit || s.generation != seen; });
        if (s.quit) return;
        seen = s.generation;
        if (index >= s.parts) continue;  // this job has fewer parts
        body = s.body;
      }
      std::exception_ptr error;
      try {
        (*body)(index);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(s.mutex);
      if (error && !s.error) s.error = error;
      if (--s.pending == 0) s.done.notify_all();
    }
  }

  State* state_;
  pid_t pid_;
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

class PyGenerator {
 public:
  PyGenerator(const py::object& seed, const py::object& dedup_ratio, const py::object& dedup_unit,
              const py::object& compress_ratio, const py::object& compress_fill,
              const py::object& simd) {
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

  py::bytes generate(const py::object& offset_arg, const py::object& size_arg,
                     const py::object& threads_arg) {
    const std::uint64_t offset = int_arg(offset_arg, "offset", 0, UINT64_MAX);
    const std::uint64_t size = int_arg(size_arg, "size", 0, PY_SSIZE_T_MAX);
    const int threads = threads_of(threads_arg);
    check_range(offset, size, "size=" + std::to_string(size));
    PyObject* bytes = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
    if (bytes == nullptr) throw py::error_already_set();
    py::bytes out = py::reinterpret_steal<py::bytes>(bytes);
    auto* p = reinterpret_cast<std::byte*>(PyBytes_AS_STRING(bytes));
    {
      py::gil_scoped_release release;
      fill_bytes(p, size, offset, threads);
    }
    return out;
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
    pool_.run(parts, [&](int i) {
      const std::size_t first = granules * i / parts * kGranule;
      const std::size_t last = std::min(n, granules * (i + 1) / parts * kGranule);
      if (first < last) gen_->generate(offset + first, {p + first, last - first}, mode);
    });
  }

  std::optional<dgen::Generator> gen_;
  int default_threads_ = cpus_of_this_numa_domain();
  Pool pool_;
};

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
  py::class_<PyGenerator>(m, "Generator")
      .def(py::init<const py::object&, const py::object&, const py::object&, const py::object&,
                    const py::object&, const py::object&>(),
           py::kw_only(), py::arg("seed") = py::none(), py::arg("dedup_ratio") = 1.0,
           py::arg("dedup_unit") = 4096, py::arg("compress_ratio") = 1.0,
           py::arg("compress_fill") = "pattern", py::arg("simd") = "auto")
      .def("fill", &PyGenerator::fill, py::arg("buffer"), py::arg("offset") = 0,
           py::arg("threads") = py::none(),
           "Writes len(buffer) bytes of the stream from `offset` into the buffer, in place.")
      .def("generate", &PyGenerator::generate, py::arg("offset"), py::arg("size"),
           py::arg("threads") = py::none(), "The stream's bytes [offset, offset + size) as bytes.")
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
      .def_property_readonly("default_threads", &PyGenerator::default_threads);
}
