#include "sim/analysis/estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "models/common/kind.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/support/text.hpp"
#include "sim/support/units.hpp"

namespace archsim {

namespace {

constexpr double kSecondsPerDay = 86400;

const char* prefixes[] = {"", "K", "M", "G", "T", "P"};

// A byte unit name of `units` at power `p` of its base: "GB" or "GiB".
std::string byte_unit(int p, UnitSystem units) {
  if (p == 0) return "B";
  return fmt::format("{}{}B", prefixes[p], units == UnitSystem::Binary ? "i" : "");
}

double unit_factor(int p, UnitSystem units) { return std::pow(units == UnitSystem::Binary ? 1024.0 : 1000.0, p); }

std::string num(double x) { return grouped_number(x); }

std::string qps(double x) { return num(std::round(x)); }

std::string bytes_text(double bytes, UnitSystem units, const char* per = "") {
  auto [v, u] = scale_bytes(bytes, units);
  std::string s = fmt::format("{} {}{}", num(v), u, per);
  // The seed gives daily storage in GB whatever its size: say it in GB too when the scale differs.
  return s;
}

std::string gb_text(double bytes, UnitSystem units) {
  return fmt::format("{} {}", num(bytes / unit_factor(3, units)), byte_unit(3, units));
}

nlohmann::ordered_json bytes_json(double bytes, UnitSystem units) {
  auto [v, u] = scale_bytes(bytes, units);
  return {{"bytes", bytes}, {"value", v}, {"unit", u}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Calculator

double round_significant(double x, int digits) {
  if (x == 0 || !std::isfinite(x)) return x;
  return std::stod(fmt::format("{:.{}g}", x, digits));  // through decimal text: 3.5e6, not 3499999.9999999995
}

std::pair<double, std::string> scale_bytes(double bytes, UnitSystem units) {
  int p = 0;
  while (p < 5 && std::fabs(bytes) >= unit_factor(p + 1, units)) ++p;
  return {bytes / unit_factor(p, units), byte_unit(p, units)};
}

std::optional<double> parse_count(const std::string& text, std::string* why) {
  std::string t = text;
  double factor = 1;
  if (!t.empty()) {
    char last = t.back();
    if (last == 'k' || last == 'K') factor = 1e3;
    else if (last == 'M') factor = 1e6;
    else if (last == 'B' || last == 'G') factor = 1e9;
    if (factor != 1) t.pop_back();
  }
  std::optional<double> v = parse_number(t, nullptr);
  if (!v || *v < 0) {
    if (why) *why = fmt::format("expected a count such as 100M, 20k or 2B (billion), got '{}'", text);
    return std::nullopt;
  }
  return *v * factor;
}

std::optional<double> parse_retention_days(const std::string& text, std::string* why) {
  std::string t = text;
  double factor = 0;
  if (!t.empty()) {
    char last = t.back();
    if (last == 'y') factor = 365;
    else if (last == 'w') factor = 7;
    else if (last == 'd') factor = 1;
    if (factor != 0) t.pop_back();
  }
  std::optional<double> v = factor ? parse_number(t, nullptr) : std::nullopt;
  if (!v || *v <= 0) {
    if (why) *why = fmt::format("expected a retention such as 5y (365 days each), 90d or 12w, got '{}'", text);
    return std::nullopt;
  }
  return *v * factor;
}

CapacityEstimate estimate_capacity(const CapacityInputs& in) {
  CapacityEstimate e;
  e.in = in;
  e.reads_per_day = in.dau * in.reads_per_user;
  e.writes_per_day = in.dau * in.writes_per_user;
  e.avg_read_qps = e.reads_per_day / kSecondsPerDay;
  e.avg_write_qps = e.writes_per_day / kSecondsPerDay;
  e.peak_read_qps = e.avg_read_qps * in.peak_multiplier;
  e.peak_write_qps = e.avg_write_qps * in.peak_multiplier;
  e.daily_bytes = e.writes_per_day * in.payload_bytes;
  e.retention_bytes = e.daily_bytes * in.retention_days * in.replication;
  e.media_per_day = e.writes_per_day * in.media_fraction;
  e.media_daily_bytes = e.media_per_day * in.media_bytes;
  e.media_retention_bytes = e.media_daily_bytes * in.retention_days * in.replication;
  e.peak_in_bytes_per_s = e.peak_write_qps * in.payload_bytes;
  e.peak_out_bytes_per_s = e.peak_read_qps * in.payload_bytes;
  e.media_peak_in_bytes_per_s = e.peak_write_qps * in.media_fraction * in.media_bytes;
  e.media_peak_out_bytes_per_s = e.peak_read_qps * in.media_fraction * in.media_bytes;
  e.viral_bytes_per_s = in.viral_window_s > 0 ? in.viral_views * in.media_bytes / in.viral_window_s : 0;
  return e;
}

std::string capacity_text(const CapacityEstimate& e) {
  const CapacityInputs& in = e.in;
  UnitSystem u = in.units;
  std::string out;
  auto line = [&](const std::string& label, const std::string& value, const std::string& how) {
    out += fmt::format("  {:<24} {:>22}   {}\n", label, value, how);
  };
  out += fmt::format("units: {}\n",
                     u == UnitSystem::Binary ? "binary (1 KiB = 1024 B, 1 GiB = 1024^3 B; the seed's Python divides by "
                                               "1024 and calls it GB)"
                                             : "decimal (1 KB = 1000 B, 1 GB = 1e9 B)");
  out += fmt::format("a day is 86,400 s; retention {} days; replication x{}; peak = {}x average\n\n",
                     num(in.retention_days), num(in.replication), num(in.peak_multiplier));
  out += "traffic\n";
  line("reads per day", num(e.reads_per_day), "DAU x reads per user");
  line("writes per day", num(e.writes_per_day), "DAU x writes per user");
  line("average read QPS", qps(e.avg_read_qps) + " /s", "reads per day / 86,400 s");
  line("average write QPS", qps(e.avg_write_qps) + " /s", "writes per day / 86,400 s");
  line("peak read QPS", qps(e.peak_read_qps) + " /s", "average x peak multiplier");
  line("peak write QPS", qps(e.peak_write_qps) + " /s", "average x peak multiplier");
  if (e.avg_write_qps > 0) line("read:write", fmt::format("{}:1", num(e.avg_read_qps / e.avg_write_qps)), "");
  out += "storage\n";
  line("per day", gb_text(e.daily_bytes, u) + "/day", "writes per day x payload");
  line("over retention", bytes_text(e.retention_bytes, u), "per day x retention days x replication");
  if (in.media_fraction > 0 && in.media_bytes > 0) {
    line("media objects per day", num(e.media_per_day), "writes per day x media fraction");
    line("media per day", bytes_text(e.media_daily_bytes, u, "/day"), "media objects x media size");
    line("media over retention", bytes_text(e.media_retention_bytes, u), "per day x retention days x replication");
  }
  out += "bandwidth at peak\n";
  line("in (writes)", bytes_text(e.peak_in_bytes_per_s, u, "/s"), "peak write QPS x payload");
  line("out (reads)", bytes_text(e.peak_out_bytes_per_s, u, "/s"), "peak read QPS x payload");
  if (in.media_fraction > 0 && in.media_bytes > 0) {
    line("media in", bytes_text(e.media_peak_in_bytes_per_s, u, "/s"), "peak write QPS x media fraction x media size");
    line("media out", bytes_text(e.media_peak_out_bytes_per_s, u, "/s"),
         "peak read QPS x media fraction x media size (if reads show media as often)");
  }
  if (in.viral_views > 0 && in.media_bytes > 0) {
    line("one viral media object", bytes_text(e.viral_bytes_per_s, u, "/s"),
         fmt::format("{} views x media size / {} s", num(in.viral_views), num(in.viral_window_s)));
  }
  return out;
}

nlohmann::ordered_json capacity_json(const CapacityEstimate& e) {
  const CapacityInputs& in = e.in;
  UnitSystem u = in.units;
  nlohmann::ordered_json j;
  j["units"] = u == UnitSystem::Binary ? "binary" : "decimal";
  j["inputs"] = {{"dau", in.dau},
                 {"reads_per_user", in.reads_per_user},
                 {"writes_per_user", in.writes_per_user},
                 {"payload_bytes", in.payload_bytes},
                 {"peak_multiplier", in.peak_multiplier},
                 {"retention_days", in.retention_days},
                 {"replication", in.replication},
                 {"media_fraction", in.media_fraction},
                 {"media_bytes", in.media_bytes},
                 {"viral_views", in.viral_views},
                 {"viral_window_s", in.viral_window_s}};
  j["reads_per_day"] = e.reads_per_day;
  j["writes_per_day"] = e.writes_per_day;
  j["avg_read_qps"] = e.avg_read_qps;
  j["avg_write_qps"] = e.avg_write_qps;
  j["peak_read_qps"] = e.peak_read_qps;
  j["peak_write_qps"] = e.peak_write_qps;
  j["daily_storage"] = bytes_json(e.daily_bytes, u);
  j["daily_storage_gb"] = e.daily_bytes / unit_factor(3, u);  // GB or GiB as `units` says
  j["retention_storage"] = bytes_json(e.retention_bytes, u);
  j["media_per_day"] = e.media_per_day;
  j["media_daily_storage"] = bytes_json(e.media_daily_bytes, u);
  j["media_retention_storage"] = bytes_json(e.media_retention_bytes, u);
  j["peak_in_per_s"] = bytes_json(e.peak_in_bytes_per_s, u);
  j["peak_out_per_s"] = bytes_json(e.peak_out_bytes_per_s, u);
  j["media_peak_in_per_s"] = bytes_json(e.media_peak_in_bytes_per_s, u);
  j["media_peak_out_per_s"] = bytes_json(e.media_peak_out_bytes_per_s, u);
  j["viral_per_s"] = bytes_json(e.viral_bytes_per_s, u);
  return j;
}

// ---------------------------------------------------------------------------------------------
// The analytic model of a topology

namespace {

struct TypeInfo {
  Op op = Op::Read;
  const RequestType* spec = nullptr;
};

// Components called by `c` (its arrows that carry load), with how many requests each gets per
// request of `type`: its calls for `type` (else its calls for every type, `*`) and its other
// arrows (a client's target, a cache's backend, what a load balancer or rate limiter forwards
// to; for a rate limiter an upper bound, as what the limit admits is not known in advance).
std::vector<std::pair<std::string, double>> calls_of(const Topology& t, const Component& c, const std::string& type) {
  std::vector<Reference> refs;
  c.kind->references(c, refs);
  bool typed = false;
  for (const auto& r : refs) typed |= r.call && r.type == type;
  std::vector<std::pair<std::string, double>> out;
  for (const auto& r : refs) {
    if (!r.load) continue;
    if (r.call && r.type != (typed ? type : std::string("*"))) continue;
    double n = r.share;
    if (r.call && r.call->shape == CallSpec::Shape::Fanout) {
      const Component* callee = t.find(r.target);
      n = r.call->fanout < 0 ? static_cast<double>(callee ? callee->replicas : 1) : static_cast<double>(r.call->fanout);
    }
    out.emplace_back(r.target, n);
  }
  return out;
}

std::vector<std::string> all_callees(const Topology& t, const Component& c) {
  std::set<std::string> s;
  std::vector<Reference> refs;
  c.kind->references(c, refs);
  for (const auto& r : refs)
    if (r.load) s.insert(r.target);
  for (auto& [name, n] : calls_of(t, c, "")) s.insert(name);
  return {s.begin(), s.end()};
}

// The clients' load as it flows down the call graph: the request types by name, and per
// component the rate of each type reaching it.
struct LoadFlow {
  std::map<std::string, TypeInfo> types;
  std::map<std::string, std::map<std::string, double>> load;  // component → type → rate
  // component → type → the caches its reads of that type passed through on the way
  std::map<std::string, std::map<std::string, std::vector<std::shared_ptr<const CheView>>>> in_front;
};

// The clients' request types and rates: open-loop ones at their rate, closed-loop ones at
// `closed_rate` (N / (Z + R), found by analyze_topology); a trace client is a note instead.
void add_client_load(const Topology& t, LoadFlow& flow, AnalyticModel& m, double response_s) {
  for (const auto& c : t.components) {
    if (!c.kind->traits().client) continue;
    for (const auto& r : c.requests) flow.types.emplace(r.name, TypeInfo{r.op, &r});
    if (c.arrival.process == ArrivalSpec::Process::Closed) {
      double rate = static_cast<double>(c.arrival.users) / (c.arrival.think_time.mean() + response_s);
      m.client_rate += rate;
      for (const auto& r : c.requests) flow.load[c.name][r.name] += rate * r.weight;
      continue;
    }
    if (c.arrival.process == ArrivalSpec::Process::Trace) {
      m.notes.push_back(fmt::format("client {} replays a trace: its rate is not known before the run, so it is left out",
                                    c.name));
      continue;
    }
    m.client_rate += c.arrival.rate;
    for (const auto& r : c.requests) flow.load[c.name][r.name] += c.arrival.rate * r.weight;
  }
}

// Kahn's order over the call graph (the validator has refused cycles).
std::vector<const Component*> call_order(const Topology& t) {
  std::map<std::string, int> indegree;
  for (const auto& c : t.components) indegree[c.name];
  for (const auto& c : t.components)
    for (const auto& callee : all_callees(t, c)) ++indegree[callee];
  std::vector<const Component*> order, ready;
  for (const auto& c : t.components)
    if (indegree[c.name] == 0) ready.push_back(&c);
  while (!ready.empty()) {
    const Component* c = ready.front();
    ready.erase(ready.begin());
    order.push_back(c);
    for (const auto& callee : all_callees(t, *c))
      if (--indegree[callee] == 0) ready.push_back(t.find(callee));
  }
  return order;
}

// Its resources (cores, a disk, a consumer group), each as an M/M/c per replica.
void add_resource_loads(const Component& c, const AnalyticOutput& aout, ComponentLoad& cl) {
  for (const auto& res : aout.resources) {
    if (cl.lambda <= 0 || res.demand <= 0 || (res.per_replica <= 0 && res.shared <= 0)) continue;
    ResourceLoad r;
    r.resource = res.name;
    r.servers = res.shared > 0 ? static_cast<double>(res.shared)
                               : static_cast<double>(res.per_replica) * static_cast<double>(c.replicas);
    r.demand_s = res.demand;
    r.utilization = cl.lambda * res.demand / r.servers;
    if (r.utilization < 1 && res.queues)
      r.erlang_c_wait_s = erlang_c_wait(cl.lambda / static_cast<double>(c.replicas), res.demand, res.per_replica);
    cl.resources.push_back(r);
  }
}

// The load of `c` from what reaches it, its kind's analytic view of it, and what it passes on to
// its callees. REQUIRES: every component calling `c` came before it.
ComponentLoad load_component(const Topology& t, const Component& c, LoadFlow& flow, AnalyticModel& m) {
  auto& types = flow.types;
  const auto& in = flow.load[c.name];
  ComponentLoad cl;
  cl.name = c.name;
  cl.kind = c.kind;
  cl.replicas = c.replicas;
  cl.by_type = in;
  double resp = 0;
  for (const auto& [type, rate] : in) {
    cl.lambda += rate;
    if (types.count(type)) resp += rate * types[type].spec->response_bytes;
  }
  cl.response_bytes = cl.lambda > 0 ? resp / cl.lambda : 0;

  AnalyticInput ain;
  ain.topology = &t;
  ain.by_type = in;
  ain.lambda = cl.lambda;
  ain.type = [&](const std::string& type) -> const RequestType* {
    auto it = types.find(type);
    return it == types.end() ? nullptr : it->second.spec;
  };
  ain.in_front = flow.in_front[c.name];
  AnalyticOutput aout;
  c.kind->analytic(c, ain, aout);
  cl.hit_ratio = aout.hit_ratio;
  cl.hit_ratio_method = aout.hit_ratio_method;
  for (auto& n : aout.notes) m.notes.push_back(std::move(n));

  for (const auto& [type, rate] : in) {
    double forwarded = rate;
    if (types.count(type) && types[type].op == Op::Read) forwarded *= aout.read_pass;
    bool read = types.count(type) && types[type].op == Op::Read;
    for (const auto& [callee, n] : calls_of(t, c, type)) {
      flow.load[callee][type] += forwarded * n;
      if (!read) continue;
      auto& front = flow.in_front[callee][type];
      for (const auto& v : ain.in_front[type])
        if (std::find(front.begin(), front.end(), v) == front.end()) front.push_back(v);
      if (aout.holds && std::find(front.begin(), front.end(), aout.holds) == front.end()) front.push_back(aout.holds);
    }
  }

  add_resource_loads(c, aout, cl);
  return cl;
}

// Every component but the clients, in file order (one no client reaches with no load), and the
// resource of the highest utilization: the first to saturate as the clients' rates grow.
void add_components(const Topology& t, std::map<std::string, ComponentLoad>& out, AnalyticModel& m) {
  double worst = 0;
  for (const auto& c : t.components) {
    if (c.kind->traits().client) continue;
    ComponentLoad& cl = out[c.name];
    if (cl.name.empty()) {  // unreachable from any client
      cl.name = c.name;
      cl.kind = c.kind;
      cl.replicas = c.replicas;
    }
    for (const auto& r : cl.resources)
      if (r.utilization > worst) {
        worst = r.utilization;
        m.saturates_component = cl.name;
        m.saturates_resource = r.resource;
      }
    m.components.push_back(cl);
  }
  if (worst > 0) m.saturation_client_rate = m.client_rate / worst;
}

// What the model assumes and leaves out, for whoever reads its numbers.
void add_model_notes(const Topology& t, AnalyticModel& m) {
  m.notes.push_back("rates scale linearly with the clients' rates (cache hit ratios do not depend on the rate)");
  m.notes.push_back("utilization is lambda x mean demand / servers; the Erlang C wait treats each replica as M/M/c "
                    "(Poisson arrivals; for processor-sharing cores the mean is insensitive to the demand's "
                    "distribution)");
  m.notes.push_back("left out: the network, worker pools and queues held across downstream calls, timeouts, the "
                    "cold start; the simulation models them");
  for (const auto& c : t.components)
    if (c.shards > 0) {
      m.notes.push_back("the load of a sharded component is spread evenly over all its nodes (writes as well, though "
                        "they go to the primaries); the simulation measures the real spread: range sharding and "
                        "popular keys can put most of it on one shard");
      break;
    }
}

}  // namespace

namespace {

AnalyticModel analyze_at(const Topology& t, double response_s) {
  AnalyticModel m;
  m.topology = t.name;
  LoadFlow flow;
  add_client_load(t, flow, m, response_s);
  std::map<std::string, ComponentLoad> out;
  for (const Component* c : call_order(t)) {
    ComponentLoad cl = load_component(t, *c, flow, m);
    if (!c->kind->traits().client) out[c->name] = cl;
  }
  add_components(t, out, m);
  return m;
}

// The mean time one client request spends in the resources it visits: per component, its visits
// per client request times the demand and Erlang C wait of each resource; infinite past rho = 1.
double response_time(const AnalyticModel& m) {
  if (m.client_rate <= 0) return 0;
  double r = 0;
  for (const auto& cl : m.components)
    for (const auto& res : cl.resources) {
      if (res.utilization >= 1) return std::numeric_limits<double>::infinity();
      r += cl.lambda / m.client_rate * (res.demand_s + res.erlang_c_wait_s.value_or(0));
    }
  return r;
}

}  // namespace

AnalyticModel analyze_topology(const Topology& t) {
  std::vector<const Component*> closed;
  for (const auto& c : t.components)
    if (c.kind->traits().client && c.arrival.process == ArrivalSpec::Process::Closed) closed.push_back(&c);
  if (closed.empty()) {
    AnalyticModel m = analyze_at(t, 0);
    add_model_notes(t, m);
    return m;
  }
  // Closed loops: each client's rate is N / (Z + R) and R grows with the rate; R(rate) is
  // increasing, so bisection on R finds the fixed point (or the resources' saturation, where the
  // users are limited by the bottleneck's capacity instead of their think time).
  double lo = 0, hi = 1;
  while (response_time(analyze_at(t, hi)) > hi && hi < 1e9) hi *= 2;
  for (int i = 0; i < 60; ++i) {
    double mid = (lo + hi) / 2;
    if (response_time(analyze_at(t, mid)) > mid)
      lo = mid;
    else
      hi = mid;
  }
  AnalyticModel m = analyze_at(t, hi);
  add_model_notes(t, m);
  for (const Component* c : closed)
    m.notes.push_back(fmt::format("client {} is closed-loop: {} users at N / (Z + R) = {} req/s, with think time Z = "
                                  "{:.6g} s and R = {:.3g} ms the resources' response time (network left out)",
                                  c->name, c->arrival.users,
                                  qps(static_cast<double>(c->arrival.users) / (c->arrival.think_time.mean() + hi)),
                                  c->arrival.think_time.mean(), hi * 1e3));
  return m;
}

std::vector<std::pair<std::string, double>> predicted_nic_utilization(const Topology& t) {
  return predicted_nic_utilization(t, analyze_topology(t));
}

std::vector<std::pair<std::string, double>> predicted_nic_utilization(const Topology& t, const AnalyticModel& m) {
  double bits_per_s = t.network.host_bandwidth;
  std::vector<std::pair<std::string, double>> out;
  auto add = [&](const std::string& name, double bytes_per_s, int64_t replicas) {
    double u = bytes_per_s * 8 / (static_cast<double>(std::max<int64_t>(replicas, 1)) * bits_per_s);
    if (u > 0) out.emplace_back(name, u);
  };
  for (const auto& c : t.components) {
    if (!c.kind->traits().client || c.arrival.process == ArrivalSpec::Process::Closed ||
        c.arrival.process == ArrivalSpec::Process::Trace)
      continue;
    double bytes = 0;
    for (const auto& r : c.requests) bytes += c.arrival.rate * r.weight * r.response_bytes;
    add(c.name, bytes, c.replicas);
  }
  for (const auto& cl : m.components) add(cl.name, cl.lambda * cl.response_bytes, cl.replicas);
  return out;
}

std::string analytic_text(const AnalyticModel& m) {
  std::string out = fmt::format("{}: analytic estimate at {} req/s offered by the clients (no simulation)\n\n",
                                m.topology, num(m.client_rate));
  out += fmt::format("{:<14} {:<14} {:>12} {:>8} {:>8} {:>10} {:>8} {:>12}\n", "component", "kind", "lambda/s",
                     "resource", "servers", "demand ms", "rho", "ErlangC ms");
  for (const auto& c : m.components) {
    std::string kind = std::string(c.kind->name()) + (c.replicas > 1 ? fmt::format(" x{}", c.replicas) : "");
    if (c.resources.empty())
      out += fmt::format("{:<14} {:<14} {:>12.1f} {:>8} {:>8} {:>10} {:>8} {:>12}\n", c.name, kind, c.lambda, "-", "-",
                         "-", "-", "-");
    for (size_t i = 0; i < c.resources.size(); ++i) {
      const ResourceLoad& r = c.resources[i];
      out += fmt::format("{:<14} {:<14} {:>12} {:>8} {:>8.0f} {:>10.3f} {:>7.1f}% {:>12}\n", i == 0 ? c.name : "",
                         i == 0 ? kind : "", i == 0 ? fmt::format("{:.1f}", c.lambda) : "", r.resource, r.servers,
                         r.demand_s * 1e3, 100 * r.utilization,
                         r.erlang_c_wait_s  ? fmt::format("{:.4g}", *r.erlang_c_wait_s * 1e3)
                         : r.utilization < 1 ? "-"  // refused above its limit, not queued
                                             : "saturated");
    }
    if (c.hit_ratio)
      out += fmt::format("{:<14} hit ratio {:.1f}%: {}\n", "", 100 * *c.hit_ratio, c.hit_ratio_method);
  }
  out += "\n";
  if (m.saturation_client_rate > 0) {
    double factor = m.saturation_client_rate / m.client_rate;
    out += fmt::format("first to saturate: {} {} reaches rho = 1 at {} req/s offered ({:.3f}x the current rate)\n",
                       m.saturates_component, m.saturates_resource, num(m.saturation_client_rate), factor);
  } else {
    out += "first to saturate: none (no resource carries load)\n";
  }
  out += "\nassumptions:\n";
  for (const auto& n : m.notes) out += "  - " + n + "\n";
  return out;
}

nlohmann::ordered_json analytic_json(const AnalyticModel& m) {
  nlohmann::ordered_json j;
  j["topology"] = m.topology;
  j["client_rate_rps"] = m.client_rate;
  nlohmann::ordered_json comps = nlohmann::ordered_json::object();
  for (const auto& c : m.components) {
    nlohmann::ordered_json cj;
    cj["kind"] = c.kind->name();
    cj["replicas"] = c.replicas;
    cj["lambda_rps"] = c.lambda;
    cj["lambda_by_type_rps"] = c.by_type;
    if (c.hit_ratio) cj["hit_ratio"] = {{"value", *c.hit_ratio}, {"method", c.hit_ratio_method}};
    nlohmann::ordered_json res = nlohmann::ordered_json::object();
    for (const auto& r : c.resources)
      res[r.resource] = {{"servers", r.servers},
                         {"demand_ms", r.demand_s * 1e3},
                         {"utilization", r.utilization},
                         {"erlang_c_wait_ms", r.erlang_c_wait_s ? nlohmann::json(*r.erlang_c_wait_s * 1e3) : nullptr}};
    cj["resources"] = res;
    comps[c.name] = cj;
  }
  j["components"] = comps;
  j["first_to_saturate"] = {{"component", m.saturates_component},
                            {"resource", m.saturates_resource},
                            {"client_rate_rps", m.saturation_client_rate}};
  j["assumptions"] = m.notes;
  return j;
}

void add_analytic_comparison(nlohmann::ordered_json& summary, const Topology& t) {
  AnalyticModel m = analyze_topology(t);
  nlohmann::ordered_json flagged = nlohmann::ordered_json::array();
  for (const auto& c : m.components) {
    if (!summary["components"].contains(c.name)) continue;
    auto& cj = summary["components"][c.name];
    nlohmann::ordered_json a;
    a["lambda_rps"] = c.lambda;
    for (const auto& r : c.resources) a[r.resource] = r.utilization;
    if (c.hit_ratio) a["hit_ratio"] = *c.hit_ratio;
    for (const auto& r : c.resources) {
      const auto& sim = cj["utilization"][r.resource];
      if (!sim.is_number()) continue;
      double s = sim.get<double>();
      double diff = r.utilization > 0 ? std::fabs(s - r.utilization) / r.utilization : 0;
      if (diff <= 0.10) continue;
      std::string why;
      if (r.utilization >= 1) why = "offered load beyond capacity: the simulation can only show 100% and growing queues";
      else if (c.kind->traits().has_disk && c.lambda > 0 && cj["throughput_rps"].is_number() &&
               cj["throughput_rps"].get<double>() > 1.1 * c.lambda)
        why = "more traffic than the analytic miss ratio predicts: likely a cold cache upstream";
      else if (cj["mean_wait_ms"].is_number() && cj["mean_wait_ms"].get<double>() > 0)
        why = "requests wait for workers or connections (contention), which throttles the resource";
      else
        why = "non-exponential service, a cold cache upstream, or the network changing the arrival pattern";
      flagged.push_back({{"component", c.name},
                         {"resource", r.resource},
                         {"simulated", s},
                         {"analytic", r.utilization},
                         {"likely_reason", why}});
    }
    cj["analytic"] = a;
  }
  summary["analytic"] = {{"first_to_saturate",
                          {{"component", m.saturates_component},
                           {"resource", m.saturates_resource},
                           {"client_rate_rps", m.saturation_client_rate}}},
                         {"differences_over_10pct", flagged}};
}

// ---------------------------------------------------------------------------------------------
// Costs

bool has_costs(const Topology& t) {
  for (const auto& c : t.components)
    if (c.cost.given) return true;
  return false;
}

namespace {

struct CostLine {
  std::string name;
  double replicas_usd = 0, storage_usd = 0, egress_usd = 0, egress_gb = 0;
  double total() const { return replicas_usd + storage_usd + egress_usd; }
};

struct CostTotals {
  std::vector<CostLine> lines;
  double monthly = 0;
  double requests_per_month = 0;
};

CostTotals cost_totals(const RunResult& r) {
  const Topology& t = *r.topology;
  CostTotals out;
  constexpr double kSecondsPerMonth = kHoursPerMonth * 3600;
  AnalyticModel m = analyze_topology(t);
  std::map<std::string, double> response_bytes;
  for (const auto& c : m.components) response_bytes[c.name] = c.response_bytes;
  std::map<std::string, double> throughput;
  for (const auto& c : r.components) throughput[c.stats.name] = static_cast<double>(c.stats.completed) / r.window();
  for (const auto& c : r.clients) throughput[c.name] = static_cast<double>(c.completed) / r.window();
  uint64_t completed = 0;
  for (const auto& c : r.clients) completed += c.completed;
  out.requests_per_month = static_cast<double>(completed) / r.window() * kSecondsPerMonth;
  for (const auto& c : t.components) {
    if (!c.cost.given) continue;
    CostLine l;
    l.name = c.name;
    l.replicas_usd = c.cost.per_replica_month * static_cast<double>(c.replicas);
    l.storage_usd = c.cost.per_gb_month * c.cost.stored_gb;
    // Egress: the responses it sends at the simulated throughput, kept up for a month.
    l.egress_gb = throughput[c.name] * response_bytes[c.name] * kSecondsPerMonth / 1e9;
    l.egress_usd = c.cost.per_gb_egress * l.egress_gb;
    out.monthly += l.total();
    out.lines.push_back(l);
  }
  return out;
}

double r6(double x) { return std::isfinite(x) ? std::stod(fmt::format("{:.6g}", x)) : 0; }

}  // namespace

nlohmann::ordered_json cost_json(const RunResult& r) {
  CostTotals c = cost_totals(r);
  nlohmann::ordered_json by = nlohmann::ordered_json::object();
  for (const auto& l : c.lines)
    by[l.name] = {{"monthly_usd", r6(l.total())},
                  {"replicas_usd", r6(l.replicas_usd)},
                  {"storage_usd", r6(l.storage_usd)},
                  {"egress_usd", r6(l.egress_usd)},
                  {"egress_gb_month", r6(l.egress_gb)}};
  nlohmann::ordered_json j;
  j["monthly_usd"] = r6(c.monthly);
  j["per_million_requests_usd"] =
      c.requests_per_month > 0 ? nlohmann::json(r6(c.monthly / (c.requests_per_month / 1e6))) : nlohmann::json(nullptr);
  j["by_component"] = by;
  return j;
}

std::string cost_line(const RunResult& r) {
  CostTotals c = cost_totals(r);
  std::string parts;
  for (const auto& l : c.lines) parts += fmt::format("{}{} ${}", parts.empty() ? "" : ", ", l.name, num(l.total()));
  return fmt::format("cost: ${}/month, ${} per million requests at the simulated throughput ({})\n", num(c.monthly),
                     c.requests_per_month > 0 ? fmt::format("{:.4g}", c.monthly / (c.requests_per_month / 1e6)) : "-",
                     parts);
}

}  // namespace archsim
