// kind: feed (models/feed/feed.hpp): a social feed that drives its own workload.
#include "models/common/kind.hpp"

namespace archsim {
namespace {

class FeedKind final : public Kind {
 public:
  const char* name() const override { return "feed"; }
  const char* summary() const override {
    return "a follower graph and its timelines (push, pull or hybrid fan-out), with its own posting and reading "
           "users";
  }
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
};

}  // namespace

const Kind& feed_kind() {
  static const FeedKind k;
  return k;
}

}  // namespace archsim
