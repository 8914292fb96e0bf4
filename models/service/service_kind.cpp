// kind: service (models/service/service.hpp).
#include "models/common/kind.hpp"
#include "models/service/service.hpp"

namespace archsim {
namespace {

const ParamTable& service_table() {
  static const ParamTable t =
      ParamTable()
          .station_keys()
          .section("call_policy", "`{timeout, retries, circuit_breaker, fallback, idempotency, failover}`",
                   "the default failure handling of its single calls (\"Failure handling by the callers\"); a call's "
                   "own keys override it",
                   "call_policy", "none")
          .section("calls", "a list of calls, or a map from request type to such a list",
                   "what a request does after its cpu and delay, in order: a component name, `{parallel: [a, b]}` "
                   "(waits for all), `{to: leaf, fanout: all | N}`, `{enqueue: topic}` (waits only for the "
                   "acknowledgement) or `{call: name, ...}` with failure-handling keys",
                   "calls", "none");
  return t;
}

class ServiceKind final : public Kind {
 public:
  const char* name() const override { return "service"; }
  const char* summary() const override {
    return "replicas with cores, workers and a queue; spends cpu and delay per request and makes its calls";
  }
  const ParamTable& params() const override { return service_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "services";
      k.can_crash = true;
      k.can_slow = true;
      k.counter_store = true;
      k.directory = true;
      k.guards_calls = true;
      return k;
    }();
    return t;
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    b.add_replicas(c, st, [&](size_t, Rng rng) {
      Service::Params p;
      p.station = station_params(c);
      p.cpu = c.cpu;
      p.delay = c.delay;
      p.calls_by_type = b.calls_by_type(c, &st);
      return std::make_unique<Service>(std::move(p), &st, rng);
    });
  }
  void analytic(const Component& c, const AnalyticInput&, AnalyticOutput& out) const override {
    out.resources.push_back({"cpu", c.cpu.mean(), c.cores});
  }
};

}  // namespace

const Kind& service_kind() {
  static const ServiceKind k;
  return k;
}

}  // namespace archsim
