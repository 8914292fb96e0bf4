// kind: global_load_balancer (models/global_load_balancer/global_load_balancer.hpp).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/common/kind.hpp"
#include "models/global_load_balancer/global_load_balancer.hpp"

namespace archsim {
namespace {

using Routing = GlobalLbSpec::Routing;

const ParamTable& global_lb_table() {
  static const ParamTable t =
      ParamTable()
          .distribution("delay", &Component::delay,
                        "its processing time per request (a DNS answer: 0; an anycast proxy's hop)")
          .section("health_check", "`{interval: 10s, timeout: 2s, unhealthy_after: 3, healthy_after: 2}`",
                   "probes every endpoint from each region's node; an endpoint that misses `unhealthy_after` rounds "
                   "in a row is out until it answers `healthy_after` in a row (Route 53: 30 s or 10 s, 3 misses). "
                   "Without it the balancer never moves callers off a failed endpoint; a shorter interval moves them "
                   "sooner, for more probe traffic",
                   "health_check", "none")
          .in(&Component::global_lb)
          .section("endpoints", "a list of components", "where it sends requests, usually one load balancer per "
                   "region (`[lb-us, lb-eu]`); an endpoint's region is its `region:`",
                   "global_lb")
          .required()
          .section("regions", "a list of regions",
                   "the regions whose callers it answers, one node each; every region of the topology when not given",
                   "global_lb", "all")
          .choice("routing", &GlobalLbSpec::routing, {{"latency", Routing::Latency}, {"failover", Routing::Failover}},
                  "`latency`: each region's callers go to the healthy endpoint with the lowest round trip from "
                  "there (active-active); `failover`: to the first healthy endpoint in the list (active-passive: the "
                  "standbys take traffic only when the primary fails)")
          .duration("dns_ttl", &GlobalLbSpec::dns_ttl,
                    "how long callers keep a resolved endpoint: after a move, a share of them falling linearly to 0 "
                    "over the TTL still goes to the old endpoint. 0 = anycast or a proxy (moves act at once); a "
                    "longer TTL means fewer lookups and a slower failover");
  return t;
}

class GlobalLoadBalancerKind final : public Kind {
 public:
  const char* name() const override { return "global_load_balancer"; }
  const char* summary() const override {
    return "DNS or anycast routing of each region's callers to a regional endpoint, nearest healthy first (latency) "
           "or first healthy in order (failover), with health checks across regions";
  }
  const ParamTable& params() const override { return global_lb_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "global load balancers";
      k.dot_shape = "doubleoctagon";
      k.global = true;
      k.part = "region node";
      return k;
    }();
    return t;
  }
  int64_t nodes(const Component& c) const override { return static_cast<int64_t>(c.global_lb.regions.size()); }
  const std::string& node_region(const Component& c, size_t i) const override { return c.global_lb.regions[i]; }

  void references(const Component& c, std::vector<Reference>& out) const override {
    const GlobalLbSpec& g = c.global_lb;
    for (size_t i = 0; i < g.endpoints.size(); ++i) {
      Reference r;
      r.target = g.endpoints[i];
      r.loc = g.endpoint_locs[i];
      r.role = "endpoint";
      // The analytic view's share: it does not know the callers' regions (see `analytic`).
      r.share = g.routing == Routing::Failover ? (i == 0 ? 1.0 : 0.0) : 1.0 / static_cast<double>(g.endpoints.size());
      out.push_back(std::move(r));
    }
  }

  void check(const Topology& t, const Component& c, std::vector<std::string>& warnings) const override {
    const GlobalLbSpec& g = c.global_lb;
    for (size_t i = 0; i < g.endpoints.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (g.endpoints[i] == g.endpoints[j])
          t.fail(g.endpoint_locs[i], fmt::format("endpoint '{}' is listed twice; name each endpoint once",
                                                 g.endpoints[i]));
    for (const auto& r : g.regions)
      for (size_t i = 0; i < g.endpoints.size(); ++i) {
        const Component* e = t.find(g.endpoints[i]);
        if (e && std::isinf(t.region_rtt(r, e->region)))
          t.fail(g.endpoint_locs[i], fmt::format("no network path joins region '{}' (a node of '{}') to '{}' in {}; "
                                                 "add a link under network.links",
                                                 r, c.name, e->name, e->region));
      }
    if (!c.health_check.enabled())
      warnings.push_back(fmt::format("{}: warning: '{}' has no health_check: it never moves callers off a failed "
                                     "endpoint (add health_check: {{interval: 10s}})",
                                     t.where(c.loc), c.name));
  }

  // A caller reaches its own region's node, else the nearest one.
  void reach(const Component& c, const std::string& region, CallTarget& ct, BuildContext& b) const override {
    const auto& regions = c.global_lb.regions;
    size_t best = 0;
    double best_rtt = b.topology().region_rtt(region, regions[0]);
    for (size_t i = 1; i < regions.size(); ++i) {
      double r = b.topology().region_rtt(region, regions[i]);
      if (r < best_rtt) best = i, best_rtt = r;
    }
    ct.replicas = {ct.replicas[best]};
  }

  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    st.workers_per_replica = -1;
    st.cores_per_replica = 0;
    const Topology& t = b.topology();
    b.add_replicas(c, st, [&](size_t i, Rng rng) -> std::unique_ptr<Node> {
      const std::string& at = c.global_lb.regions[i];
      GlobalLoadBalancer::Params p;
      for (const auto& name : c.global_lb.endpoints) {
        GlobalLoadBalancer::Endpoint e;
        e.name = name;
        e.target = b.target(name, at);
        e.rtt = t.region_rtt(at, t.find(name)->region);
        p.endpoints.push_back(std::move(e));
      }
      if (c.global_lb.routing == Routing::Latency)
        std::stable_sort(p.endpoints.begin(), p.endpoints.end(),
                         [](const auto& x, const auto& y) { return x.rtt < y.rtt; });
      p.delay = c.delay;
      p.health = c.health_check;
      p.dns_ttl = c.global_lb.dns_ttl;
      return std::make_unique<GlobalLoadBalancer>(std::move(p), &st, rng);
    });
  }

  void analytic(const Component& c, const AnalyticInput&, AnalyticOutput& out) const override {
    if (c.global_lb.routing == Routing::Latency && c.global_lb.endpoints.size() > 1)
      out.notes.push_back(fmt::format("{} splits its load evenly over its {} endpoints here; a run splits it by its "
                                      "callers' regions (each to its nearest healthy endpoint)",
                                      c.name, c.global_lb.endpoints.size()));
  }

  std::vector<SectionValue> section(const Component& c, const ComponentStats& s, double) const override {
    auto get = [&](const char* k) {
      auto it = s.counters.find(k);
      return it == s.counters.end() ? 0.0 : static_cast<double>(it->second);
    };
    std::vector<SectionValue> v = {{"routed_away", "requests sent past their region's first endpoint", get("routed_away")}};
    if (c.global_lb.dns_ttl > 0) v.push_back({"dns_stale", "sent to the old endpoint by cached answers", get("dns_stale")});
    if (c.health_check.enabled()) {
      v.push_back({"health_probe_rounds", "health checks: probe rounds", get("health_probe_rounds")});
      v.push_back({"health_marked_down", "endpoints taken out", get("health_marked_down")});
      v.push_back({"health_marked_up", "put back", get("health_marked_up")});
      v.push_back({"health_out_endpoint_s", "node-endpoint-seconds out", get("health_out_us") / 1e6});
    }
    return v;
  }
};

}  // namespace

const Kind& global_load_balancer_kind() {
  static const GlobalLoadBalancerKind k;
  return k;
}

}  // namespace archsim
