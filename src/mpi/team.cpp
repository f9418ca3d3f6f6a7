#include "mpi/team.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdlib>

#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

namespace {

// Why OpenMP may give fewer threads than asked, for the message.
std::string limits_in_force() {
  std::string why;
  for (const char* var : {"OMP_THREAD_LIMIT", "OMP_DYNAMIC", "OMP_MAX_ACTIVE_LEVELS"}) {
    if (const char* v = std::getenv(var))
      why += std::string(why.empty() ? "" : ", ") + var + "=" + v;
  }
  if (omp_in_parallel()) why += std::string(why.empty() ? "" : ", ") + "inside a parallel region";
  return why.empty() ? "the OpenMP runtime's limits" : why;
}

}  // namespace

Team::Team(int planned, Pin pin) : size_(std::max(planned, 1)), pin_(std::move(pin)) {
  // A run's team is fixed: the runtime must not shrink it from one pass to the next.
  omp_set_dynamic(0);
  int got = 0;
#pragma omp parallel num_threads(size_)
  {
#pragma omp single
    got = omp_get_num_threads();
  }
  if (got < size_) {
    shortfall_ = "OpenMP gave " + std::to_string(got) + " of the " + std::to_string(size_) +
                 " planned threads (" + limits_in_force() + "); the rank runs with " +
                 std::to_string(got);
    size_ = got;
  }
  fewest_.store(size_, std::memory_order_relaxed);
}

bool Team::stopped() const { return failed_.load(std::memory_order_relaxed) || stop_signal() != 0; }

void Team::run(const std::function<void(int t)>& body) {
  failed_.store(false, std::memory_order_relaxed);
  error_ = nullptr;
  auto record = [this](std::exception_ptr e) {
    bool expected = false;
    if (failed_.compare_exchange_strong(expected, true)) error_ = std::move(e);
  };
#pragma omp parallel num_threads(size_)
  {
    const int threads = omp_get_num_threads();
    const int me = omp_get_thread_num();
    if (me == 0) {
      int f = fewest_.load(std::memory_order_relaxed);
      while (threads < f && !fewest_.compare_exchange_weak(f, threads)) {
      }
    }
    for (int t = me; t < size_; t += threads) {
      try {
        if (pin_) pin_(t);
        body(t);
      } catch (...) {
        record(std::current_exception());
      }
      if (failed_.load(std::memory_order_relaxed)) break;
    }
  }
  // The region's end is a barrier: error_ is visible here.
  if (error_) std::rethrow_exception(error_);
}

}  // namespace dgen::mpi
