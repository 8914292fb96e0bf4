// kind: replicated_store (models/replicated_store/replicated_store.hpp).
#include "models/common/kind.hpp"

namespace archsim {
namespace {

class ReplicatedStoreKind final : public Kind {
 public:
  const char* name() const override { return "replicated_store"; }
  const char* summary() const override {
    return "a key-value store replicated across regions: CP (Raft-style leader, quorum commits) or AP (Dynamo-style "
           "N, R, W quorums, hinted handoff, read repair)";
  }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "replicated stores";
      k.can_crash = true;
      k.server = false;
      k.keeps_history = true;
      return k;
    }();
    return t;
  }
  // Clients of a multi-region store connect to their nearest replica: a caller reaches the
  // replicas in its own region, else all of them.
  void reach(const Component& c, const std::string& region, CallTarget& ct, BuildContext&) const override {
    std::vector<NodeId> local;
    for (size_t i = 0; i < ct.replicas.size(); ++i)
      if (c.store.placement[i] == region) local.push_back(ct.replicas[i]);
    if (!local.empty()) ct.replicas = std::move(local);
  }
  void build(const Component& c, BuildContext& b) const override { b.add_store(c); }
};

}  // namespace

const Kind& replicated_store_kind() {
  static const ReplicatedStoreKind k;
  return k;
}

}  // namespace archsim
