// kind: feed (models/feed/feed.hpp): a social feed that drives its own workload.
#include "models/common/kind.hpp"

namespace archsim {
namespace {

const ParamTable& feed_table() {
  using F = FeedSpec;
  static const ParamTable t =
      ParamTable()
          .in(&Component::feed)
          .section("graph", "`{users, mean_followees: 200, exponent: 2.1, celebrities: [{followers, posts_at}]}` or "
                   "`{edges: FILE}`",
                   "the follower graph: generated (power-law followee counts, seeded by `run.seed`), or a CSV "
                   "`follower,followee` relative to the topology. Counts may be written `20k`, `1M`; celebrities are "
                   "extra accounts followed by `followers` users drawn uniformly, posting at `posts_at`",
                   "feed_graph")
          .required()
          .section("strategy", "`push`, `pull`, `hybrid` or `{hybrid: {celebrity_threshold: 10k}}`",
                   "fan-out on write (`push`: a post writes every follower's timeline), on read (`pull`: a read "
                   "fetches every followee's posts), or `hybrid` (celebrities pulled, the others pushed)",
                   "feed_strategy", "push")
          .count("celebrity_threshold", &F::celebrity_threshold, 1, INT64_MAX / 2,
                 "hybrid: accounts with at least this many followers are pulled, the others pushed")
          .suffixed()
          .read_by("feed_strategy")
          .count("timeline_len", &F::timeline_len, 1, 1000000, "entries kept per timeline; more = more cache memory")
          .suffixed()
          .size("entry_size", &F::entry_bytes, "bytes per timeline entry (post id + author)")
          .number("posts_per_user_per_day", &F::posts_per_user_per_day, 0, 1e6, "the seed's figure (2)")
          .number("reads_per_user_per_day", &F::reads_per_user_per_day, 0, 1e6, "the seed's figure (200)")
          .count("fanout_workers", &F::fanout_workers, 1, 100000,
                 "workers draining the fan-out queue (FIFO): more cut the lag of a big post")
          .suffixed()
          .count("fanout_batch", &F::fanout_batch, 1, 100000000, "timeline writes a worker takes from the queue at once")
          .suffixed()
          .duration("timeline_write", &F::timeline_write, "a worker's time per timeline write")
          .distribution("timeline_read", &F::timeline_read,
                        "service time of a timeline cache read; every call also costs `network.intra_region_rtt`")
          .distribution("post_fetch", &F::post_fetch, "service time of fetching one followee's recent posts")
          .count("pull_parallelism", &F::pull_parallelism, 1, 1000000,
                 "fetches a read has in flight at once; the read waits for the slowest of each batch")
          .suffixed()
          .choice("activity", &F::activity, {{"uniform", F::Activity::Uniform}, {"by_degree", F::Activity::ByDegree}},
                  "who posts and who reads: `uniform` (every account alike: the mean write amplification is the mean "
                  "follower count) or `by_degree` (an account posts in proportion to its followers + 1 and reads in "
                  "proportion to its followees + 1, which raises the mean write amplification to E[f(f+1)] / E[f+1])");
  return t;
}

class FeedKind final : public Kind {
 public:
  const char* name() const override { return "feed"; }
  const char* summary() const override {
    return "a follower graph and its timelines (push, pull or hybrid fan-out), with its own posting and reading "
           "users";
  }
  const ParamTable& params() const override { return feed_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "feeds";
      k.own_workload = true;
      k.server = false;
      k.single_node = true;
      return k;
    }();
    return t;
  }
  void build(const Component& c, BuildContext& b) const override { b.add_feed(c); }
  // A feed's graph building and its two CSR copies: about 24 bytes per follow edge at the peak.
  double memory_bytes(const Component& c) const override {
    const FeedSpec& f = c.feed;
    double edges = f.edges_file.empty() ? f.mean_followees * static_cast<double>(f.users) : 1e6;
    for (const auto& cel : f.celebrities) edges += static_cast<double>(cel.followers);
    return 24.0 * edges + 16.0 * static_cast<double>(f.users);
  }
  // Its own workload: posts with their fan-out (push: the timeline writes go to the workers in
  // batches of fanout_batch) and timeline reads.
  void background_events(const Topology& t, const Component& c, double,
                         std::vector<BackgroundEvents>& out) const override {
    const FeedSpec& f = c.feed;
    double users = static_cast<double>(f.users), d = t.run.duration / 86400;
    double batch = static_cast<double>(std::max<int64_t>(f.fanout_batch, 1));
    double posts = users * f.posts_per_user_per_day * d, reads = users * f.reads_per_user_per_day * d;
    double events = posts * (4 + 2 * f.mean_followees / batch);
    for (const auto& cel : f.celebrities)
      events += static_cast<double>(cel.posts_at.size()) * (4 + 2 * static_cast<double>(cel.followers) / batch);
    out.push_back({"posts and their fan-out", events});
    out.push_back({"timeline reads", 4 * reads});
  }
};

}  // namespace

const Kind& feed_kind() {
  static const FeedKind k;
  return k;
}

}  // namespace archsim
