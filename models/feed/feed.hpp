// A news feed over a follower graph: posts fan out on write (push), on read (pull), or both
// (hybrid: "push for the masses, pull for the famous").
//
//   push    a post becomes one fan-out task in a FIFO queue; `fanout_workers` take up to
//           `fanout_batch` timeline writes at a time and spend `timeline_write` on each; the post
//           is delivered when the last follower's timeline has it (delivery lag). A read is one
//           call to the reader's timeline cache.
//   pull    nothing is written but the post; a read fetches every followee's recent posts,
//           `pull_parallelism` fetches at a time, and merges: one call per followee.
//   hybrid  accounts with at least `celebrity_threshold` followers are not pushed; a read is one
//           timeline call plus one fetch per such followee, in parallel.
//
// Every call costs the network round trip plus its service time draw. Left out on purpose:
// contention at the timeline caches and the post store on the read path (reads do not queue),
// post contents and ranking. Timelines are tracked as entry counts capped at `timeline_len`.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "models/feed/feed_spec.hpp"
#include "models/feed/follower_graph.hpp"
#include "sim/support/distribution.hpp"
#include "models/common/message.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"

namespace archsim {

class Feed : public ModelNode {
 public:
  using Strategy = FeedSpec::Strategy;
  // The feed's parameters (feed_spec.hpp) and its wiring.
  struct Params : FeedSpec {
    double rtt = 500e-6;  // network round trip of every call
    std::vector<std::pair<uint32_t, double>> scheduled_posts;  // (account, time): e.g. a celebrity's post
  };

  // `workload` draws who posts and reads and when; `rng` the service times. Feeds over the same
  // graph given the same workload stream see the same posts and reads (common random numbers),
  // so strategies and thresholds differ only by what they do with them.
  Feed(Params params, const FollowerGraph* graph, FeedStats* stats, Rng rng, Rng workload);

  void on_start(Context& ctx) override;
  void on_message(Context& ctx, MessagePtr msg) override {}
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;

  bool pushed(uint32_t author) const;

 private:
  struct Task {
    double posted = 0;
    uint32_t author = 0;
    uint32_t next = 0;         // followers handed to workers so far
    uint32_t outstanding = 0;  // writes taken but not done
    bool measured = false;
  };
  struct Batch {
    uint64_t task = 0;
    uint32_t begin = 0, count = 0;
  };
  void post(Context& ctx, uint32_t author);
  void read(Context& ctx, uint32_t reader);
  void dispatch(Context& ctx);
  void batch_done(Context& ctx, uint64_t batch);
  double fetch_rounds(uint32_t fetches);

  Params p_;
  const FollowerGraph* g_;
  FeedStats* stats_;
  Rng rng_;
  Rng workload_;
  uint32_t users_ = 0;
  // ByDegree activity: cumulative weights of posting and of reading per account (empty = uniform).
  std::vector<uint64_t> post_weight_, read_weight_;
  uint32_t draw(const std::vector<uint64_t>& cumulative);
  std::unordered_map<uint64_t, Task> tasks_;
  std::deque<uint64_t> queue_;  // tasks with followers not yet handed out, FIFO
  std::unordered_map<uint64_t, Batch> batches_;
  uint64_t next_task_ = 1, next_batch_ = 1;
  int64_t idle_workers_ = 0;
  std::vector<uint32_t> timeline_;  // entries per account's timeline (capped at timeline_len)
  std::vector<uint8_t> celebrity_;  // hybrid: pulled accounts
};

}  // namespace archsim
