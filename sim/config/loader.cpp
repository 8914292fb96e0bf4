#include "sim/config/faults_loader.hpp"
#include "sim/config/loader.hpp"

#include "sim/config/database_presets.hpp"
#include "sim/config/cost_presets.hpp"
#include "sim/config/extends.hpp"
#include "sim/config/strict_yaml.hpp"
#include "models/common/kind.hpp"
#include "sim/support/units.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace archsim {

namespace {

// Beyond these, the linear searches of the validator and the per-pair routing of the scenario take minutes.
constexpr size_t kMaxComponents = 10000;
constexpr size_t kMaxRegions = 64;
constexpr size_t kMaxRequestTypes = 200;  // over all clients

class Loader {
 public:
  Loader(Source& src, Topology& topo) : src_(src), t_(topo) {}

  void load(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined())
      src_.fail_at({}, "the file is empty; a topology needs at least `components:` (see topologies/three-tier.yaml)");
    MapReader top(src_, root, "the topology", {"name", "regions", "network", "latency_table", "components", "run", "faults"});
    t_.name = top.has("name") ? read_string(src_, top.get("name"), "name") : "unnamed";
    if (top.has("latency_table")) load_latency_table(top.get("latency_table"));
    if (top.has("regions")) {
      t_.regions = read_string_list(src_, top.get("regions"), "regions");
      std::set<std::string> seen;
      for (size_t i = 0; i < t_.regions.size(); ++i)
        if (!seen.insert(t_.regions[i]).second) src_.fail(top.get("regions")[i], "region '" + t_.regions[i] + "' is listed twice");
      if (t_.regions.empty()) src_.fail(top.get("regions"), "regions must list at least one region");
      if (t_.regions.size() > kMaxRegions)
        src_.fail(top.get("regions")[kMaxRegions],
                  fmt::format("at most {} regions are supported; this is region {}", kMaxRegions, kMaxRegions + 1));
    } else {
      t_.regions = {"default"};
    }
    if (top.has("network")) load_network(top.get("network"));
    if (top.has("run")) load_run(top.get("run"));
    load_components(top.require("components"));
    check_contended();
    if (top.has("faults")) t_.faults = load_faults(src_, top.get("faults"), t_.latency);
  }

 private:
  void load_latency_table(const YAML::Node& node) {
    MapReader m(src_, node, "latency_table", keys_of(node));
    for (const auto& name : m.keys()) {
      YAML::Node v = m.get(name);
      double seconds;
      bool override_builtin = false;
      if (v.IsMap()) {
        MapReader e(src_, v, "latency_table." + name, {"value", "override", "description"});
        seconds = read_duration(src_, e.require("value"), t_.latency, "latency_table." + name);
        if (e.has("override")) override_builtin = read_bool(src_, e.get("override"), "override");
        if (e.has("description")) read_string(src_, e.get("description"), "description");
      } else {
        seconds = read_duration(src_, v, t_.latency, "latency_table." + name);
      }
      if (t_.latency.is_builtin(name) && !override_builtin)
        src_.fail_at(m.key_location(name),
                     fmt::format("latency_table entry '{}' shadows a built-in entry; write `{}: {{value: {}, override: "
                                 "true}}` if that is intended",
                                 name, name, v.IsScalar() ? v.Scalar() : "..."));
      t_.latency.set(name, seconds, "from " + src_.path());
    }
  }

  std::vector<std::string> keys_of(const YAML::Node& node) {
    std::vector<std::string> out;
    if (node.IsMap())
      for (auto it = node.begin(); it != node.end(); ++it)
        if (it->first.IsScalar()) out.push_back(it->first.Scalar());
    return out;
  }

  void check_region(const YAML::Node& node, const std::string& r) {
    if (std::find(t_.regions.begin(), t_.regions.end(), r) != t_.regions.end()) return;
    std::string hint = nearest(r, t_.regions);
    src_.fail(node, fmt::format("unknown region '{}'{}; regions: {}", r,
                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(t_.regions)));
  }

  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  void load_network(const YAML::Node& node) {
    MapReader m(src_, node, "network", {"intra_region_rtt", "host_bandwidth", "links", "contended"});
    if (m.has("intra_region_rtt"))
      t_.network.intra_region_rtt = read_duration(src_, m.get("intra_region_rtt"), t_.latency, "intra_region_rtt");
    if (m.has("host_bandwidth"))
      t_.network.host_bandwidth = read_bandwidth(src_, m.get("host_bandwidth"), "host_bandwidth");
    if (m.has("links")) {
      YAML::Node links = m.get("links");
      if (!links.IsSequence()) src_.fail(links, "network.links must be a list of {between: [a, b], rtt, bandwidth}");
      for (const auto& l : links) {
        MapReader lm(src_, l, "a network link", {"between", "rtt", "bandwidth", "contended"});
        RegionLink rl;
        rl.loc = src_.location(l);
        YAML::Node between = lm.require("between");
        if (!between.IsSequence() || between.size() != 2)
          src_.fail(between, "between must name exactly two regions, e.g. [us-east, eu-west]");
        rl.a = read_string(src_, between[0], "between");
        rl.b = read_string(src_, between[1], "between");
        check_region(between[0], rl.a);
        check_region(between[1], rl.b);
        if (rl.a == rl.b) src_.fail(between, "a link must join two different regions");
        for (const auto& other : t_.network.links)
          if ((other.a == rl.a && other.b == rl.b) || (other.a == rl.b && other.b == rl.a))
            src_.fail(between, fmt::format("regions {} and {} are already linked (line {})", rl.a, rl.b, other.loc.line));
        rl.rtt = read_duration(src_, lm.require("rtt"), t_.latency, "rtt");
        if (rl.rtt < t_.network.intra_region_rtt)
          src_.fail(lm.get("rtt"), fmt::format("the rtt between regions ({}) cannot be below the intra-region rtt ({})",
                                               format_duration(rl.rtt), format_duration(t_.network.intra_region_rtt)));
        rl.bandwidth = lm.has("bandwidth") ? read_bandwidth(src_, lm.get("bandwidth"), "bandwidth") : 10e9;
        if (lm.has("contended")) rl.contended = read_bool(src_, lm.get("contended"), "contended");
        t_.network.links.push_back(rl);
      }
    }
    if (m.has("contended")) {
      YAML::Node list = m.get("contended");
      if (!list.IsSequence())
        src_.fail(list, "network.contended must list components whose hosts' NICs contend, e.g. [origin, edge]");
      for (const auto& n : list) {
        t_.network.contended.push_back(read_string(src_, n, "network.contended"));
        t_.network.contended_locs.push_back(src_.location(n));
      }
    }
  }

  // `network.contended` names components.
  void check_contended() {
    std::vector<std::string> names;
    for (const auto& c : t_.components) names.push_back(c.name);
    for (size_t i = 0; i < t_.network.contended.size(); ++i) {
      const std::string& n = t_.network.contended[i];
      if (std::find(names.begin(), names.end(), n) != names.end()) continue;
      std::string hint = nearest(n, names);
      src_.fail_at(t_.network.contended_locs[i],
                   fmt::format("network.contended: no component '{}'{}", n,
                               hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    }
  }

  void load_run(const YAML::Node& node) {
    MapReader m(src_, node, "run", {"duration", "warmup", "seed"});
    if (m.has("duration")) t_.run.duration = read_duration(src_, m.get("duration"), t_.latency, "run.duration", false);
    if (m.has("warmup")) t_.run.warmup = read_duration(src_, m.get("warmup"), t_.latency, "run.warmup");
    if (m.has("seed")) t_.run.seed = static_cast<uint64_t>(read_int(src_, m.get("seed"), "run.seed", 0, INT64_MAX));
    t_.run.duration_loc = src_.location(m.has("duration") ? m.get("duration") : node);
    if (t_.run.warmup >= t_.run.duration)
      src_.fail(m.has("warmup") ? m.get("warmup") : m.get("duration"),
                fmt::format("run.warmup ({}) must be shorter than run.duration ({})", format_duration(t_.run.warmup),
                            format_duration(t_.run.duration)));
  }

  void load_components(const YAML::Node& node) {
    if (!node.IsMap() || node.size() == 0)
      src_.fail(node, "components must be a map of component names to their description");
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) src_.fail(it->first, "component names must be plain names");
      std::string name = it->first.Scalar();
      if (!seen.insert(name).second) src_.fail(it->first, fmt::format("duplicate component name '{}'", name));
      if (seen.size() > kMaxComponents)
        src_.fail(it->first, fmt::format("at most {} components are supported; this is component {}", kMaxComponents,
                                         kMaxComponents + 1));
      if (name.empty() || name.find_first_of("/ .:\t") != std::string::npos)
        src_.fail(it->first, fmt::format("component name '{}' must not be empty or contain '/', '.', ':' or spaces", name));
      t_.components.push_back(load_component(name, it->first, it->second));
    }
  }

  Component load_component(const std::string& name, const YAML::Node& key, const YAML::Node& node) {
    Component c;
    c.name = name;
    c.loc = src_.location(key);
    c.region = t_.regions.front();
    if (!node.IsMap()) src_.fail(node, fmt::format("component '{}' must be a map with at least `kind:`", name));
    YAML::Node kind_node;
    bool has_kind = false;  // a default YAML::Node is a defined null, so IsDefined() cannot tell
    for (auto it = node.begin(); it != node.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == "kind") {
        kind_node.reset(it->second);
        has_kind = true;
      }
    if (!has_kind) src_.fail(node, fmt::format("component '{}' needs `kind:` ({})", name, kind_names()));
    std::string kind = read_string(src_, kind_node, "kind");
    c.kind = find_kind(kind);
    if (!c.kind) {
      std::vector<std::string> known;
      for (const Kind* k : kinds()) known.push_back(k->name());
      std::string hint = nearest(kind, known);
      src_.fail(kind_node, fmt::format("unknown kind '{}'{}; known: {}", kind,
                                       hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), kind_names()));
    }
    c.kind->defaults(c);
    load_declared(c, node, "component '" + name + "'", c.kind->params());
    return c;
  }

  // A component's keys, as its kind declares them (models/common/params.hpp): the typed keys read
  // here, the structures by the readers below (`readers()`), each called once where its first key is
  // declared; then the declared checks, and what the kind derives from its keys.
  void load_declared(Component& c, const YAML::Node& node, const std::string& what, const ParamTable& table) {
    std::vector<std::string> allowed = {"kind", "region", "cost"};
    for (const auto& d : table.decls()) allowed.push_back(d.key);
    MapReader m(src_, node, what, allowed);
    common(c, m);
    std::shared_ptr<ParamBlock> block = table.make();
    c.params = block;
    std::set<std::string> done;
    for (const auto& d : table.decls()) {
      if (!d.reader.empty()) {
        if (done.insert(d.reader).second) (this->*reader(d.reader))(c, m);
        continue;
      }
      if (!m.has(d.key)) {
        if (d.required) m.require(d.key);
        continue;
      }
      YAML::Node v = m.get(d.key);
      d.set(c, read_value(d, v));
      if (d.locate) d.locate(c, src_.location(v));
      if (block) block->given[d.key] = m.key_location(d.key);
    }
    ParamGiven given = [&m](const std::string& key) { return m.has(key); };
    for (const auto& d : table.decls()) {
      if (!d.check || !m.has(d.key)) continue;
      std::string why = d.check(c, given);
      if (why.empty()) continue;
      if (d.check_at_key) src_.fail_at(m.key_location(d.key), why);
      src_.fail(m.get(d.key), why);
    }
    table.finish(c);
    c.replicas = c.kind->nodes(c);  // a kind that sizes itself from its parameters (its front ends)
  }

  ParamValue read_value(const ParamDecl& d, const YAML::Node& v) {
    ParamValue pv;
    switch (d.type) {
      case ParamType::Duration:
        if (!d.zero_word.empty() && v.IsScalar() && v.Scalar() == d.zero_word) break;
        pv.number = read_duration(src_, v, t_.latency, d.key, d.allow_zero);
        break;
      case ParamType::Size: pv.number = read_size(src_, v, d.key); break;
      case ParamType::Rate: pv.number = read_rate(src_, v, d.key); break;
      case ParamType::Bandwidth: pv.number = read_bandwidth(src_, v, d.key); break;
      case ParamType::Count: {
        auto lo = static_cast<int64_t>(d.min), hi = static_cast<int64_t>(d.max);
        pv.count = d.unbounded  ? read_int_or_unbounded(src_, v, d.key, lo, hi)
                   : d.suffixed ? read_count(v, d.key, lo, hi)
                                : read_int(src_, v, d.key, lo, hi);
        break;
      }
      case ParamType::Number: pv.number = read_number(src_, v, d.key, d.min, d.max); break;
      case ParamType::Flag: pv.flag = read_bool(src_, v, d.key); break;
      case ParamType::Distribution: pv.distribution = read_distribution(src_, v, t_.latency, d.key); break;
      case ParamType::Choice: pv.choice = read_choice(v, d.key, d.choices); break;
      case ParamType::Text: pv.choice = read_string(src_, v, d.key); break;
      case ParamType::Section: break;  // read by its reader
    }
    return pv;
  }


 public:
  // The readers of the structures and of the keys that are read together (ParamDecl::reader), by
  // name. `archsim schema` and kinds_test check that every name a kind declares is here.
  using Reader = void (Loader::*)(Component&, const MapReader&);
  static const std::map<std::string, Reader>& readers() {
    static const std::map<std::string, Reader> r = {
        {"arrival", &Loader::read_arrival},
        {"requests", &Loader::read_requests},
        {"calls", &Loader::read_calls},
        {"call_policy", &Loader::read_call_policy},
        {"rate_limit", &Loader::read_rate_limit_map},
        {"rate_limit_keys", &Loader::read_rate_limit_keys},
        {"health_check", &Loader::read_health_check},
        {"shards", &Loader::load_shards},
        {"cache_capacity", &Loader::read_cache_capacity},
        {"database_preset", &Loader::read_database_preset},
        {"database_profiles", &Loader::read_database_profiles},
        {"database_copies", &Loader::load_database_extras},
        {"store_placement", &Loader::read_store_placement},
        {"global_lb", &Loader::read_global_lb},
        {"store_quorum", &Loader::read_store_quorum},
        {"store_clock_skew", &Loader::read_store_clock_skew},
        {"feed_graph", &Loader::read_feed_graph},
        {"feed_strategy", &Loader::read_feed_strategy},
    };
    return r;
  }
  Reader reader(const std::string& name) {
    auto it = readers().find(name);
    if (it == readers().end()) throw std::logic_error("no configuration reader '" + name + "' (sim/config/loader.cpp)");
    return it->second;
  }

 private:

  void common(Component& c, const MapReader& m) {
    if (m.has("region")) {
      c.region = read_string(src_, m.get("region"), "region");
      check_region(m.get("region"), c.region);
    }
    if (m.has("cost")) c.cost = load_cost(m.get("cost"));
  }

  // `cost: {preset: managed_db_16core}` or `{per_replica_month: $400, per_gb_month: $0.023,
  // stored_gb: 500, per_gb_egress: $0.09}`; explicit keys override a preset's values.
  Cost load_cost(const YAML::Node& node) {
    MapReader m(src_, node, "cost", {"preset", "per_replica_month", "per_gb_month", "stored_gb", "per_gb_egress"});
    Cost cost;
    cost.given = true;
    cost.loc = src_.location(node);
    if (m.has("preset")) {
      cost.preset = read_string(src_, m.get("preset"), "preset");
      std::vector<std::string> names;
      const CostPreset* found = nullptr;
      for (const auto& p : cost_presets()) {
        names.push_back(p.name);
        if (cost.preset == p.name) found = &p;
      }
      if (!found) {
        std::string hint = nearest(cost.preset, names);
        src_.fail(m.get("preset"), fmt::format("unknown cost preset '{}'{}; known: {}", cost.preset,
                                               hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(names)));
      }
      cost.per_replica_month = found->per_replica_month;
      cost.per_gb_month = found->per_gb_month;
      cost.per_gb_egress = found->per_gb_egress;
    }
    auto usd = [&](const char* key) {
      YAML::Node v = m.get(key);
      std::string text = read_string(src_, v, key);
      if (!text.empty() && text[0] == '$') text.erase(0, 1);
      std::string why;
      std::optional<double> x = parse_number(text, &why);
      if (!x || *x < 0 || *x > 1e12)
        src_.fail(v, fmt::format("{} must be an amount in USD such as $400 or 0.023, got '{}'", key, v.Scalar()));
      return *x;
    };
    if (m.has("per_replica_month")) cost.per_replica_month = usd("per_replica_month");
    if (m.has("per_gb_month")) cost.per_gb_month = usd("per_gb_month");
    if (m.has("per_gb_egress")) cost.per_gb_egress = usd("per_gb_egress");
    if (m.has("stored_gb")) cost.stored_gb = read_number(src_, m.get("stored_gb"), "stored_gb", 0, 1e15);
    return cost;
  }

  // A database's `read:` and `write:` ({io, cpu}), over the preset's.
  void read_database_profiles(Component& c, const MapReader& m) {
    if (m.has("read")) c.read_profile = load_profile(m.get("read"), "read", c.read_profile);
    if (m.has("write")) c.write_profile = load_profile(m.get("write"), "write", c.write_profile);
  }

  OpProfile load_profile(const YAML::Node& node, const std::string& what, OpProfile p = {}) {
    MapReader m(src_, node, what, {"io", "cpu"});
    if (m.has("io")) p.io = read_distribution(src_, m.get("io"), t_.latency, what + ".io");
    if (m.has("cpu")) p.cpu = read_distribution(src_, m.get("cpu"), t_.latency, what + ".cpu");
    return p;
  }

  void read_arrival(Component& c, const MapReader& m) { load_arrival(c, m.require("arrival")); }
  void read_requests(Component& c, const MapReader& m) { load_requests(c, m.require("requests")); }
  void read_calls(Component& c, const MapReader& m) {
    if (m.has("calls")) load_calls(c, m.get("calls"));
  }
  void read_call_policy(Component& c, const MapReader& m) {
    if (!m.has("call_policy")) return;
    MapReader pm(src_, m.get("call_policy"), "call_policy", policy_keys());
    load_policy(c.call_policy, pm);
  }

  void load_arrival(Component& c, const YAML::Node& node) {
    MapReader m(src_, node, "arrival", {"process", "rate", "users", "think_time", "file"});
    ArrivalSpec& a = c.arrival;
    a.loc = src_.location(node);
    std::string p = m.has("process") ? read_string(src_, m.get("process"), "process") : "poisson";
    auto forbid = [&](const std::string& key) {
      if (m.has(key)) src_.fail_at(m.key_location(key), fmt::format("'{}' does not apply to a {} arrival process", key, p));
    };
    if (p == "poisson" || p == "constant") {
      a.process = p == "poisson" ? ArrivalSpec::Process::Poisson : ArrivalSpec::Process::Constant;
      a.rate = read_rate(src_, m.require("rate"), "rate");
      forbid("users");
      forbid("think_time");
      forbid("file");
    } else if (p == "closed") {
      a.process = ArrivalSpec::Process::Closed;
      a.users = read_int(src_, m.require("users"), "users", 1, 10000000);
      a.think_time = m.has("think_time") ? read_distribution(src_, m.get("think_time"), t_.latency, "think_time")
                                         : Distribution::constant(0);
      forbid("rate");
      forbid("file");
    } else if (p == "trace") {
      a.process = ArrivalSpec::Process::Trace;
      std::string f = read_string(src_, m.require("file"), "file");
      a.trace_file = f.size() && f[0] == '/' ? f : src_.dir_of(m.require("file")) + f;
      struct stat st{};
      if (stat(a.trace_file.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        src_.fail(m.get("file"), fmt::format("trace file '{}' is not a regular file", a.trace_file));
      std::ifstream probe(a.trace_file);
      if (!probe) src_.fail(m.get("file"), fmt::format("cannot open trace file '{}'", a.trace_file));
      forbid("rate");
      forbid("users");
      forbid("think_time");
    } else {
      std::string hint = nearest(p, {"poisson", "constant", "closed", "trace"});
      src_.fail(m.get("process"), fmt::format("unknown arrival process '{}'{}; known: poisson, constant, closed, trace", p,
                                              hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    }
  }

  void load_requests(Component& c, const YAML::Node& node) {
    if (!node.IsMap() || node.size() == 0)
      src_.fail(node, "requests must map request type names to {weight, keys}, e.g. read: {weight: 0.95}");
    double total = 0;
    for (auto it = node.begin(); it != node.end(); ++it) {
      RequestType r;
      r.name = read_string(src_, it->first, "request type");
      r.loc = src_.location(it->first);
      for (const auto& other : c.requests)
        if (other.name == r.name) src_.fail(it->first, fmt::format("duplicate request type '{}'", r.name));
      request_types_.insert(r.name);
      if (request_types_.size() > kMaxRequestTypes)
        src_.fail(it->first, fmt::format("at most {} request types are supported (over all clients)", kMaxRequestTypes));
      r.op = r.name == "write" ? Op::Write : Op::Read;
      MapReader m(src_, it->second, "request type '" + r.name + "'",
                  {"weight", "keys", "op", "request_size", "response_size"});
      if (m.has("weight")) r.weight = read_number(src_, m.get("weight"), "weight", 0, 1e12);
      if (r.weight <= 0) src_.fail(m.get("weight"), "weight must be greater than zero");
      if (m.has("op")) {
        std::string op = read_string(src_, m.get("op"), "op");
        if (op == "read") r.op = Op::Read;
        else if (op == "write") r.op = Op::Write;
        else src_.fail(m.get("op"), fmt::format("op must be read or write, got '{}'", op));
      }
      if (m.has("keys")) r.keys = load_keys(m.get("keys"));
      if (m.has("request_size")) r.request_bytes = read_size(src_, m.get("request_size"), "request_size");
      if (m.has("response_size")) r.response_bytes = read_size(src_, m.get("response_size"), "response_size");
      total += r.weight;
      c.requests.push_back(r);
    }
    for (auto& r : c.requests) r.weight /= total;
  }

  KeyDistribution load_keys(const YAML::Node& node) {
    MapReader m(src_, node, "keys", {"count", "distribution", "s", "hot_fraction", "hot_share", "start"});
    int64_t count = m.has("count") ? read_int(src_, m.get("count"), "keys.count", 1, int64_t(1) << 48) : 1000000;
    std::string d = m.has("distribution") ? read_string(src_, m.get("distribution"), "distribution") : "uniform";
    if (m.has("start") && d != "sequential")
      src_.fail_at(m.key_location("start"), "'start' applies to distribution: sequential only");
    if (d == "uniform") return KeyDistribution::uniform(static_cast<uint64_t>(count));
    if (d == "zipf") {
      double s = read_number(src_, m.require("s"), "s", 0, 20);
      if (s <= 0) src_.fail(m.get("s"), "zipf exponent s must be greater than zero (use distribution: uniform for 0)");
      return KeyDistribution::zipf(static_cast<uint64_t>(count), s);
    }
    if (d == "hotset") {
      double f = read_number(src_, m.require("hot_fraction"), "hot_fraction", 0, 1);
      double sh = read_number(src_, m.require("hot_share"), "hot_share", 0, 1);
      if (f <= 0 || f >= 1) src_.fail(m.get("hot_fraction"), "hot_fraction must be strictly between 0 and 1");
      return KeyDistribution::hotset(static_cast<uint64_t>(count), f, sh);
    }
    if (d == "sequential") {
      uint64_t start = m.has("start") ? static_cast<uint64_t>(read_int(src_, m.get("start"), "keys.start", 0, int64_t(1) << 48))
                                      : static_cast<uint64_t>(count);
      return KeyDistribution::sequential(static_cast<uint64_t>(count), start);
    }
    std::string hint = nearest(d, {"uniform", "zipf", "hotset", "sequential"});
    src_.fail(m.get("distribution"), fmt::format("unknown key distribution '{}'{}; known: uniform, zipf, hotset, sequential", d,
                                                 hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  }

  void load_calls(Component& c, const YAML::Node& node) {
    defaults_ = c.kind->traits().guards_calls ? c.call_policy : CallPolicy{};
    policy_allowed_ = c.kind->traits().guards_calls;
    if (node.IsSequence()) {
      c.calls["*"] = load_call_list(node);
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        std::string type = read_string(src_, it->first, "request type in calls");
        if (c.calls.count(type)) src_.fail(it->first, fmt::format("calls for '{}' are given twice", type));
        c.calls[type] = load_call_list(it->second);
      }
    } else {
      src_.fail(node, "calls must be a list of components, or a map from request type to such a list");
    }
  }

  std::vector<CallSpec> load_call_list(const YAML::Node& node) {
    if (!node.IsSequence()) src_.fail(node, "expected a list of calls, e.g. [cache, db]");
    std::vector<CallSpec> out;
    for (const auto& n : node) {
      CallSpec cs;
      cs.loc = src_.location(n);
      cs.policy = defaults_;
      if (n.IsScalar()) {
        cs.targets.push_back(read_string(src_, n, "call"));
        cs.target_locs.push_back(cs.loc);
      } else if (n.IsMap() && n["parallel"]) {
        MapReader m(src_, n, "a parallel call group", {"parallel"});
        YAML::Node list = m.get("parallel");
        if (!list.IsSequence() || list.size() == 0) src_.fail(list, "parallel must list the components called together");
        cs.shape = CallSpec::Shape::Parallel;
        for (const auto& t : list) {
          cs.targets.push_back(read_string(src_, t, "parallel call"));
          cs.target_locs.push_back(src_.location(t));
        }
      } else if (n.IsMap() && n["enqueue"]) {
        MapReader m(src_, n, "an enqueue call", {"enqueue"});
        cs.enqueue = true;
        cs.targets.push_back(read_string(src_, m.get("enqueue"), "enqueue"));
        cs.target_locs.push_back(src_.location(m.get("enqueue")));
      } else if (n.IsMap()) {
        std::vector<std::string> keys = {"to", "call", "fanout", "wait_for", "hedge", "tied"};
        for (const auto& k : policy_keys()) keys.push_back(k);
        MapReader m(src_, n, "a call", keys);
        if (m.has("to") && m.has("call")) src_.fail(m.get("call"), "give the callee once: `call:` and `to:` are the same key");
        const char* to_key = m.has("call") ? "call" : "to";
        YAML::Node f = m.get("fanout");
        if (f && f.IsMap()) {
          load_fanout_map(cs, f);
          if (m.has(to_key)) src_.fail(m.get(to_key), fmt::format("give `to` inside the fanout map, not `{}` next to it", to_key));
        } else {
          cs.targets.push_back(read_string(src_, m.require(to_key), to_key));
          cs.target_locs.push_back(src_.location(m.get(to_key)));
          if (m.has("fanout")) {
            cs.shape = CallSpec::Shape::Fanout;
            if (f.IsScalar() && f.Scalar() == "all") cs.fanout = -1;
            else cs.fanout = read_int(src_, f, "fanout", 1, kMaxReplicas);
          }
        }
        if (m.has("wait_for")) load_wait_for(cs, m.get("wait_for"));
        if (m.has("hedge")) load_hedge(cs, m.get("hedge"));
        if (m.has("tied")) cs.tied = read_bool(src_, m.get("tied"), "tied");
        if (cs.tied && (cs.hedge_after > 0 || cs.hedge_quantile > 0)) {
          if (m.has("tied")) src_.fail(m.get("tied"), "a call is either hedged or tied, not both");
          src_.fail(n, "a call is either hedged or tied, not both");
        }
        bool own_policy = false;
        for (const auto& k : policy_keys()) own_policy = own_policy || m.has(k);
        if (own_policy) {
          const std::string first = *std::find_if(m.keys().begin(), m.keys().end(), [&](const std::string& k) {
            auto pk = policy_keys();
            return std::find(pk.begin(), pk.end(), k) != pk.end();
          });
          if (!policy_allowed_)
            src_.fail_at(m.key_location(first),
                         fmt::format("`{}` is failure handling by a service's calls; a queue's consumers retry whole "
                                     "messages (max_attempts, retry_backoff) instead",
                                     first));
          if (cs.shape != CallSpec::Shape::Single || cs.tied || cs.hedge_after > 0 || cs.hedge_quantile > 0)
            src_.fail_at(m.key_location(first),
                         fmt::format("`{}` applies to a single call to one component, not to a fan-out, hedged or tied "
                                     "call",
                                     first));
          load_policy(cs.policy, m);
        }
      } else {
        src_.fail(n, "a call is a component name, {parallel: [a, b]} or {to: name, fanout: all}");
      }
      out.push_back(cs);
    }
    return out;
  }

  // ---- Failure handling by the callers (models/common/resilience.hpp, docs/topology.md) ----

  static std::vector<std::string> policy_keys() { return {"timeout", "retries", "circuit_breaker", "fallback", "idempotency", "failover"}; }

  // The policy keys of `m` (a call, or `call_policy:`) over `p`.
  void load_policy(CallPolicy& p, const MapReader& m) {
    if (m.has("timeout")) p.timeout = read_duration(src_, m.get("timeout"), t_.latency, "timeout", false);
    if (m.has("retries")) {
      MapReader r(src_, m.get("retries"), "retries", {"max", "backoff", "base", "max_delay", "jitter", "max_retry_ratio", "budget_window"});
      p.max_retries = read_int(src_, r.require("max"), "retries.max", 0, 100);
      if (r.has("backoff"))
        p.backoff = read_choice(r.get("backoff"), "backoff", {"exponential", "constant"}) == "exponential"
                        ? CallPolicy::Backoff::Exponential
                        : CallPolicy::Backoff::Constant;
      if (r.has("base")) p.base = read_duration(src_, r.get("base"), t_.latency, "retries.base", true);
      if (r.has("max_delay")) p.max_delay = read_duration(src_, r.get("max_delay"), t_.latency, "retries.max_delay", true);
      if (p.max_delay < p.base)
        src_.fail(r.has("max_delay") ? r.get("max_delay") : r.get("base"),
                  fmt::format("retries.max_delay ({:g} s) is below retries.base ({:g} s): every backoff would be capped "
                              "below its base; raise max_delay or lower base",
                              p.max_delay, p.base));
      if (r.has("jitter")) {
        std::string j = read_choice(r.get("jitter"), "jitter", {"full", "equal", "none"});
        p.jitter = j == "full" ? CallPolicy::Jitter::Full : j == "equal" ? CallPolicy::Jitter::Equal : CallPolicy::Jitter::None;
      }
      if (r.has("max_retry_ratio")) p.max_retry_ratio = read_number(src_, r.get("max_retry_ratio"), "retries.max_retry_ratio", 0, 1);
      if (r.has("budget_window")) {
        if (!r.has("max_retry_ratio"))
          src_.fail_at(r.key_location("budget_window"), "budget_window needs max_retry_ratio beside it (the budget it is the window of)");
        p.budget_window = read_duration(src_, r.get("budget_window"), t_.latency, "retries.budget_window", false);
      }
    }
    if (m.has("circuit_breaker")) {
      MapReader b(src_, m.get("circuit_breaker"), "circuit_breaker", {"failure_ratio", "window", "open_for", "min_calls"});
      p.cb_failure_ratio = read_number(src_, b.require("failure_ratio"), "circuit_breaker.failure_ratio", 0, 1);
      if (p.cb_failure_ratio <= 0)
        src_.fail(b.get("failure_ratio"), "circuit_breaker.failure_ratio must be above 0 (a share of failed calls, e.g. 0.5)");
      if (b.has("window")) p.cb_window = read_duration(src_, b.get("window"), t_.latency, "circuit_breaker.window", false);
      if (b.has("open_for")) p.cb_open_for = read_duration(src_, b.get("open_for"), t_.latency, "circuit_breaker.open_for", false);
      if (b.has("min_calls")) p.cb_min_calls = read_int(src_, b.get("min_calls"), "circuit_breaker.min_calls", 1, 1000000000);
    }
    if (m.has("fallback")) {
      std::string f = read_choice(m.get("fallback"), "fallback", {"fail_open", "fail_closed", "stale_cache"});
      p.fallback = f == "fail_open"     ? CallPolicy::Fallback::FailOpen
                   : f == "fail_closed" ? CallPolicy::Fallback::FailClosed
                                        : CallPolicy::Fallback::StaleCache;
    }
    if (m.has("idempotency")) {
      YAML::Node i = m.get("idempotency");
      if (i.IsMap()) {
        MapReader im(src_, i, "idempotency", {"lookup", "ttl"});
        p.idempotency = true;
        if (im.has("lookup")) p.idempotency_lookup = read_duration(src_, im.get("lookup"), t_.latency, "idempotency.lookup", true);
        if (im.has("ttl")) p.idempotency_ttl = read_duration(src_, im.get("ttl"), t_.latency, "idempotency.ttl", false);
      } else {
        p.idempotency = read_bool(src_, i, "idempotency");
      }
    }
    if (m.has("failover")) p.failover = read_bool(src_, m.get("failover"), "failover");
  }

  CallPolicy defaults_;          // the component's call_policy while its calls load
  bool policy_allowed_ = false;  // services only

  // ---- Rate limiting at the edge and queues (docs/topology.md) ----

  static std::vector<std::string> rate_limit_keys() {
    return {"algorithm", "capacity", "refill", "limit", "window", "per", "state", "store", "on_store_failure",
            "store_timeout", "burst_window"};
  }

  // One word out of `known`, or an error naming them (with the nearest as a suggestion).
  std::string read_choice(const YAML::Node& node, const std::string& what, const std::vector<std::string>& known) {
    std::string v = read_string(src_, node, what);
    if (std::find(known.begin(), known.end(), v) != known.end()) return v;
    std::string hint = nearest(v, known);
    src_.fail(node, fmt::format("unknown {} '{}'{}; known: {}", what, v,
                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(known)));
  }

  // The limit keys of `m` (a rate_limiter component, or a load balancer's `rate_limit:` map).
  RateLimitSpec load_rate_limit(const MapReader& m) {
    RateLimitSpec r;
    r.loc = src_.location(m.node());
    std::string a = read_choice(m.require("algorithm"), "algorithm", {"token_bucket", "sliding_window_log", "fixed_window"});
    auto forbid = [&](const char* key) {
      if (m.has(key))
        src_.fail_at(m.key_location(key), fmt::format("'{}' does not apply to a {} limiter (token_bucket takes capacity "
                                                      "and refill; sliding_window_log and fixed_window take limit and "
                                                      "window)",
                                                      key, a));
    };
    if (a == "token_bucket") {
      r.algorithm = RateLimitSpec::Algorithm::TokenBucket;
      r.capacity = read_number(src_, m.require("capacity"), "capacity", 1, 1e12);  // below one token nothing passes
      r.refill = read_rate(src_, m.require("refill"), "refill");
      if (r.refill <= 0) src_.fail(m.get("refill"), "refill must be a rate above zero, e.g. 5/s");
      forbid("limit");
      forbid("window");
    } else {
      r.algorithm = a == "fixed_window" ? RateLimitSpec::Algorithm::FixedWindow : RateLimitSpec::Algorithm::SlidingWindowLog;
      r.limit = read_int(src_, m.require("limit"), "limit", 1, int64_t(1) << 40);
      r.window = read_duration(src_, m.require("window"), t_.latency, "window", false);
      forbid("capacity");
      forbid("refill");
    }
    if (m.has("per")) {
      std::string per = read_choice(m.get("per"), "per", {"global", "key", "client"});
      r.per = per == "global" ? RateLimitSpec::Per::Global : per == "key" ? RateLimitSpec::Per::Key : RateLimitSpec::Per::Client;
    }
    if (m.has("state"))
      r.state = read_choice(m.get("state"), "state", {"local", "central"}) == "central" ? RateLimitSpec::State::Central
                                                                                         : RateLimitSpec::State::Local;
    if (r.state == RateLimitSpec::State::Central) {
      if (!m.has("store"))
        src_.fail_at(m.key_location("state"), "state: central needs `store:`, the component holding the counters (e.g. a "
                                              "Redis cache)");
      r.store = read_string(src_, m.get("store"), "store");
      r.store_loc = src_.location(m.get("store"));
      if (m.has("on_store_failure"))
        r.fail_open = read_choice(m.get("on_store_failure"), "on_store_failure", {"fail_open", "fail_closed"}) == "fail_open";
      if (m.has("store_timeout"))
        r.store_timeout = read_duration(src_, m.get("store_timeout"), t_.latency, "store_timeout", false);
    } else {
      for (const char* key : {"store", "on_store_failure", "store_timeout"})
        if (m.has(key))
          src_.fail_at(m.key_location(key), fmt::format("'{}' applies only to state: central (counters in a store)", key));
    }
    if (m.has("burst_window")) r.burst_window = read_duration(src_, m.get("burst_window"), t_.latency, "burst_window", false);
    return r;
  }

  // A rate_limiter's own limit keys (beside target, policy, delay), and a load balancer's `rate_limit:`.
  void read_rate_limit_keys(Component& c, const MapReader& m) { c.rate_limit = load_rate_limit(m); }
  void read_rate_limit_map(Component& c, const MapReader& m) {
    if (!m.has("rate_limit")) return;
    MapReader r(src_, m.get("rate_limit"), "rate_limit", rate_limit_keys());
    c.rate_limit = load_rate_limit(r);
  }

  // `kind: replicated_store` (models/replicated_store/replicated_store.hpp): `replicas:` is a list
  // of regions, one replica in each entry, or a count placed in `region:`.
  void read_store_placement(Component& c, const MapReader& m) {
    StoreSpec& s = c.store;
    YAML::Node rn = m.require("replicas");
    if (rn.IsSequence()) {
      if (rn.size() == 0) src_.fail(rn, "replicas: give at least one region, e.g. [us-east, eu-west, ap-south]");
      for (const auto& r : rn) {
        std::string region = read_string(src_, r, "replicas");
        check_region(r, region);
        s.placement.push_back(region);
        s.placement_locs.push_back(src_.location(r));
      }
      if (s.placement.size() > static_cast<size_t>(kMaxReplicas))
        src_.fail(rn, fmt::format("at most {} replicas are supported", kMaxReplicas));
    } else {
      int64_t n = read_int(src_, rn, "replicas", 1, kMaxReplicas);
      s.placement.assign(static_cast<size_t>(n), c.region);
      s.placement_locs.assign(static_cast<size_t>(n), src_.location(rn));
    }
    c.replicas = static_cast<int64_t>(s.placement.size());
    c.region = s.placement.front();
  }

  // `kind: global_load_balancer`: its endpoints (components, checked later with every reference)
  // and the regions it has a node in (every region of the topology unless listed).
  void read_global_lb(Component& c, const MapReader& m) {
    GlobalLbSpec& g = c.global_lb;
    YAML::Node en = m.require("endpoints");
    const char* example = "endpoints: give a list of components, e.g. [lb-us, lb-eu]";
    if (!en.IsSequence() || en.size() == 0) src_.fail(en, example);
    for (const auto& e : en) {
      g.endpoints.push_back(read_string(src_, e, "endpoints"));
      g.endpoint_locs.push_back(src_.location(e));
    }
    if (m.has("regions")) {
      YAML::Node rn = m.get("regions");
      if (!rn.IsSequence() || rn.size() == 0) src_.fail(rn, "regions: give a list of regions, e.g. [us-east, eu-west]");
      for (const auto& r : rn) {
        std::string region = read_string(src_, r, "regions");
        check_region(r, region);
        if (std::find(g.regions.begin(), g.regions.end(), region) != g.regions.end())
          src_.fail(r, fmt::format("region '{}' is listed twice", region));
        g.regions.push_back(region);
      }
    } else {
      g.regions = t_.regions;
    }
    c.replicas = static_cast<int64_t>(g.regions.size());
    c.region = g.regions.front();
  }

  void read_health_check(Component& c, const MapReader& m) {
    if (!m.has("health_check")) return;
    YAML::Node node = m.get("health_check");
    MapReader h(src_, node, "health_check", {"interval", "timeout", "unhealthy_after", "healthy_after"});
    HealthCheckSpec& hc = c.health_check;
    c.health_check_loc = src_.location(node);
    if (!h.has("interval")) src_.fail(node, "health_check needs an interval, e.g. {interval: 1s, timeout: 500ms}");
    hc.interval = read_duration(src_, h.get("interval"), t_.latency, "health_check.interval", false);
    if (h.has("timeout")) hc.timeout = read_duration(src_, h.get("timeout"), t_.latency, "health_check.timeout", false);
    if (hc.timeout <= 0) hc.timeout = hc.interval / 2;
    if (hc.timeout > hc.interval)
      src_.fail(h.get("timeout"), fmt::format("health_check.timeout ({}) must not exceed its interval ({}): a probe "
                                              "round would start before the last one is judged",
                                              format_duration(hc.timeout), format_duration(hc.interval)));
    if (h.has("unhealthy_after"))
      hc.unhealthy_after = read_int(src_, h.get("unhealthy_after"), "health_check.unhealthy_after", 1, 1000);
    if (h.has("healthy_after"))
      hc.healthy_after = read_int(src_, h.get("healthy_after"), "health_check.healthy_after", 1, 1000);
  }

  void read_store_quorum(Component& c, const MapReader& m) {
    if (!m.has("quorum")) return;
    StoreSpec& s = c.store;
    int64_t R = c.replicas;
    MapReader q(src_, m.get("quorum"), "quorum", {"n", "r", "w", "sloppy"});
    s.quorum_loc = src_.location(m.get("quorum"));
    if (q.has("n")) s.n = read_int(src_, q.get("n"), "quorum.n", 1, R);
    int64_t n = s.n > 0 ? s.n : R;
    if (q.has("r")) s.r = read_int(src_, q.get("r"), "quorum.r", 1, n);
    if (q.has("w")) s.w = read_int(src_, q.get("w"), "quorum.w", 1, n);
    if (q.has("sloppy")) s.sloppy = read_bool(src_, q.get("sloppy"), "quorum.sloppy");
  }

  void read_store_clock_skew(Component& c, const MapReader& m) {
    if (!m.has("clock_skew")) return;
    StoreSpec& s = c.store;
    int64_t R = c.replicas;
    YAML::Node cs = m.get("clock_skew");
    s.clock_skew_loc = src_.location(cs);
    if (!cs.IsSequence() || cs.size() != static_cast<size_t>(R))
      src_.fail(cs, fmt::format("clock_skew: give one offset per replica ({} here), e.g. [0ms, 0ms, 50ms]", R));
    for (const auto& v : cs) {
      // A clock runs ahead (+50ms, 50ms) or behind (-50ms).
      std::string text = v.IsScalar() ? v.Scalar() : "";
      bool negative = !text.empty() && text[0] == '-';
      if (negative || (!text.empty() && text[0] == '+')) text = text.substr(1);
      std::string why;
      auto d = parse_duration(text, &why);
      if (!v.IsScalar() || !d) src_.fail(v, fmt::format("clock_skew: {}", v.IsScalar() ? why : "give a duration such as -20ms"));
      s.clock_skew.push_back(negative ? -*d : *d);
    }
  }

  // Databases and caches: `shards: N` and `sharding: {strategy, key, vnodes, boundaries, directory}`.
  void load_shards(Component& c, const MapReader& m) {
    if (m.has("sharding") && !m.has("shards"))
      src_.fail_at(m.key_location("sharding"), "sharding needs `shards: N` beside it (the number of shards)");
    if (!m.has("shards")) return;
    if (m.has("replicas"))
      src_.fail_at(m.key_location("shards"),
                   fmt::format("give either `shards:` or `replicas:` for {} '{}', not both (with shards, the key picks "
                               "the shard; {})",
                               c.kind->name(), c.name,
                               c.kind->traits().has_disk ? "copies of a shard are `read_replicas:`"
                                                                 : "replicas are one per shard"));
    c.shards = read_int(src_, m.get("shards"), "shards", 1, kMaxReplicas);
    c.replicas = c.shards;
    c.sharding_loc = src_.location(m.get("shards"));
    if (!m.has("sharding")) return;
    YAML::Node node = m.get("sharding");
    MapReader sm(src_, node, "sharding", {"strategy", "key", "vnodes", "boundaries", "directory"});
    ShardingSpec& sp = c.sharding;
    sp.given = true;
    std::string st = sm.has("strategy") ? read_string(src_, sm.get("strategy"), "strategy") : "hash_mod";
    const std::vector<std::string> known = {"hash_mod", "consistent_hash", "range", "directory"};
    if (st == "hash_mod") sp.strategy = ShardStrategy::HashMod;
    else if (st == "consistent_hash") sp.strategy = ShardStrategy::ConsistentHash;
    else if (st == "range") sp.strategy = ShardStrategy::Range;
    else if (st == "directory") sp.strategy = ShardStrategy::Directory;
    else {
      std::string hint = nearest(st, known);
      src_.fail(sm.get("strategy"), fmt::format("unknown sharding strategy '{}'{}; known: {}", st,
                                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(known)));
    }
    if (sm.has("key")) sp.key = read_string(src_, sm.get("key"), "sharding.key");
    auto only_for = [&](const char* key, ShardStrategy s) {
      if (sm.has(key) && sp.strategy != s)
        src_.fail_at(sm.key_location(key), fmt::format("'{}' applies to {} sharding, not {}", key, to_string(s), st));
    };
    only_for("vnodes", ShardStrategy::ConsistentHash);
    only_for("boundaries", ShardStrategy::Range);
    only_for("directory", ShardStrategy::Directory);
    if (sm.has("vnodes")) sp.vnodes = read_int(src_, sm.get("vnodes"), "vnodes", 1, 10000);
    if (c.shards * sp.vnodes > 10000000)
      src_.fail(sm.has("vnodes") ? sm.get("vnodes") : m.get("shards"),
                fmt::format("a ring of {} shards x {} vnodes is too large; use fewer vnodes", c.shards, sp.vnodes));
    if (sp.strategy == ShardStrategy::Range) {
      YAML::Node b = sm.require("boundaries");
      if (!b.IsSequence())
        src_.fail(b, "boundaries must be a list of ascending keys, one fewer than the shards, e.g. [250000, 500000, 750000]");
      if (b.size() != static_cast<size_t>(c.shards - 1))
        src_.fail(b, fmt::format("range sharding over {} shards needs {} boundaries (shard i holds keys from boundary i-1 up "
                                 "to boundary i), got {}",
                                 c.shards, c.shards - 1, b.size()));
      for (size_t i = 0; i < b.size(); ++i) {
        uint64_t v = static_cast<uint64_t>(read_int(src_, b[i], "boundary", 0, int64_t(1) << 62));
        if (!sp.boundaries.empty() && v <= sp.boundaries.back())
          src_.fail(b[i], fmt::format("boundaries must be strictly ascending: {} (item {}) is not above {} (item {})", v,
                                      i + 1, sp.boundaries.back(), i));
        sp.boundaries.push_back(v);
      }
    }
    if (sp.strategy == ShardStrategy::Directory) sp.directory = read_string(src_, sm.require("directory"), "directory");
  }

  // `preset: postgres`: the node's capacity from the seed's numbers; keys written beside it override it.
  void read_database_preset(Component& c, const MapReader& m) {
    if (!m.has("preset")) return;
    YAML::Node node = m.get("preset");
    std::string name = read_string(src_, node, "preset");
    const DatabasePreset* p = find_database_preset(name);
    if (!p) {
      std::vector<std::string> names;
      for (const auto& q : database_presets()) names.push_back(q.name);
      std::string hint = nearest(name, names);
      src_.fail(node, fmt::format("unknown database preset '{}'{}; known: {}", name,
                                  hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(names)));
    }
    c.db.preset = p->name;
    c.cores = p->cores;
    c.workers = p->max_connections;
    c.io_parallelism = p->io_parallelism;
    c.read_profile = {Distribution::constant(p->read_io), Distribution::constant(p->read_cpu)};
    c.write_profile = {Distribution::constant(p->write_io), Distribution::constant(p->write_cpu)};
    c.db.refuse_over_limit = p->refuse_over_limit;
    c.db.connection_cpu = p->connection_cpu;
    c.db.connection_memory = p->connection_memory;
  }

  // `failover: {detect_after: 10s, promote_time: 5s}` (hot standby, `mode: auto` implied),
  // `failover: {mode: manual, restore_time: 4h}` (cold standby), or the short forms `failover: auto`
  // and `failover: manual` with `restore_time:` beside it on the database.
  void load_failover(Component& c, const MapReader& m) {
    DatabaseSpec& d = c.db;
    if (m.has("restore_time") && !m.has("failover"))
      src_.fail_at(m.key_location("restore_time"), "restore_time belongs to a cold standby: add failover: manual");
    if (!m.has("failover")) return;
    YAML::Node fn = m.get("failover");
    auto set_mode = [&](const YAML::Node& node) {
      std::string mo = read_string(src_, node, "failover mode");
      if (mo == "auto") d.failover = FailoverMode::Hot;
      else if (mo == "manual") d.failover = FailoverMode::Manual;
      else {
        std::string hint = nearest(mo, {"auto", "manual"});
        src_.fail(node, fmt::format("unknown failover mode '{}'{}; known: auto (hot standby: a read replica is "
                                    "promoted), manual (cold standby: restored after restore_time)",
                                    mo, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
    };
    bool restore_given = m.has("restore_time");
    if (fn.IsMap()) {
      MapReader fm(src_, fn, "failover", {"mode", "detect_after", "promote_time", "restore_time"});
      d.failover = FailoverMode::Hot;
      if (fm.has("mode")) set_mode(fm.get("mode"));
      if (d.failover == FailoverMode::Hot) {
        for (const char* k : {"restore_time"})
          if (fm.has(k))
            src_.fail_at(fm.key_location(k), "restore_time is for failover: {mode: manual}; a hot standby takes "
                                             "detect_after and promote_time");
        if (fm.has("detect_after"))
          d.detect_after = read_duration(src_, fm.get("detect_after"), t_.latency, "failover.detect_after");
        if (fm.has("promote_time"))
          d.promote_time = read_duration(src_, fm.get("promote_time"), t_.latency, "failover.promote_time");
      } else {
        for (const char* k : {"detect_after", "promote_time"})
          if (fm.has(k))
            src_.fail_at(fm.key_location(k), fmt::format("{} is for a hot standby (mode: auto); a manual failover "
                                                         "takes restore_time",
                                                         k));
        if (fm.has("restore_time") && restore_given)
          src_.fail_at(m.key_location("restore_time"), "restore_time is given twice: keep the one inside failover");
        if (fm.has("restore_time")) {
          d.restore_time = read_duration(src_, fm.get("restore_time"), t_.latency, "failover.restore_time", false);
          restore_given = true;
        }
      }
    } else {
      set_mode(fn);
    }
    if (d.failover == FailoverMode::Manual) {
      if (!restore_given)
        src_.fail(fn, "a manual failover needs restore_time, how long the operator takes to bring the primary "
                      "back (e.g. restore_time: 4h)");
      if (m.has("restore_time"))
        d.restore_time = read_duration(src_, m.get("restore_time"), t_.latency, "restore_time", false);
    } else {
      if (m.has("restore_time"))
        src_.fail_at(m.key_location("restore_time"), "restore_time is for failover: manual; a hot standby takes "
                                                     "detect_after and promote_time");
      if (d.read_replicas == 0)
        src_.fail_at(m.key_location("failover"), "a hot standby failover promotes a read replica: add read_replicas: "
                                                 "1 or more, or use failover: {mode: manual, restore_time: 4h}");
    }
  }

  // The database keys beyond schema v1: shards, read replicas and replication, connection handling.
  void load_database_extras(Component& c, const MapReader& m) {
    DatabaseSpec& d = c.db;
    d.loc = c.loc;
    int64_t legacy_replicas = c.replicas;  // `replicas:` alone: that many hash-mod shards, as before
    load_shards(c, m);
    int64_t shards = c.shards ? c.shards : legacy_replicas;
    if (m.has("read_replicas")) d.read_replicas = read_int(src_, m.get("read_replicas"), "read_replicas", 0, 1000);
    if (m.has("reads_from")) {
      std::string r = read_string(src_, m.get("reads_from"), "reads_from");
      if (r == "primary") d.reads_from = ReadsFrom::Primary;
      else if (r == "replicas") d.reads_from = ReadsFrom::Replicas;
      else if (r == "any") d.reads_from = ReadsFrom::Any;
      else {
        std::string hint = nearest(r, {"primary", "replicas", "any"});
        src_.fail(m.get("reads_from"), fmt::format("unknown reads_from '{}'{}; known: primary, replicas, any", r,
                                                   hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      if (d.reads_from != ReadsFrom::Primary && d.read_replicas == 0)
        src_.fail(m.get("reads_from"), fmt::format("reads_from: {} needs read_replicas: 1 or more", r));
    }
    if (m.has("replication")) {
      YAML::Node rn = m.get("replication");
      YAML::Node mode;
      if (rn.IsMap()) {
        MapReader rm(src_, rn, "replication", {"mode", "apply"});
        mode = rm.require("mode");
        if (rm.has("apply")) d.apply = read_distribution(src_, rm.get("apply"), t_.latency, "replication.apply");
      } else {
        mode = rn;
      }
      std::string mo = read_string(src_, mode, "replication");
      if (mo == "async") d.replication = ReplicationMode::Async;
      else if (mo == "sync") d.replication = ReplicationMode::Sync;
      else {
        std::string hint = nearest(mo, {"async", "sync"});
        src_.fail(mode, fmt::format("unknown replication mode '{}'{}; known: async, sync", mo,
                                    hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      if (d.read_replicas == 0)
        src_.fail_at(m.key_location("replication"), "replication needs read_replicas: 1 or more to replicate to");
    }
    if (m.has("pooler")) {
      YAML::Node pn = m.get("pooler");
      MapReader pm(src_, pn, "pooler", {"kind", "server_connections", "max_client_connections", "enabled"});
      d.pooler = pm.has("enabled") ? read_bool(src_, pm.get("enabled"), "pooler.enabled") : true;
      if (pm.has("kind")) {
        d.pooler_kind = read_string(src_, pm.get("kind"), "pooler.kind");
        std::vector<std::string> kinds = {"pgbouncer", "rds_proxy", "proxysql"};
        if (std::find(kinds.begin(), kinds.end(), d.pooler_kind) == kinds.end()) {
          std::string hint = nearest(d.pooler_kind, kinds);
          src_.fail(pm.get("kind"), fmt::format("unknown pooler kind '{}'{}; known: {}", d.pooler_kind,
                                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), join(kinds)));
        }
      }
      if (pm.has("server_connections"))
        d.server_connections = read_int(src_, pm.get("server_connections"), "server_connections", 1, kMaxWorkers);
      if (pm.has("max_client_connections"))
        d.max_client_connections =
            read_int(src_, pm.get("max_client_connections"), "max_client_connections", 1, kMaxWorkers);
      if (d.server_connections > c.workers)
        src_.fail(pm.has("server_connections") ? pm.get("server_connections") : pn,
                  fmt::format("the pooler's server_connections ({}) exceed the database's max_connections ({})",
                              d.server_connections, c.workers));
      if (d.max_client_connections < d.server_connections)
        src_.fail(pm.get("max_client_connections"),
                  fmt::format("max_client_connections ({}) is below server_connections ({})", d.max_client_connections,
                              d.server_connections));
    }
    load_failover(c, m);
    if (c.shards == 0 && d.read_replicas > 0) c.shards = shards;
    c.replicas = shards * (1 + d.read_replicas);
    if (c.replicas > kMaxReplicas)
      src_.fail_at(c.loc, fmt::format("{} shards x (1 + {} read replicas) = {} nodes; at most {} are supported", shards,
                                      d.read_replicas, c.replicas, kMaxReplicas));
  }

  // `capacity: 100000` counts entries; `capacity: 4GB` counts bytes (each value charged its size).
  void read_cache_capacity(Component& c, const MapReader& m) {
    YAML::Node node = m.require("capacity");
    bool has_unit = node.IsScalar() && node.Scalar().find_first_of("BKMGTi") != std::string::npos;
    if (!has_unit) {
      c.cache.capacity = read_int(src_, node, "capacity", 1, int64_t(1) << 40);
      return;
    }
    c.cache.capacity_bytes = read_size(src_, node, "capacity");
    if (c.cache.capacity_bytes < 1) src_.fail(node, "capacity must be at least 1 byte (or a number of entries)");
    c.cache.capacity = 0;
  }

  // `fanout: {to: leaf, count: 100 | all, wait_for: 95, hedge: {after: p95}}`.
  void load_fanout_map(CallSpec& cs, const YAML::Node& f) {
    MapReader fm(src_, f, "a fanout", {"to", "count", "wait_for", "hedge", "tied"});
    cs.shape = CallSpec::Shape::Fanout;
    cs.targets.push_back(read_string(src_, fm.require("to"), "to"));
    cs.target_locs.push_back(src_.location(fm.get("to")));
    YAML::Node count = fm.require("count");
    if (count.IsScalar() && count.Scalar() == "all") cs.fanout = -1;
    else cs.fanout = read_int(src_, count, "count", 1, kMaxReplicas);
    if (fm.has("wait_for")) load_wait_for(cs, fm.get("wait_for"));
    if (fm.has("hedge")) load_hedge(cs, fm.get("hedge"));
    if (fm.has("tied")) cs.tied = read_bool(src_, fm.get("tied"), "tied");
    if (cs.tied && (cs.hedge_after > 0 || cs.hedge_quantile > 0))
      src_.fail(fm.has("tied") ? fm.get("tied") : fm.get("hedge"), "a call is either hedged or tied, not both");
  }

  void load_wait_for(CallSpec& cs, const YAML::Node& w) {
    if (cs.shape != CallSpec::Shape::Fanout) src_.fail(w, "wait_for needs a fan-out call: {fanout: {to: leaf, count: 100, wait_for: 95}}");
    cs.wait_for = read_int(src_, w, "wait_for", 1, kMaxReplicas);
    if (cs.fanout > 0 && cs.wait_for > cs.fanout)
      src_.fail(w, fmt::format("wait_for {} exceeds the fan-out count {}", cs.wait_for, cs.fanout));
  }

  // `hedge: {after: p95 | 10ms}`: a backup request after the delay, the first answer wins.
  void load_hedge(CallSpec& cs, const YAML::Node& h) {
    MapReader hm(src_, h, "a hedge", {"after"});
    YAML::Node after = hm.require("after");
    std::string a = after.IsScalar() ? after.Scalar() : "";
    if (!a.empty() && (a[0] == 'p' || a[0] == 'P') && a.size() > 1 && (std::isdigit(static_cast<unsigned char>(a[1])) != 0)) {
      char* end = nullptr;
      double pct = std::strtod(a.c_str() + 1, &end);
      if (*end != '\0' || pct <= 0 || pct >= 100)
        src_.fail(after, fmt::format("hedge after '{}': a percentile is p50 to p99.99, e.g. p95", a));
      cs.hedge_quantile = pct / 100;
    } else {
      cs.hedge_after = read_duration(src_, after, t_.latency, "hedge.after", false);
    }
  }

  // A count that may carry k, M or B ("20k", "1M").
  int64_t read_count(const YAML::Node& n, const std::string& what, int64_t min, int64_t max) {
    std::string v = n.IsScalar() ? n.Scalar() : "";
    double mult = 1;
    if (!v.empty() && (v.back() == 'k' || v.back() == 'M' || v.back() == 'B')) {
      mult = v.back() == 'k' ? 1e3 : v.back() == 'M' ? 1e6 : 1e9;
      v.pop_back();
      char* end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || x * mult != std::floor(x * mult))
        src_.fail(n, fmt::format("{} must be a whole number (20000, 20k, 1M), got '{}'", what, n.Scalar()));
      if (x * mult < static_cast<double>(min) || x * mult > static_cast<double>(max))
        src_.fail(n, fmt::format("{} must be between {} and {}, got {}", what, min, max, n.Scalar()));
      return static_cast<int64_t>(x * mult);
    }
    return read_int(src_, n, what, min, max);
  }

  // A feed's follower graph: generated (`users`, `mean_followees`, `exponent`, `celebrities`) or
  // read from `edges`.
  void read_feed_graph(Component& c, const MapReader& m) {
    FeedSpec& f = c.feed;
    MapReader g(src_, m.require("graph"), "graph", {"users", "mean_followees", "exponent", "celebrities", "edges"});
    if (g.has("edges")) {
      for (const char* k : {"users", "mean_followees", "exponent", "celebrities"})
        if (g.has(k)) src_.fail_at(g.key_location(k), fmt::format("'{}' does not apply to a graph read from `edges`", k));
      std::string file = read_string(src_, g.get("edges"), "edges");
      f.edges_file = file.size() && file[0] == '/' ? file : src_.dir_of(g.get("edges")) + file;
      std::ifstream probe(f.edges_file);
      if (!probe) src_.fail(g.get("edges"), fmt::format("cannot open edge list '{}'", f.edges_file));
    } else {
      f.users = read_count(g.require("users"), "users", 2, 50000000);
      if (g.has("mean_followees")) f.mean_followees = read_number(src_, g.get("mean_followees"), "mean_followees", 0, 100000);
      if (f.mean_followees > static_cast<double>(f.users - 1))
        src_.fail(g.get("mean_followees"), fmt::format("mean_followees {:g} exceeds the other users ({})", f.mean_followees, f.users - 1));
      if (f.mean_followees * static_cast<double>(f.users) > 2e8)
        src_.fail(g.get("mean_followees"), "users x mean_followees is over 200 million follow edges; scale the users down");
      if (g.has("exponent")) {
        f.exponent = read_number(src_, g.get("exponent"), "exponent", 1, 10);
        if (f.exponent <= 1) src_.fail(g.get("exponent"), "exponent must be greater than 1 (2.1 is typical of follower counts)");
      }
      if (g.has("celebrities")) {
        YAML::Node list = g.get("celebrities");
        if (!list.IsSequence()) src_.fail(list, "celebrities must be a list of {followers: 1M, posts_at: [5s]}");
        for (const auto& cn : list) {
          MapReader cm(src_, cn, "a celebrity", {"followers", "posts_at"});
          FeedSpec::Celebrity cel;
          cel.followers = read_count(cm.require("followers"), "followers", 1, f.users);
          if (cm.has("posts_at")) {
            YAML::Node times = cm.get("posts_at");
            if (!times.IsSequence()) src_.fail(times, "posts_at must be a list of times, e.g. [5s]");
            for (const auto& tn : times) cel.posts_at.push_back(read_duration(src_, tn, t_.latency, "posts_at"));
          }
          f.celebrities.push_back(cel);
        }
      }
    }
  }

  // `strategy: push | pull | hybrid | {hybrid: {celebrity_threshold}}`, with `celebrity_threshold:`
  // beside it as the other way to give the threshold.
  void read_feed_strategy(Component& c, const MapReader& m) {
    FeedSpec& f = c.feed;
    if (m.has("strategy")) {
      YAML::Node s = m.get("strategy");
      std::string name;
      if (s.IsMap()) {
        MapReader sm(src_, s, "strategy", {"hybrid"});
        name = "hybrid";
        MapReader hm(src_, sm.require("hybrid"), "hybrid", {"celebrity_threshold"});
        if (hm.has("celebrity_threshold"))
          f.celebrity_threshold = read_count(hm.get("celebrity_threshold"), "celebrity_threshold", 1, INT64_MAX / 2);
      } else {
        name = read_string(src_, s, "strategy");
      }
      if (name == "push") f.strategy = FeedSpec::Strategy::Push;
      else if (name == "pull") f.strategy = FeedSpec::Strategy::Pull;
      else if (name == "hybrid") f.strategy = FeedSpec::Strategy::Hybrid;
      else {
        std::string hint = nearest(name, {"push", "pull", "hybrid"});
        src_.fail(s, fmt::format("unknown strategy '{}'{}; known: push, pull, hybrid {{celebrity_threshold}}", name,
                                 hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
    }
    if (m.has("celebrity_threshold")) {
      if (m.has("strategy") && m.get("strategy").IsMap())
        src_.fail(m.get("celebrity_threshold"), "celebrity_threshold is given inside strategy: {hybrid: ...} already");
      f.celebrity_threshold = read_count(m.get("celebrity_threshold"), "celebrity_threshold", 1, INT64_MAX / 2);
    }
  }

  Source& src_;
  Topology& t_;
  std::set<std::string> request_types_;
};

Topology parse(Source& src, YAML::Node root, const std::vector<std::string>& overrides, const std::string& path) {
  root = merge_extended(src, root);
  Topology t;
  if (src.origins().size() > 1) t.merged_yaml = merged_text(src, root);
  for (const auto& o : overrides) apply_override(src, root, o);
  t.file = path;
  Loader(src, t).load(root);
  t.origins.assign(src.origins().begin() + 1, src.origins().end());
  return t;
}

}  // namespace

std::vector<std::string> config_readers() {
  std::vector<std::string> out;
  for (const auto& [name, r] : Loader::readers()) out.push_back(name);
  return out;
}

Topology load_topology_text(const std::string& text, const std::string& path, const std::vector<std::string>& overrides) {
  Source src(path);
  YAML::Node root = parse_yaml(text, src, kTopologyDocument);
  return parse(src, root, overrides, path);
}

namespace {

YAML::Node resolved_document(Source& src, const std::vector<std::string>& overrides) {
  YAML::Node root = merge_extended(src, read_yaml_file(src.path(), src, kTopologyDocument));
  for (const auto& o : overrides) apply_override(src, root, o);
  return root;
}

}  // namespace

std::string resolved_topology_text(const std::string& path, const std::vector<std::string>& overrides) {
  Source src(path);
  YAML::Node root = resolved_document(src, overrides);
  YAML::Emitter out;
  std::string head = path;
  for (const auto& o : overrides) head += " --set " + o;
  out << YAML::Comment(head) << YAML::Newline << root;
  return std::string(out.c_str()) + "\n";
}

ScalarAt topology_scalar(const std::string& path, const std::vector<std::string>& overrides, const std::string& dotted) {
  Source src(path);
  YAML::Node node = resolved_document(src, overrides);
  std::string walked;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::string here = walked.empty() ? key : walked + "." + key;
    YAML::Node next;
    if (node.IsMap()) {
      next = node[key];
    } else if (node.IsSequence() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
               std::stoul(key) < node.size()) {
      next = node[std::stoul(key)];
    }
    if (!next || !next.IsDefined() || next.IsNull())
      throw ConfigError(fmt::format("{}: error: '{}' is not written in the topology{}; a value left at its default "
                                    "must be written out first",
                                    path, here,
                                    walked.empty() ? "" : fmt::format(" (under {}, at {})", walked, src.where(node))));
    node = next;
    walked = here;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!node.IsScalar())
    throw ConfigError(fmt::format("{}: error: '{}' is a {}, not a value: name a number inside it", src.where(node), dotted,
                                  node.IsMap() ? "map" : "list"));
  return {node.Scalar(), src.where(node)};
}

std::vector<std::string> component_keys(const std::string& path, const std::vector<std::string>& overrides,
                                        const std::string& component) {
  Source src(path);
  YAML::Node root = resolved_document(src, overrides);
  std::vector<std::string> keys;
  if (!root.IsMap() || !root["components"] || !root["components"].IsMap()) return keys;
  YAML::Node c = root["components"][component];
  if (!c || !c.IsMap()) return keys;
  for (auto it = c.begin(); it != c.end(); ++it)
    if (it->first.IsScalar()) keys.push_back(it->first.Scalar());
  return keys;
}

size_t count_faults(const std::string& path, const std::vector<std::string>& overrides) {
  try {
    Source src(path);
    YAML::Node root = resolved_document(src, overrides);
    const YAML::Node& doc = root;
    return doc.IsMap() && doc["faults"] && doc["faults"].IsSequence() ? doc["faults"].size() : 0;
  } catch (const ConfigError&) {
    return 0;
  }
}

Topology load_topology(const std::string& path, const std::vector<std::string>& overrides) {
  Source src(path);
  YAML::Node root = read_yaml_file(path, src, kTopologyDocument);
  return parse(src, root, overrides, path);
}

}  // namespace archsim
