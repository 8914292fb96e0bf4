// kind: object_store (models/object_store/object_store.hpp).
#include "models/common/kind.hpp"
#include "models/object_store/object_store.hpp"

namespace archsim {
namespace {

class ObjectStoreKind final : public Kind {
 public:
  const char* name() const override { return "object_store"; }
  const char* summary() const override {
    return "S3-like blob storage: first-byte latency plus size over bandwidth per request, a request-rate limit per "
           "key prefix with throttling";
  }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "object stores";
      k.dot_shape = "folder";
      k.pool = "requests";
      return k;
    }();
    return t;
  }
  const ParamTable& params() const override { return ObjectStore::table(); }
  int64_t nodes(const Component& c) const override { return c.params_as<ObjectStore::Params>().endpoints; }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    st.workers_per_replica = -1;
    st.cores_per_replica = 0;
    const auto& p = c.params_as<ObjectStore::Params>();
    auto prefixes = std::make_shared<ObjectStore::Prefixes>(p);
    b.add_replicas(c, st, [&](size_t, Rng rng) { return std::make_unique<ObjectStore>(p, prefixes, &st, rng); });
  }
  // The per-prefix rate limits, reads and writes apart, each shared by every front end: the store
  // has `prefixes` of each, keys spread evenly over them.
  void analytic(const Component& c, const AnalyticInput& in, AnalyticOutput& out) const override {
    const auto& p = c.params_as<ObjectStore::Params>();
    double reads = 0, writes = 0;
    for (const auto& [type, rate] : in.by_type) {
      const RequestType* rt = in.type(type);
      (rt && rt->op == Op::Write ? writes : reads) += rate;
    }
    if (in.lambda <= 0) return;
    out.resources.push_back({"prefix_reads", reads / in.lambda / p.read_limit, 0, false, p.prefixes});
    out.resources.push_back({"prefix_writes", writes / in.lambda / p.write_limit, 0, false, p.prefixes});
  }
  std::vector<SectionValue> section(const Component& c, const ComponentStats& s, double window) const override {
    const auto& p = c.params_as<ObjectStore::Params>();
    auto counter = [&](const char* k) {
      auto it = s.counters.find(k);
      return it == s.counters.end() ? 0.0 : static_cast<double>(it->second);
    };
    double throttled = counter("throttled");
    double hottest = counter("hottest_prefix_requests") / window;
    return {{"throttled", "throttled", throttled, ""},
            {"throttled_ratio", "of requests", s.arrivals ? 100 * throttled / static_cast<double>(s.arrivals) : 0, "%"},
            {"read_mb_per_s", "read", counter("bytes_read") / window / 1e6, "MB/s"},
            {"write_mb_per_s", "written", counter("bytes_written") / window / 1e6, "MB/s"},
            {"hottest_prefix_rps", "hottest prefix", hottest, "/s"},
            {"prefix_read_limit_rps", "read limit", p.read_limit, "/s"}};
  }
};

}  // namespace

const Kind& object_store_kind() {
  static const ObjectStoreKind k;
  return k;
}

}  // namespace archsim
