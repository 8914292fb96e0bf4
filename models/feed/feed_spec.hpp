// What a feed is (`kind: feed`, docs/topology.md#feeds): its follower graph and how posts reach
// timelines, declared once. The loader fills it; the model (feed.hpp) takes it with its wiring
// (the network round trip, the scheduled posts) beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/support/distribution.hpp"

namespace archsim {

struct FeedSpec {
  enum class Strategy { Push, Pull, Hybrid };
  // The follower graph: generated (power-law followee counts), or read from `edges_file` (CSV
  // `follower,followee`).
  int64_t users = 10000;
  double mean_followees = 200;
  double exponent = 2.1;
  struct Celebrity {
    int64_t followers = 0;
    std::vector<double> posts_at;  // seconds: posts this account makes at these times
  };
  std::vector<Celebrity> celebrities;
  std::string edges_file;

  Strategy strategy = Strategy::Push;
  int64_t celebrity_threshold = 10000;  // hybrid: followers from which an account is pulled
  int64_t timeline_len = 800;           // entries kept per timeline; more = more cache memory
  double entry_bytes = 16;              // bytes per timeline entry (post id + author)
  double posts_per_user_per_day = 2;    // the seed's figure
  double reads_per_user_per_day = 200;  // the seed's figure
  int64_t fanout_workers = 8;           // workers draining the fan-out queue; more = lower lag, more hosts
  int64_t fanout_batch = 1000;          // writes a worker takes from the queue at once
  double timeline_write = 20e-6;        // seconds a worker spends per timeline write
  Distribution timeline_read = Distribution::constant(1e-3);  // one timeline cache read
  Distribution post_fetch = Distribution::constant(2e-3);     // one followee's recent posts
  int64_t pull_parallelism = 50;        // fetches in flight per read; fewer = slower reads
  // Who posts and who reads. Uniform: every account alike. ByDegree: an account posts in
  // proportion to its followers + 1 and reads in proportion to its followees + 1 (the accounts
  // with the largest audiences are the most active, as on real networks), which raises the mean
  // write amplification from the mean follower count to E[f(f+1)] / E[f+1].
  enum class Activity { Uniform, ByDegree };
  Activity activity = Activity::Uniform;
};

}  // namespace archsim
