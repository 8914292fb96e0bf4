// kind: rate_limiter (models/rate_limiter/rate_limiter.hpp).
#include "models/rate_limiter/rate_limiter_kind.hpp"

#include "sim/support/hash_ring.hpp"

namespace archsim {

std::unique_ptr<Node> make_rate_limiter(const Component& c, ComponentStats& st, const std::string& forward_to, Rng rng,
                                        std::shared_ptr<RateLimitShared>& shared, BuildContext& b) {
  const RateLimitSpec& spec = *c.rate_limit;
  if (!shared) {
    shared = std::make_shared<RateLimitShared>(spec);
    auto rs = std::make_shared<RateLimitStats>();
    rs->algorithm = to_string(spec.algorithm);
    rs->per = spec.per == RateLimitSpec::Per::Global ? "global" : spec.per == RateLimitSpec::Per::Key ? "key" : "client";
    rs->state = spec.state == RateLimitSpec::State::Central ? "central" : "local";
    rs->burst_window = burst_window(spec);
    rs->nominal_limit = nominal_limit(spec, rs->burst_window);
    st.rate_limit = rs;
  }
  RateLimiter::Params p;
  p.spec = spec;
  p.forward = LoadBalancer::Params{c.policy, b.replicas(forward_to), c.delay, c.health_check};
  if (spec.state == RateLimitSpec::State::Central) {
    p.store = b.target(spec.store, c.region);
    p.store_writes = b.topology().find(spec.store)->kind->traits().has_disk;
  }
  p.store_salt = stable_hash(c.name);
  p.shared = shared;
  st.workers_per_replica = -1;
  st.cores_per_replica = 0;
  return std::make_unique<RateLimiter>(std::move(p), &st, rng);
}

void add_rate_limit_store(const Component& c, std::vector<Reference>& out) {
  if (!c.rate_limit || c.rate_limit->state != RateLimitSpec::State::Central) return;
  Reference r;
  r.target = c.rate_limit->store;
  r.loc = c.rate_limit->store_loc;
  r.role = "store";
  r.label = "store";
  r.store = true;
  r.load = false;
  out.push_back(std::move(r));
}

namespace {

// The limit keys are read together (which apply depends on `algorithm`), by the configuration's
// `rate_limit_keys` reader; a load balancer's `rate_limit:` map takes the same keys.
const ParamTable& rate_limiter_table() {
  static const ParamTable t =
      ParamTable()
          .text("target", &Component::target, &Component::target_loc, "the component it forwards admitted requests to")
          .required()
          .count("replicas", &Component::replicas, 1, kMaxReplicas,
                 "limiter replicas; a client spreads its requests over them round robin")
          .choice("policy", &Component::policy, lb_policy_words(), kLbPolicyDoc)
          .distribution("delay", &Component::delay, "its processing time per request")
          .section("algorithm", "`token_bucket`, `sliding_window_log` or `fixed_window`",
                   "how requests are counted against the limit", "rate_limit_keys")
          .required()
          .section("capacity", "number >= 1",
                   "token bucket, required: tokens, the largest burst; the bucket starts full", "rate_limit_keys")
          .section("refill", "rate > 0", "token bucket, required: tokens added per second (`5/s`)", "rate_limit_keys")
          .section("limit", "integer",
                   "windows, required: requests admitted per window (`100`). The sliding log admits when fewer than "
                   "`limit` were admitted in the last `window`; the fixed window counts per aligned window, so up to "
                   "2x `limit` pass across a boundary",
                   "rate_limit_keys")
          .section("window", "duration > 0", "windows, required: the window (`1min`)", "rate_limit_keys")
          .section("per", "`global`, `key` or `client`",
                   "one limit, one per request key, or one per client component the request started from",
                   "rate_limit_keys", "global")
          .section("state", "`local` or `central`",
                   "`local`: counters per limiter replica, so N replicas admit up to N x the limit; `central`: "
                   "counters in `store`, exact, and every decision pays a round trip to it",
                   "rate_limit_keys", "local")
          .section("store", "name",
                   "central, required: the component holding the counters (a cache, a database where the check is a "
                   "write, or a service), e.g. Redis",
                   "rate_limit_keys")
          .section("on_store_failure", "`fail_open` or `fail_closed`",
                   "when the store fails or does not answer within `store_timeout`: admit, or reject",
                   "rate_limit_keys", "fail_open")
          .section("store_timeout", "duration > 0", "how long a decision waits for the store", "rate_limit_keys", "50ms")
          .section("burst_window", "duration > 0", "the window of the largest-burst measurement in the summary",
                   "rate_limit_keys", "`window` (token bucket: 1s)");
  return t;
}

class RateLimiterKind final : public Kind {
 public:
  const char* name() const override { return "rate_limiter"; }
  const ParamTable& params() const override { return rate_limiter_table(); }
  const char* summary() const override {
    return "admits requests within a limit (token bucket, fixed or sliding window; global, per key or per client) "
           "and forwards them";
  }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "rate limiters";
      k.dot_shape = "octagon";
      k.forwards = true;
      return k;
    }();
    return t;
  }
  void references(const Component& c, std::vector<Reference>& out) const override {
    Reference r;
    r.target = c.target;
    r.loc = c.target_loc;
    r.role = "target";
    out.push_back(std::move(r));
    add_rate_limit_store(c, out);
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    std::shared_ptr<RateLimitShared> shared;
    b.add_replicas(c, st, [&](size_t, Rng rng) { return make_rate_limiter(c, st, c.target, rng, shared, b); });
  }
};

}  // namespace

const Kind& rate_limiter_kind() {
  static const RateLimiterKind k;
  return k;
}

}  // namespace archsim
