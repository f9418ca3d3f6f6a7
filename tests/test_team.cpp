// The Team every parallel pass runs on: every part covered whatever team OpenMP gives, errors
// and exceptions carried out of the region, the others stopped.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <new>
#include <stdexcept>
#include <vector>

#include "mpi/team.hpp"

namespace {

using dgen::mpi::Team;

TEST(Team, RunsEveryPartOnceOnItsOwnThread) {
  Team team(4, nullptr);
  ASSERT_EQ(team.size(), 4);
  std::vector<int> ran(4, 0), on(4, -1);
  team.run([&](int t) {
    ++ran[t];
    on[t] = omp_get_thread_num();
  });
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(ran[t], 1) << t;
    EXPECT_EQ(on[t], t) << "part t is thread t's, as first touch placed its pages";
  }
}

// Inside another parallel region (nesting off) OpenMP gives a team of one: the team's parts
// are all still done, by the threads there are.
TEST(Team, ANestedRegionWithOneThreadStillCoversEveryPart) {
  Team team(3, nullptr);
  ASSERT_EQ(team.size(), 3);
  omp_set_max_active_levels(1);
  std::vector<int> ran(3, 0);
  std::atomic<int> threads_seen{0};
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    {
      team.run([&](int t) {
        ++ran[t];
        threads_seen = omp_get_num_threads();
      });
    }
  }
  for (int t = 0; t < 3; ++t) EXPECT_EQ(ran[t], 1) << t;
  EXPECT_EQ(threads_seen.load(), 1);
  EXPECT_EQ(team.fewest_threads(), 1);
}

// A failed allocation inside the region used to end in std::terminate.
TEST(Team, AnExceptionLeavesTheRegionAndStopsTheOthers) {
  Team team(2, nullptr);
  ASSERT_EQ(team.size(), 2);
  std::atomic<long> other_chunks{0};
  EXPECT_THROW(team.run([&](int t) {
    if (t == 1) throw std::bad_alloc();
    // Part 0 works in chunks until it sees the stop (bounded, in case it never does).
    for (long i = 0; i < 2'000'000'000L && !team.stopped(); ++i) other_chunks++;
  }),
               std::bad_alloc);
  EXPECT_LT(other_chunks.load(), 2'000'000'000L);
  // The team is usable again afterwards.
  int ran = 0;
  team.run([&](int t) {
    if (t == 0) ++ran;
  });
  EXPECT_EQ(ran, 1);
}

TEST(Team, APinFailureIsTheRunsError) {
  Team team(2, [](int t) {
    if (t == 1) throw std::runtime_error("cannot bind a thread to cpu 99");
  });
  ASSERT_EQ(team.size(), 2);
  try {
    team.run([](int) {});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot bind a thread to cpu 99");
  }
}

}  // namespace
