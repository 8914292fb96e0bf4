#include "sim/report/report.hpp"
#include "models/common/kind.hpp"
#include "sim/report/json_number.hpp"
#include "sim/report/availability.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "sim/report/design_graph.hpp"
#include "sim/report/document.hpp"
#include "sim/report/recovery.hpp"
#include "sim/report/edge_report.hpp"
#include "sim/report/resilience_report.hpp"
#include "sim/analysis/estimate.hpp"
#include "sim/report/output_dir.hpp"
#include "sim/support/units.hpp"
#include "sim/config/validate.hpp"

namespace archsim {
namespace {

// Six significant digits: readable, and identical for identical runs.

struct Util {
  std::optional<double> workers, cpu, io;
  double network = 0;
};

Util util_of(const ComponentResult& c) {
  const ComponentStats& s = c.stats;
  Util u;
  double reps = static_cast<double>(s.replicas);
  if (s.workers_per_replica > 0) u.workers = s.busy_workers.mean() / (static_cast<double>(s.workers_per_replica) * reps);
  if (s.cores_per_replica > 0) u.cpu = s.busy_cores.mean() / (static_cast<double>(s.cores_per_replica) * reps);
  if (s.judged_per_replica && s.cores_per_replica > 0) {
    // Its busiest replica: the mean would hide it.
    double most = 0;
    for (const auto& tw : s.replica_busy_cores) most = std::max(most, tw.mean() / static_cast<double>(s.cores_per_replica));
    u.cpu = most;
  }
  if (s.io_per_replica > 0) u.io = s.busy_io.mean() / (static_cast<double>(s.io_per_replica) * reps);
  u.network = c.network_util;
  return u;
}

double capacity_of(const ComponentStats& s, const std::string& resource) {
  double reps = static_cast<double>(s.replicas);
  if (resource == "cpu") return static_cast<double>(s.cores_per_replica) * reps;
  if (resource == "io") return static_cast<double>(s.io_per_replica) * reps;
  return static_cast<double>(s.workers_per_replica) * reps;
}

// The first measured second in which `series / capacity` reached `threshold`; +inf if never.
double first_second_at(const std::vector<double>& series, double capacity, double threshold, double from) {
  for (size_t s = static_cast<size_t>(std::floor(from)); s < series.size(); ++s)
    if (capacity > 0 && series[s] / capacity >= threshold) return static_cast<double>(s);
  return INFINITY;
}

nlohmann::ordered_json latency_json(const LatencyHistogram& h) {
  nlohmann::ordered_json j;
  j["count"] = h.count();
  j["mean"] = ms(h.mean());
  j["p50"] = ms(h.quantile(0.50));
  j["p90"] = ms(h.quantile(0.90));
  j["p95"] = ms(h.quantile(0.95));
  j["p99"] = ms(h.quantile(0.99));
  j["p999"] = ms(h.quantile(0.999));
  j["max"] = ms(h.max());
  return j;
}

LatencyHistogram all_latencies(const RunResult& r) {
  LatencyHistogram h;
  for (const auto& c : r.clients) h.merge(c.all);
  return h;
}

// Per client region: what a user there sees. Empty when the clients are all in one region.
std::map<std::string, LatencyHistogram> region_latencies(const RunResult& r) {
  std::map<std::string, LatencyHistogram> by_region;
  for (const auto& c : r.clients) {
    const Component* spec = r.topology->find(c.name);
    by_region[spec ? spec->region : std::string()].merge(c.all);
  }
  if (by_region.size() < 2) by_region.clear();
  return by_region;
}

LatencyHistogram type_latencies(const RunResult& r, size_t type) {
  LatencyHistogram h;
  for (const auto& c : r.clients) h.merge(c.by_type[type]);
  return h;
}

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(r6(*v)) : nlohmann::json(nullptr); }

std::string pct(double x) { return fmt::format("{:.1f}%", 100 * x); }

// Sharded components: load per shard (a shard is shard_group consecutive replicas: its primary,
// then its read replicas) and the busiest resource of its busiest node over the window.
struct ShardLoad {
  std::vector<uint64_t> arrivals;
  std::vector<double> util;
  std::vector<std::string> resource;
  size_t hottest = 0;
  double skew = 0;  // max / mean arrivals
};

ShardLoad shard_load(const ComponentStats& s, double window) {
  ShardLoad l;
  size_t group = static_cast<size_t>(std::max<int64_t>(s.shard_group, 1));
  size_t shards = s.replica_arrivals.size() / group;
  l.arrivals.assign(shards, 0);
  l.util.assign(shards, 0);
  l.resource.assign(shards, "cpu");
  uint64_t total = 0;
  for (size_t i = 0; i < s.replica_arrivals.size(); ++i) {
    size_t sh = i / group;
    l.arrivals[sh] += s.replica_arrivals[i];
    total += s.replica_arrivals[i];
    double cpu = s.cores_per_replica > 0 ? s.replica_busy_cores[i].mean() / static_cast<double>(s.cores_per_replica) : 0;
    double io = s.io_per_replica > 0 ? s.replica_busy_io[i].mean() / static_cast<double>(s.io_per_replica) : 0;
    if (cpu > l.util[sh]) {
      l.util[sh] = cpu;
      l.resource[sh] = "cpu";
    }
    if (io > l.util[sh]) {
      l.util[sh] = io;
      l.resource[sh] = "io";
    }
  }
  for (size_t i = 0; i < shards; ++i)
    if (l.arrivals[i] > l.arrivals[l.hottest]) l.hottest = i;
  double mean = shards ? static_cast<double>(total) / static_cast<double>(shards) : 0;
  l.skew = mean > 0 ? static_cast<double>(l.arrivals[l.hottest]) / mean : 0;
  return l;
}

size_t busiest_of(const ShardLoad& l) {
  size_t b = 0;
  for (size_t i = 0; i < l.util.size(); ++i)
    if (l.util[i] > l.util[b]) b = i;
  return b;
}

nlohmann::ordered_json hist_ms(const LatencyHistogram& h) {
  return {{"count", h.count()}, {"mean", ms(h.mean())}, {"p50", ms(h.quantile(0.5))}, {"p99", ms(h.quantile(0.99))},
          {"max", ms(h.max())}};
}

// The data-tier additions of a component's summary: shards, replication, connections.
void add_data_tier_json(nlohmann::ordered_json& cj, const ComponentResult& c, double window) {
  const ComponentStats& s = c.stats;
  const Component& spec = *c.spec;
  if (!s.replica_arrivals.empty()) {
    ShardLoad l = shard_load(s, window);
    uint64_t total = 0;
    for (uint64_t a : l.arrivals) total += a;
    nlohmann::ordered_json per = nlohmann::ordered_json::array();
    for (size_t i = 0; i < l.arrivals.size(); ++i)
      per.push_back({{"shard", i},
                     {"arrivals", l.arrivals[i]},
                     {"share", total ? r6(static_cast<double>(l.arrivals[i]) / static_cast<double>(total)) : 0.0},
                     {"utilization", r6(l.util[i])}});
    cj["sharding"] = {{"strategy", to_string(spec.sharding.strategy)},
                      {"key", spec.sharding.key},
                      {"shards", l.arrivals.size()},
                      {"skew", r6(l.skew)},
                      {"hottest_shard", l.hottest},
                      {"busiest_shard", busiest_of(l)},
                      {"busiest_utilization", r6(l.util.empty() ? 0.0 : l.util[busiest_of(l)])},
                      {"hottest_share", total ? r6(static_cast<double>(l.arrivals[l.hottest]) / static_cast<double>(total)) : 0.0},
                      {"per_shard", per}};
  }
  if (!c.stats.counts_connections) return;
  const DatabaseSpec& d = spec.db;
  if (d.read_replicas > 0)
    cj["replication"] = {
        {"mode", to_string(d.replication)},
        {"read_replicas", d.read_replicas},
        {"reads_from", to_string(d.reads_from)},
        {"writes_replicated", s.writes_replicated},
        {"lag_ms", hist_ms(s.replication_lag)},
        {"replica_reads", s.replica_reads},
        {"stale_reads", s.stale_reads},
        {"stale_read_ratio", s.replica_reads ? r6(static_cast<double>(s.stale_reads) / static_cast<double>(s.replica_reads)) : 0.0},
        {"read_your_writes_violations", s.ryw_violations},
        {"staleness_ms", hist_ms(s.staleness)}};
  nlohmann::ordered_json conn;
  if (!d.preset.empty()) cj["preset"] = d.preset;
  conn["max_connections"] = spec.workers;
  conn["overflow"] = d.pooler ? "pooler" : d.refuse_over_limit ? "refuse" : "wait";
  conn["peak_busy_per_node"] = s.peak_connections;
  conn["refused"] = s.rejected;
  conn["mean_wait_ms"] = ms(s.wait_count ? s.wait_sum / static_cast<double>(s.wait_count) : 0);
  conn["connection_cpu_us"] = r6(d.connection_cpu * 1e6);
  conn["peak_connection_memory_mb"] = r6(static_cast<double>(s.peak_connections) * d.connection_memory / 1e6);
  if (d.pooler)
    conn["pooler"] = {{"kind", d.pooler_kind},
                      {"server_connections", d.server_connections},
                      {"max_client_connections", d.max_client_connections}};
  else
    conn["pooler"] = nullptr;
  cj["connections"] = conn;
}

std::string data_tier_lines(const ComponentResult& c, double window) {
  const ComponentStats& s = c.stats;
  std::string out;
  if (s.replica_arrivals.size() > static_cast<size_t>(std::max<int64_t>(s.shard_group, 1))) {
    ShardLoad l = shard_load(s, window);
    out += fmt::format("{:<14} {} shards ({}): skew {:.2f}, hottest shard {} ({} arrivals, {} busy)\n", "",
                       l.arrivals.size(), to_string(c.spec->sharding.strategy), l.skew, l.hottest, l.arrivals[l.hottest],
                       pct(l.util[l.hottest]));
  }
  if (s.counts_connections && c.spec->db.read_replicas > 0)
    out += fmt::format("{:<14} {} replication: lag p99 {:.3g} ms, {} stale reads of {} replica reads, {} "
                       "read-your-writes violations\n",
                       "", to_string(c.spec->db.replication), s.replication_lag.quantile(0.99) * 1e3, s.stale_reads,
                       s.replica_reads, s.ryw_violations);
  if (s.counts_connections && (c.spec->db.pooler || c.spec->db.refuse_over_limit || s.rejected))
    out += fmt::format("{:<14} connections: peak {} busy per node of {}{}, {} refused\n", "", s.peak_connections,
                       c.spec->db.pooler ? c.spec->db.server_connections : c.spec->workers,
                       c.spec->db.pooler ? fmt::format(" (pooler {})", c.spec->db.pooler_kind) : "", s.rejected);
  return out;
}

// A sharded component whose hottest shard saturates while the component as a whole does not.
std::optional<Verdict> hot_shard_verdict(const RunResult& r, const LatencyHistogram& all) {
  constexpr double kSaturated = 0.9;
  const ComponentResult* worst = nullptr;
  ShardLoad worst_load;
  for (const auto& c : r.components) {
    if (c.stats.replica_arrivals.empty()) continue;
    ShardLoad l = shard_load(c.stats, r.window());
    size_t hot = 0;
    for (size_t i = 0; i < l.util.size(); ++i)
      if (l.util[i] > l.util[hot]) hot = i;
    if (l.util.empty() || l.util[hot] < kSaturated) continue;
    l.hottest = hot;
    if (!worst || l.util[hot] > worst_load.util[worst_load.hottest]) {
      worst = &c;
      worst_load = l;
    }
  }
  if (!worst) return std::nullopt;
  const ComponentStats& s = worst->stats;
  size_t h = worst_load.hottest;
  Verdict v;
  v.component = s.name;
  v.resource = worst_load.resource[h];
  v.shard = static_cast<int64_t>(h);
  uint64_t total = 0;
  for (uint64_t a : worst_load.arrivals) total += a;
  double mean_util = 0;
  for (double u : worst_load.util) mean_util += u / static_cast<double>(worst_load.util.size());
  v.evidence = fmt::format(
      "{}: shard {} of {} ({} sharding on {}) is the hot shard: {} at {} while the mean shard is at {}; it takes {} "
      "of the requests (skew {:.2f} = most loaded / mean); end-to-end p99 {:.3g} ms",
      s.name, h, worst_load.arrivals.size(), to_string(worst->spec->sharding.strategy), worst->spec->sharding.key,
      v.resource == "io" ? "disk" : "CPU", pct(worst_load.util[h]), pct(mean_util),
      pct(total ? static_cast<double>(worst_load.arrivals[h]) / static_cast<double>(total) : 0), worst_load.skew,
      all.quantile(0.99) * 1e3);
  return v;
}

// The busiest replica's reads over the mean per replica (1 = even; N = everything on one of N).
double replica_skew(const ComponentStats& s) {
  const auto& v = s.cache.replica_lookups;
  uint64_t total = 0, max = 0;
  for (uint64_t x : v) {
    total += x;
    max = std::max(max, x);
  }
  if (total == 0) return 0;
  return static_cast<double>(max) * static_cast<double>(s.replicas) / static_cast<double>(total);
}

// Cache statistics beyond the hit ratio (docs/outputs.md).
void add_cache_summary(nlohmann::ordered_json& cj, const ComponentResult& c) {
  const ComponentStats& s = c.stats;
  const CacheStats& k = s.cache;
  cj["eviction"] = c.spec->cache.eviction == CacheEviction::Lfu ? "lfu" : c.spec->cache.eviction == CacheEviction::Fifo ? "fifo" : "lru";
  cj["write_policy"] = to_string(c.spec->cache.write_policy);
  cj["evictions"] = k.evictions;
  cj["filled_at_end"] = r6(k.capacity > 0 ? k.used_at_end / k.capacity : 0);
  cj["expired"] = k.expired;
  cj["stampede_misses"] = k.stampede_misses;
  cj["coalesced_misses"] = k.coalesced_misses;
  cj["fills"] = k.fills;
  cj["invalidations"] = k.invalidations;
  cj["writes_acknowledged"] = k.writes_acknowledged;
  cj["writes_flushed"] = k.writes_flushed;
  cj["unflushed_writes_lost"] = k.unflushed_writes_lost;
  uint64_t total = 0;
  for (uint64_t x : k.replica_lookups) total += x;
  nlohmann::ordered_json load = nlohmann::ordered_json::array();
  for (int64_t i = 0; i < s.replicas; ++i) {
    uint64_t n = static_cast<size_t>(i) < k.replica_lookups.size() ? k.replica_lookups[static_cast<size_t>(i)] : 0;
    load.push_back({{"replica", i},
                    {"reads", n},
                    {"share", total ? r6(static_cast<double>(n) / static_cast<double>(total)) : 0.0}});
  }
  cj["replica_load"] = load;
  cj["replica_load_skew"] = r6(replica_skew(s));
  nlohmann::ordered_json hot = nlohmann::ordered_json::array();
  double reads = static_cast<double>(k.hot_keys.total());
  for (const auto& e : k.hot_keys.top(10))
    hot.push_back({{"key", e.key},
                   {"share", reads > 0 ? r6(static_cast<double>(e.count) / reads) : 0.0},
                   {"share_min", reads > 0 ? r6(static_cast<double>(e.count - e.error) / reads) : 0.0},
                   {"replica", e.tag}});
  cj["hot_keys"] = hot;
}

// A kind's own section (Kind::section) on one line: "throttled 12, of requests 0.4%, ...".
std::string section_line(const ComponentResult& c, double window) {
  std::vector<SectionValue> section = c.spec->kind->section(*c.spec, c.stats, window);
  if (section.empty()) return "";
  std::string parts;
  for (const auto& v : section)
    parts += fmt::format("{}{} {:.4g}{}{}", parts.empty() ? "" : ", ", v.label, v.value,
                         *v.unit && v.unit[0] != '%' && v.unit[0] != '/' ? " " : "", v.unit);
  return fmt::format("{:<14} {}\n", "", parts);
}

std::string cache_terminal_line(const ComponentStats& s) {
  const CacheStats& k = s.cache;
  std::string out = fmt::format("{:<14} evictions {}, expired {}, stampede misses {}", "", k.evictions, k.expired,
                                k.stampede_misses);
  if (k.coalesced_misses) out += fmt::format(", coalesced {}", k.coalesced_misses);
  if (k.writes_acknowledged) out += fmt::format(", write-behind: {} acknowledged, {} flushed", k.writes_acknowledged, k.writes_flushed);
  if (k.unflushed_writes_lost) out += fmt::format(", {} acknowledged writes LOST in a crash", k.unflushed_writes_lost);
  if (s.replicas > 1) out += fmt::format(", busiest replica {:.2f}x the mean", replica_skew(s));
  auto top = k.hot_keys.top(1);
  if (!top.empty() && k.hot_keys.total())
    out += fmt::format(", hottest key {} ({:.1f}% of reads)", top[0].key,
                       100.0 * static_cast<double>(top[0].count) / static_cast<double>(k.hot_keys.total()));
  return out + "\n";
}

std::string cache_csv_cells(const ComponentStats& s) {
  const CacheStats& k = s.cache;
  return fmt::format("{},{},{},{},{:.6g}", k.evictions, k.expired, k.stampede_misses, k.unflushed_writes_lost,
                     replica_skew(s));
}

// "replica 1 (eu-west, the leader) CPU at 97% of its 8 cores; the others at 2%, 1%", or its log
// disk's write bandwidth.
std::string store_replica_load(const RunResult& r, const ComponentStats& s, size_t replica, const std::string& resource,
                               double util) {
  const StoreStats* st = nullptr;
  for (const auto& x : r.stores)
    if (x.name == s.name) st = &x;
  std::string where = st && replica < st->regions.size() ? st->regions[replica] : "";
  bool leader = st && !st->leaders.empty() && static_cast<size_t>(st->leaders.back().replica) == replica;
  std::vector<std::string> others;
  if (resource == "io" && st) {
    for (size_t i = 0; i < st->log_transfer_s.size(); ++i)
      if (i != replica) others.push_back(pct(st->log_transfer_s[i] / r.window()));
    return fmt::format("replica {} ({}{}) log disk writing {} of the time at its {:g} MB/s ({:.0f} syncs/s, each "
                       "{:g} ms plus its bytes); the other replicas at {}",
                       replica, where, leader ? ", the leader" : "", pct(util), st->log_bandwidth / 8e6,
                       static_cast<double>(st->log_syncs[replica]) / r.window(), st->log_sync * 1e3,
                       fmt::join(others, ", "));
  }
  std::string role = st && st->consistency == "cp" && leader
                         ? ", the leader: a cp store runs every operation on its leader, so more replicas add no capacity"
                         : "";
  for (size_t i = 0; i < s.replica_busy_cores.size(); ++i)
    if (i != replica) others.push_back(pct(s.replica_busy_cores[i].mean() / static_cast<double>(s.cores_per_replica)));
  return fmt::format("replica {} ({}{}) CPU at {} of its {} cores; the other replicas at {}", replica, where, role,
                     pct(util), s.cores_per_replica, fmt::join(others, ", "));
}

// With no saturated resource, 1% or more of the requests failing came from faults or the design's
// own limits, not from load: the verdict says so, or "none" would read as a healthy design.
std::string failures_without_saturation(const RunResult& r) {
  uint64_t ended = 0, failed = 0;
  for (const auto& c : r.clients) {
    ended += c.completed + c.rejected + c.timed_out + c.failed_downstream;
    failed += c.rejected + c.timed_out + c.failed_downstream;
  }
  std::string failures;
  if (ended > 0 && static_cast<double>(failed) >= 0.01 * static_cast<double>(ended)) {
    std::string reasons;
    const nlohmann::ordered_json by = failed_by_reason_json(r.clients);
    for (const auto& el : by.items())
      if (el.value().get<uint64_t>() > 0)
        reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", el.key(), el.value().get<uint64_t>());
    failures = fmt::format("; yet {} of {} requests failed ({}): {}", failed, ended, reasons,
                           r.topology->faults.empty()
                               ? "the design's own limits refused them (rate limits, queue bounds, timeouts), not "
                                 "saturation"
                               : "faults or the design's own limits (rate limits, queue bounds, timeouts) failed them, "
                                 "not saturation; see the faults and the availability");
  }
  return failures;
}

}  // namespace

Verdict bottleneck(const RunResult& r) {
  constexpr double kSaturated = 0.9;
  struct Candidate {
    const ComponentResult* c;
    std::string resource;
    double util;
    double first;  // first second at saturation
    int order;     // the flowchart's order: cpu, io, network
    int replica = -1;  // a replicated store: the replica whose cores saturate
  };
  std::vector<Candidate> saturated;
  for (const auto& c : r.components) {
    if (c.stats.judged_per_replica) {
      // One replica may saturate alone: judged per replica.
      const ComponentStats& s = c.stats;
      double cores = static_cast<double>(s.cores_per_replica);
      for (size_t i = 0; i < s.replica_busy_cores.size(); ++i) {
        double u = s.replica_busy_cores[i].mean() / cores;
        if (u >= kSaturated)
          saturated.push_back({&c, "cpu", u,
                               first_second_at(s.replica_busy_cores[i].per_second(), cores, kSaturated, r.window_start),
                               0, static_cast<int>(i)});
      }
      for (const auto& st : r.stores)
        if (st.name == s.name && st.log_sync > 0)
          for (size_t i = 0; i < st.log_transfer_s.size(); ++i) {
            double u = st.log_transfer_s[i] / r.window();
            if (u >= kSaturated) saturated.push_back({&c, "io", u, r.window_start, 1, static_cast<int>(i)});
          }
      if (c.network_util >= kSaturated) saturated.push_back({&c, "network", c.network_util, r.window_start, 2});
      continue;
    }
    Util u = util_of(c);
    if (u.cpu && *u.cpu >= kSaturated)
      saturated.push_back({&c, "cpu", *u.cpu,
                           first_second_at(c.stats.busy_cores.per_second(), capacity_of(c.stats, "cpu"), kSaturated,
                                           r.window_start),
                           0});
    if (u.io && *u.io >= kSaturated)
      saturated.push_back({&c, "io", *u.io,
                           first_second_at(c.stats.busy_io.per_second(), capacity_of(c.stats, "io"), kSaturated,
                                           r.window_start),
                           1});
    if (u.network >= kSaturated) saturated.push_back({&c, "network", u.network, r.window_start, 2});
    // A queue's consumer group busy all the time: its backlog grows instead of requests waiting.
    if (c.stats.queue && u.workers && *u.workers >= kSaturated)
      saturated.push_back({&c, "consumers", *u.workers,
                           first_second_at(c.stats.busy_workers.per_second(), capacity_of(c.stats, "workers"),
                                           kSaturated, r.window_start),
                           3});
  }
  LatencyHistogram all = all_latencies(r);
  if (!saturated.empty()) {
    std::sort(saturated.begin(), saturated.end(), [](const Candidate& a, const Candidate& b) {
      if (a.first != b.first) return a.first < b.first;
      if (a.order != b.order) return a.order < b.order;
      return a.util > b.util;
    });
    const Candidate& w = saturated.front();
    const ComponentStats& s = w.c->stats;
    Verdict v;
    v.component = s.name;
    v.resource = w.resource;
    std::string what;
    if (w.replica >= 0)
      what = store_replica_load(r, s, static_cast<size_t>(w.replica), w.resource, w.util);
    else if (w.resource == "cpu")
      what = s.replicas == 1 ? fmt::format("CPU at {} of {} cores", pct(w.util), s.cores_per_replica)
                             : fmt::format("CPU at {} of {} cores ({} replicas x {})", pct(w.util),
                                           s.cores_per_replica * s.replicas, s.replicas, s.cores_per_replica);
    else if (w.resource == "io")
      what = s.replicas == 1 ? fmt::format("disk at {} of {} I/O channels", pct(w.util), s.io_per_replica)
                             : fmt::format("disk at {} of {} I/O channels ({} replicas x {})", pct(w.util),
                                           s.io_per_replica * s.replicas, s.replicas, s.io_per_replica);
    else if (w.resource == "consumers")
      what = fmt::format("{} consumers busy {}", s.workers_per_replica, pct(w.util));
    else
      what = fmt::format("a NIC at {} of {}", pct(w.util), fmt::format("{:g} Gbps", r.topology->network.host_bandwidth / 1e9));
    v.evidence = fmt::format("{}: {} over the measured window; mean queue {:.1f}, residence p99 {:.3g} ms; end-to-end "
                             "p99 {:.3g} ms",
                             s.name, what, s.queue_len.mean(), s.residence.quantile(0.99) * 1e3,
                             all.quantile(0.99) * 1e3);
    if (saturated.size() > 1) {
      v.evidence += "; also saturated later:";
      for (size_t i = 1; i < saturated.size() && i < 4; ++i)
        v.evidence += fmt::format(" {} {} {}", saturated[i].c->stats.name, saturated[i].resource, pct(saturated[i].util));
    }
    return v;
  }
  if (auto hot = hot_shard_verdict(r, all)) return *hot;
  for (const auto& l : r.region_links) {
    double u = l.bytes * 8 / (l.bandwidth * r.window());
    if (u >= kSaturated)
      return {l.name, "network",
              fmt::format("region link {} carries {} of its {:g} Gbps; end-to-end p99 {:.3g} ms", l.name, pct(u),
                          l.bandwidth / 1e9, all.quantile(0.99) * 1e3)};
  }
  // Contention: time lost waiting for a worker / connection / queue slot while the hardware idles.
  const ComponentResult* worst = nullptr;
  double worst_wait = 0;
  for (const auto& c : r.components) {
    const ComponentStats& s = c.stats;
    double wait = s.wait_count ? s.wait_sum / static_cast<double>(s.wait_count) : 0;
    bool counts = s.rejected > 0 || (all.mean() > 0 && wait >= 0.1 * all.mean());
    if (counts && (worst == nullptr || wait > worst_wait || (wait == worst_wait && s.rejected > worst->stats.rejected))) {
      worst = &c;
      worst_wait = wait;
    }
  }
  if (worst) {
    const ComponentStats& s = worst->stats;
    Util u = util_of(*worst);
    std::string pool = s.pool;
    Verdict v;
    v.component = s.name;
    v.resource = "contention";
    v.evidence = fmt::format(
        "{}: requests waited {:.3g} ms on average for one of its {} {} ({} of the {:.3g} ms mean end-to-end latency){}, "
        "while CPU is at {}{}",
        s.name, worst_wait * 1e3, s.workers_per_replica * s.replicas, pool,
        pct(all.mean() > 0 ? worst_wait / all.mean() : 0), all.mean() * 1e3,
        s.rejected ? fmt::format(" and {} were rejected by a full queue", s.rejected) : "", pct(u.cpu.value_or(0)),
        u.io ? fmt::format(" and disk at {}", pct(*u.io)) : "");
    return v;
  }
  // Nothing saturated: name the busiest resource so the user knows the headroom.
  std::string busiest = "none";
  double best = 0;
  for (const auto& c : r.components) {
    Util u = util_of(c);
    for (auto [name, val] : {std::pair<const char*, double>{"CPU", u.cpu.value_or(0)}, {"disk", u.io.value_or(0)},
                             {"network", u.network}})
      if (val > best) {
        best = val;
        busiest = fmt::format("{} {}", c.stats.name, name);
      }
  }
  const std::string failures = failures_without_saturation(r);
  if (best == 0) return {"", "none", "no resource is saturated and no request waits; every resource is idle" + failures};
  return {"", "none",
          fmt::format("no resource is saturated and no request waits long; the busiest is {} at {}{}", busiest,
                      pct(best), failures)};
}

namespace {

// The faults active at some moment of [from, to).
std::string faults_active(const RunResult& r, double from, double to, size_t* count) {
  std::string names;
  *count = 0;
  for (const auto& f : r.faults) {
    double end = f.end < 0 ? r.window_end : f.end;
    if (f.start < to && end > from) {
      names += (names.empty() ? "" : "; ") + f.spec->name();
      ++*count;
    }
  }
  return names;
}

nlohmann::ordered_json faults_json(const RunResult& r) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  const std::vector<Recovery> recoveries = fault_recoveries(r);
  for (const auto& f : r.faults) {
    nlohmann::ordered_json fj;
    fj["kind"] = to_string(f.spec->kind);
    fj["target"] = f.spec->target();
    fj["start_s"] = f.start;
    fj["end_s"] = f.end < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(f.end);
    if (f.spec->kind == Fault::Kind::Spike) fj["factor"] = f.spec->factor;
    if (f.spec->kind == Fault::Kind::Slow) {
      fj["factor"] = f.spec->factor;
      fj["latency_ms"] = f.spec->latency * 1e3;
    }
    if (!f.links.empty()) fj["links"] = f.links;
    fj[f.effect] = f.count;
    fj["recovery"] = recovery_json(recoveries[list.size()]);
    list.push_back(fj);
  }
  return list;
}

}  // namespace

nlohmann::ordered_json summary_json(const RunResult& r) {
  const Topology& t = *r.topology;
  nlohmann::ordered_json j;
  j["topology"] = t.name;
  j["seed"] = t.run.seed;
  j["sim_time_s"] = r6(r.window());
  j["warmup_s"] = r6(r.window_start);
  uint64_t gen = 0, comp = 0, rej = 0, to = 0, fail = 0, infl = 0;
  for (const auto& c : r.clients) {
    gen += c.generated;
    comp += c.completed;
    rej += c.rejected;
    to += c.timed_out;
    fail += c.failed_downstream;
    infl += c.in_flight_at_end;
  }
  j["requests"] = {{"generated", gen},   {"completed", comp}, {"failed", rej + to + fail},
                   {"rejected", rej},    {"timed_out", to},   {"in_flight_at_end", infl}};
  j["requests"]["failed_by_reason"] = failed_by_reason_json(r.clients);
  SteadyState steady = steady_state(r);
  {
    nlohmann::ordered_json per_client = nlohmann::ordered_json::object();
    for (const auto& c : r.clients)
      per_client[c.name] = {{"generated", c.generated}, {"completed", c.completed},
                            {"failed_by_reason", failed_by_reason_json(c)}, {"in_flight_at_end", c.in_flight_at_end}};
    j["requests"]["by_client"] = per_client;
    uint64_t dup = 0;
    for (const auto& c : r.components) dup += c.stats.duplicate_applies;
    for (const auto& st : r.stores) dup += st.duplicate_applies;
    j["requests"]["duplicate_applies"] = dup;
  }
  LatencyHistogram all = all_latencies(r);
  nlohmann::ordered_json lat = latency_json(all);
  nlohmann::ordered_json by_type = nlohmann::ordered_json::object();
  for (size_t i = 0; i < r.type_names.size(); ++i) by_type[r.type_names[i]] = latency_json(type_latencies(r, i));
  lat["by_type"] = by_type;
  std::map<std::string, LatencyHistogram> regions = region_latencies(r);
  if (!regions.empty()) {
    nlohmann::ordered_json by_region = nlohmann::ordered_json::object();
    for (const auto& [region, h] : regions) by_region[region] = latency_json(h);
    lat["by_region"] = by_region;
  }
  j["latency_ms"] = lat;
  j["steady_state"] = steady_state_json(steady);
  j["throughput_rps"] = r6(static_cast<double>(comp) / r.window());

  nlohmann::ordered_json comps = nlohmann::ordered_json::object();
  for (const auto& c : r.components) {
    const ComponentStats& s = c.stats;
    Util u = util_of(c);
    nlohmann::ordered_json cj;
    cj["kind"] = s.kind;
    cj["replicas"] = s.replicas;
    cj["throughput_rps"] = r6(static_cast<double>(s.completed) / r.window());
    cj["utilization"] = {{"workers", opt(u.workers)}, {"cpu", opt(u.cpu)}, {"io", opt(u.io)}, {"network", r6(u.network)}};
    cj["mean_queue_len"] = r6(s.queue_len.mean());
    cj["max_queue_len"] = r6(s.queue_len.max());
    cj["mean_residence_ms"] = ms(s.residence.mean());
    cj["p50_residence_ms"] = ms(s.residence.quantile(0.5));
    cj["p99_residence_ms"] = ms(s.residence.quantile(0.99));
    cj["mean_wait_ms"] = ms(s.wait_count ? s.wait_sum / static_cast<double>(s.wait_count) : 0);
    cj["arrivals"] = s.arrivals;
    cj["completed"] = s.completed;
    cj["failed"] = s.failed;
    cj["rejected"] = s.rejected;
    if (s.disk_full_rejections) cj["disk_full_rejections"] = s.disk_full_rejections;
    if (s.counts_hits) {
      uint64_t lookups = s.hits + s.misses;
      cj["hit_ratio"] = lookups ? r6(static_cast<double>(s.hits) / static_cast<double>(lookups)) : 0.0;
      add_cache_summary(cj, c);
    }
    // Little's law: mean number in the component vs arrival rate x mean residence.
    double lambda = static_cast<double>(s.completed + s.failed) / r.window();
    double w = s.residence.count() ? s.residence.mean() : 0;
    cj["littles_law"] = {{"L", r6(s.in_system.mean())}, {"lambda_W", r6(lambda * w)}};
    if (s.rate_limit) cj["rate_limit"] = rate_limit_json(s);
    if (s.queue) cj["queue"] = queue_json(s, r.window());
    add_data_tier_json(cj, c, r.window());
    if (s.failover) cj["failovers"] = failovers_json(*s.failover);
    if (s.calls_sent > 0)
      cj["downstream_calls"] = {{"sent", s.calls_sent}, {"backups", s.backup_calls}, {"late_answers", s.late_answers}};
    if (s.tied_cancelled > 0) cj["tied_cancelled"] = s.tied_cancelled;
    if (!s.edges.empty()) cj["calls_to"] = calls_to_json(s);
    if (s.tracks_writes && s.writes_applied + s.idempotent_replays > 0)
      cj["writes"] = {{"applied", s.writes_applied},
                      {"duplicate_applies", s.duplicate_applies},
                      {"idempotent_replays", s.idempotent_replays}};
    std::vector<SectionValue> section = c.spec->kind->section(*c.spec, s, r.window());
    if (!section.empty()) {
      nlohmann::ordered_json sj;
      for (const auto& v : section) sj[v.key] = r6(v.value);
      cj[s.kind] = sj;
    }
    comps[s.name] = cj;
  }
  j["components"] = comps;
  if (!r.region_links.empty()) {
    nlohmann::ordered_json links = nlohmann::ordered_json::object();
    for (const auto& l : r.region_links)
      links[l.name] = {{"bandwidth_gbps", r6(l.bandwidth / 1e9)},
                       {"utilization", r6(l.bytes * 8 / (l.bandwidth * r.window()))}};
    j["region_links"] = links;
  }
  Verdict v = bottleneck(r);
  j["bottleneck"] = {{"component", v.component}, {"resource", v.resource}, {"evidence", v.evidence}};
  if (v.shard >= 0) j["bottleneck"]["shard"] = v.shard;
  if (has_costs(t)) j["cost"] = cost_json(r);  // only when some component declares `cost:`
  j["availability"] = availability_json(availability(r));
  j["critical_path"] = critical_path_json(critical_path(r));
  if (!r.feeds.empty()) j["feeds"] = feeds_json(r);
  if (!r.faults.empty()) j["faults"] = faults_json(r);
  if (!r.stores.empty()) j["stores"] = stores_json(r);
  if (r.network.mode != NetworkMode::Actors) j["network"] = network_json(r.network);
  return j;
}

RunReport run_report(const RunResult& r) {
  const Topology& t = *r.topology;
  RunReport doc;
  uint64_t gen = 0, comp = 0, failed = 0, infl = 0;
  for (const auto& c : r.clients) {
    gen += c.generated;
    comp += c.completed;
    failed += c.rejected + c.timed_out + c.failed_downstream;
    infl += c.in_flight_at_end;
  }
  ReportSection& run = doc.add("run", "Run");
  run.text(fmt::format("{}: {:g} s simulated after {:g} s warm-up, seed {}\n", t.name, r.window(), r.window_start, t.run.seed));
  {
    ReportTable req{{"generated", "completed", "failed", "in flight at the end"}, "rrrr",
                    {{{fmt::format("{}", gen), fmt::format("{}", comp), fmt::format("{}", failed), fmt::format("{}", infl)}, ""}}};
    const auto& c = req.rows[0].cells;
    run.table(fmt::format("requests: {} generated, {} completed, {} failed, {} in flight at the end\n", c[0], c[1], c[2], c[3]),
              req);
  }
  if (failed > 0) {
    std::string parts;
    ReportTable reasons{{"failed by reason", "requests"}, "lr", {}};
    const nlohmann::ordered_json by = failed_by_reason_json(r.clients);
    for (const auto& el : by.items())
      if (el.value().get<uint64_t>() > 0) {
        reasons.rows.push_back({{el.key(), fmt::format("{}", el.value().get<uint64_t>())}, ""});
        parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", el.key(), el.value().get<uint64_t>());
      }
    run.table("failed by reason: " + parts + "\n", reasons);
  }
  SteadyState steady = steady_state(r);
  if (!r.clients.empty()) {
    ReportSection& st = doc.add("steady_state", steady.steady ? "Steady state" : "Not steady");
    st.text(steady_state_terminal(steady));
    st.alert = !steady.steady;
  }

  // The component table, each row followed by its component's detail lines.
  ReportSection& comps = doc.add("components", "Components");
  auto kind_of = [](const ComponentStats& s) {
    return s.kind + (s.replicas > 1 ? fmt::format(" x{}", s.replicas) : "");
  };
  size_t name_w = 14, kind_w = 14;  // wider when a name or kind needs it, so the columns stay aligned
  for (const auto& c : r.components) {
    name_w = std::max(name_w, c.stats.name.size());
    kind_w = std::max(kind_w, kind_of(c.stats).size());
  }
  ReportTable table{{"component", "kind", "thru/s", "workers", "cpu", "io", "net", "mean q", "max q", "p50 ms", "p99 ms"},
                    "llrrrrrrrrr",
                    {}};
  std::string text = fmt::format("\n{:<{}} {:<{}} {:>10} {:>8} {:>7} {:>7} {:>7} {:>9} {:>8} {:>9} {:>9}\n", "component",
                                 name_w, "kind", kind_w, "thru/s", "workers", "cpu", "io", "net", "mean q", "max q", "p50 ms",
                                 "p99 ms");
  auto cell = [](const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", 100 * *v) : std::string("-"); };
  for (const auto& c : r.components) {
    const ComponentStats& s = c.stats;
    Util u = util_of(c);
    // A queue's own time is its delay (enqueue to processed); its residence is the producer's
    // acknowledgement, 0 without ack_delay.
    const LatencyHistogram& held = s.queue ? s.queue->delay : s.residence;
    ReportTable::Row row{{s.name, kind_of(s), fmt::format("{:.1f}", static_cast<double>(s.completed) / r.window()),
                          cell(u.workers), cell(u.cpu), cell(u.io), fmt::format("{:.1f}%", 100 * u.network),
                          fmt::format("{:.2f}", s.queue_len.mean()), fmt::format("{:.0f}", s.queue_len.max()),
                          fmt::format("{:.3f}", held.quantile(0.5) * 1e3), fmt::format("{:.3f}", held.quantile(0.99) * 1e3)},
                         ""};
    const auto& v = row.cells;
    text += fmt::format("{:<{}} {:<{}} {:>10} {:>8} {:>7} {:>7} {:>7} {:>9} {:>8} {:>9} {:>9}\n", v[0], name_w, v[1], kind_w,
                        v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
    std::string detail;
    if (s.counts_hits && s.hits + s.misses > 0)
      detail += fmt::format("{:<14} hit ratio {:.1f}%\n", "",
                            100.0 * static_cast<double>(s.hits) / static_cast<double>(s.hits + s.misses));
    detail += edge_summary_lines(s, r.window());
    detail += resilience_lines(s);
    detail += data_tier_lines(c, r.window());
    if (s.failover) detail += failovers_terminal(s.name, *s.failover);
    if (s.counts_hits) detail += cache_terminal_line(s);
    detail += section_line(c, r.window());
    text += detail;
    row.detail = detail;
    table.rows.push_back(std::move(row));
  }
  comps.table(text, table);

  ReportSection& lat = doc.add("latency", "Latency");
  ReportTable lt{{"latency ms", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"}, "lrrrrrrr", {}};
  std::vector<std::pair<std::string, LatencyHistogram>> lines{{"all", all_latencies(r)}};
  for (size_t i = 0; i < r.type_names.size(); ++i) lines.emplace_back(r.type_names[i], type_latencies(r, i));
  for (const auto& [region, h] : region_latencies(r)) lines.emplace_back("region " + region, h);
  size_t label_w = 10;
  for (const auto& [name, h] : lines) label_w = std::max(label_w, name.size());
  text = fmt::format("\n{:<{}} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "latency ms", label_w, "mean", "p50", "p90",
                     "p95", "p99", "p99.9", "max");
  for (const auto& [name, h] : lines) {
    ReportTable::Row cells{{name}, ""};
    for (double x : {h.mean(), h.quantile(0.5), h.quantile(0.9), h.quantile(0.95), h.quantile(0.99), h.quantile(0.999), h.max()})
      cells.cells.push_back(fmt::format("{:.3f}", x * 1e3));
    const auto& c = cells.cells;
    text += fmt::format("{:<{}} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", c[0], label_w, c[1], c[2], c[3], c[4], c[5], c[6],
                        c[7]);
    lt.rows.push_back(std::move(cells));
  }
  lat.table(text, lt);
  if (!steady.steady || steady.percentiles_are_lower_bounds) lat.text(in_flight_terminal(steady));

  add_availability(doc.add("availability", "Availability and SLA").text("\n"), availability(r));

  Verdict v = bottleneck(r);
  ReportSection& verdict = doc.add("bottleneck", "Bottleneck");
  if (v.resource == "none") verdict.text("\nbottleneck: none. " + v.evidence + "\n");
  else verdict.text(fmt::format("\nbottleneck: {} is {}-bound. {}\n", v.component, v.resource, v.evidence));
  if (has_costs(t)) doc.add("cost", "Cost").text(cost_line(r));
  CriticalPathSummary cp = critical_path(r);
  if (cp.requests > 0) {
    ReportTable rows{{"component", "cause", "share above p99", "share of all", "ms per request above p99", "ms per request"},
                     "llrrrr",
                     {}};
    for (const auto& row : cp.rows)
      rows.rows.push_back({{row.component, row.cause, pct(row.share_above_p99), pct(row.share_all),
                            fmt::format("{:.3f}", row.mean_ms_above_p99), fmt::format("{:.3f}", row.mean_ms_all)},
                           ""});
    doc.add("critical_path", "Critical path").table("critical path: " + cp.verdict + "\n", rows, false);
  }
  if (!r.faults.empty()) {
    ReportTable ft{{"fault", "from", "to", "effect"}, "lrrl", {}};
    text.clear();
    const std::vector<Recovery> recoveries = fault_recoveries(r);
    for (const auto& f : r.faults) {
      std::string effect = f.effect;  // the summary key, in words
      std::replace(effect.begin(), effect.end(), '_', ' ');
      ReportTable::Row cells{{f.spec->name(), format_duration(f.start), f.end < 0 ? std::string("the end") : format_duration(f.end),
                              fmt::format("{} {}", f.count, effect)},
                             recovery_line(recoveries[ft.rows.size()])};
      const auto& c = cells.cells;
      text += fmt::format("fault: {} from {} to {}: {}\n", c[0], c[1], c[2], c[3]) + cells.detail;
      ft.rows.push_back(std::move(cells));
    }
    doc.add("faults", "Faults").table(text, ft);
  }
  if (!r.feeds.empty()) doc.add("feeds", "Feeds").text(feeds_terminal(r));
  add_stores(doc, r);
  if (r.network.mode != NetworkMode::Actors) doc.add("network", "Network").text(network_terminal(r.network));
  return doc;
}

std::string terminal_summary(const RunResult& r) { return render_terminal(run_report(r)); }

DesignOverlay design_overlay(const RunResult& r) {
  DesignOverlay o;
  for (const auto& c : r.components) {
    Util u = util_of(c);
    DesignOverlay::Load l{u.network, "network"};
    for (const auto& [v, name] : {std::pair{u.cpu, "cpu"}, std::pair{u.io, "io"}, std::pair{u.workers, "workers"}})
      if (v && *v > l.utilization) l = {*v, name};
    o.load[c.stats.name] = l;
  }
  Verdict v = bottleneck(r);
  if (v.resource != "none") {
    o.bottleneck = v.component;
    o.bottleneck_resource = v.resource;
  }
  return o;
}

namespace {

class AtomicFile {
 public:
  AtomicFile(const std::string& dir, const std::string& name)
      : final_(dir + "/" + name), tmp_(dir + "/." + name + ".tmp"), out_(tmp_) {
    if (!out_) throw std::runtime_error("cannot write " + tmp_);
  }
  std::ofstream& out() { return out_; }
  void commit() {
    out_.close();
    if (!out_ || std::rename(tmp_.c_str(), final_.c_str()) != 0) throw std::runtime_error("cannot write " + final_);
  }

 private:
  std::string final_, tmp_;
  std::ofstream out_;
};

}  // namespace

void write_outputs(const RunResult& r, const std::string& dir, const std::vector<std::string>& overrides) {
  make_output_dir(dir, "run --out");

  {
    AtomicFile f(dir, "summary.json");
    f.out() << summary_json(r).dump(2) << "\n";
    f.commit();
  }
  {
    AtomicFile f(dir, "components.csv");
    f.out() << "component,kind,replicas,throughput_rps,util_workers,util_cpu,util_io,util_network,mean_queue_len,"
               "max_queue_len,mean_residence_ms,p50_residence_ms,p99_residence_ms,mean_wait_ms,rejected,hit_ratio,"
               "evictions,expired,stampede_misses,unflushed_writes_lost,replica_load_skew\n";
    for (const auto& c : r.components) {
      const ComponentStats& s = c.stats;
      Util u = util_of(c);
      auto o = [](const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string(); };
      uint64_t lookups = s.hits + s.misses;
      f.out() << fmt::format("{},{},{},{:.6g},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{},{}\n", s.name,
                             s.kind, s.replicas, static_cast<double>(s.completed) / r.window(), o(u.workers), o(u.cpu),
                             o(u.io), u.network, s.queue_len.mean(), s.queue_len.max(), s.residence.mean() * 1e3,
                             s.residence.quantile(0.5) * 1e3, s.residence.quantile(0.99) * 1e3,
                             s.wait_count ? s.wait_sum / static_cast<double>(s.wait_count) * 1e3 : 0.0, s.rejected,
                             s.counts_hits && lookups
                                 ? fmt::format("{:.6g}", static_cast<double>(s.hits) / static_cast<double>(lookups))
                                 : std::string(),
                             s.counts_hits ? cache_csv_cells(s) : std::string(",,,,"));
    }
    f.commit();
  }
  // The kinds' own sections, long form; only when some component has one.
  bool sections = false;
  for (const auto& c : r.components) sections |= !c.spec->kind->section(*c.spec, c.stats, r.window()).empty();
  if (sections) {
    AtomicFile f(dir, "sections.csv");
    f.out() << "component,kind,key,value,unit\n";
    for (const auto& c : r.components)
      for (const auto& v : c.spec->kind->section(*c.spec, c.stats, r.window()))
        f.out() << fmt::format("{},{},{},{:.6g},{}\n", c.stats.name, c.stats.kind, v.key, v.value, v.unit);
    f.commit();
  }
  {
    AtomicFile f(dir, "latency_histogram.csv");
    f.out() << "type,low_ms,high_ms,count\n";
    auto dump = [&](const std::string& name, const LatencyHistogram& h) {
      h.for_each_bucket([&](double lo, double hi, uint64_t n) {
        f.out() << fmt::format("{},{:.6g},{:.6g},{}\n", name, lo * 1e3, hi * 1e3, n);
      });
    };
    dump("all", all_latencies(r));
    for (size_t i = 0; i < r.type_names.size(); ++i) dump(r.type_names[i], type_latencies(r, i));
    f.commit();
  }
  {
    AtomicFile f(dir, "timeseries.csv");
    f.out() << "t_s,component,throughput_rps,p50_ms,p99_ms,errors,utilization,queue_len,faults_active,faults\n";
    size_t seconds = static_cast<size_t>(std::ceil(r.window_end - 1e-9));
    for (size_t sec = 0; sec < seconds; ++sec) {
      // Fault names carry no commas (Fault::name), so the cell needs no quoting.
      size_t active = 0;
      std::string names = faults_active(r, static_cast<double>(sec), static_cast<double>(sec + 1), &active);
      std::string fault_cells = fmt::format(",{},{}", active, names);
      for (const auto& c : r.clients) {
        const auto& rows = c.series.rows();
        SecondRow row = sec < rows.size() ? rows[sec] : SecondRow{};
        f.out() << fmt::format("{},{},{},{:.6g},{:.6g},{},,{}\n", sec, c.name, row.completed, row.p50 * 1e3,
                               row.p99 * 1e3, row.errors, fault_cells);
      }
      for (const auto& c : r.components) {
        const ComponentStats& s = c.stats;
        const auto& rows = s.series.rows();
        SecondRow row = sec < rows.size() ? rows[sec] : SecondRow{};
        auto at = [&](const TimeWeighted& tw) { return sec < tw.per_second().size() ? tw.per_second()[sec] : 0.0; };
        double util = 0;
        for (const char* res : {"cpu", "io", "workers"}) {
          double cap = capacity_of(s, res);
          const TimeWeighted& tw = std::string(res) == "cpu" ? s.busy_cores : std::string(res) == "io" ? s.busy_io : s.busy_workers;
          if (cap > 0) util = std::max(util, at(tw) / cap);
        }
        f.out() << fmt::format("{},{},{},{:.6g},{:.6g},{},{:.6g},{:.6g}{}\n", sec, s.name, row.completed, row.p50 * 1e3,
                               row.p99 * 1e3, row.errors, util, at(s.queue_len), fault_cells);
      }
    }
    f.commit();
  }
  {
    // Per second, client and request type: answered and failed requests. A type appears for a
    // client when it ended at least one of them in the run; its seconds with none are zeros.
    AtomicFile f(dir, "type_timeseries.csv");
    f.out() << "t_s,client,type,completed,errors\n";
    size_t seconds = static_cast<size_t>(std::ceil(r.window_end - 1e-9));
    std::vector<std::vector<bool>> sends(r.clients.size(), std::vector<bool>(r.type_names.size(), false));
    for (size_t ci = 0; ci < r.clients.size(); ++ci)
      for (const auto& row : r.clients[ci].type_seconds)
        for (size_t ti = 0; ti < row.size() && ti < r.type_names.size(); ++ti)
          if (row[ti].completed + row[ti].errors > 0) sends[ci][ti] = true;
    for (size_t sec = 0; sec < seconds; ++sec)
      for (size_t ci = 0; ci < r.clients.size(); ++ci) {
        const ClientStats& c = r.clients[ci];
        for (size_t ti = 0; ti < r.type_names.size(); ++ti) {
          if (!sends[ci][ti]) continue;
          ClientStats::TypeSecond cell;
          if (sec < c.type_seconds.size() && ti < c.type_seconds[sec].size()) cell = c.type_seconds[sec][ti];
          f.out() << fmt::format("{},{},{},{},{}\n", sec, c.name, r.type_names[ti], cell.completed, cell.errors);
        }
      }
    f.commit();
  }
  if (!r.stores.empty()) {
    AtomicFile f(dir, "store_timeseries.csv");
    write_store_timeseries(r, f.out());
    f.commit();
  }
  {
    // A file that extends another is written merged, so that the folder's copy stands alone.
    AtomicFile f(dir, "topology.yaml");
    if (!r.topology->merged_yaml.empty()) {
      f.out() << r.topology->merged_yaml;
    } else {
      std::ifstream in(r.topology->file, std::ios::binary);
      f.out() << in.rdbuf();
    }
    f.commit();
  }
  {
    AtomicFile f(dir, "overrides.txt");
    for (const auto& o : overrides) f.out() << o << "\n";
    f.commit();
  }
  {
    AtomicFile f(dir, "critical_path.csv");
    write_critical_path_csv(critical_path(r), f.out());
    f.commit();
  }
  {
    AtomicFile f(dir, "report.json");
    f.out() << report_json(run_report(r)).dump(1) << "\n";
    f.commit();
  }
  {
    AtomicFile f(dir, "topology.dot");
    DesignOverlay overlay = design_overlay(r);
    write_design_dot(*r.topology, &overlay, f.out());
    f.commit();
  }
}

}  // namespace archsim
