#include "sim/experiment/failures.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/common/kind.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/validate.hpp"
#include "sim/experiment/slurm.hpp"
#include "sim/report/output_dir.hpp"
#include "sim/support/units.hpp"

namespace archsim {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr double kSinglePoint = 0.05;  // a client region or request type's availability during the window, at most

// A load balancer in front of a crashed replica that does not check its replicas' health: it keeps
// the crashed one in rotation for the whole window.
struct UncheckedBalancer {
  std::string name, policy, where;  // where: its line, for the health_check: to add
};

struct Candidate {
  std::string id;     // the point's folder: "crash-db-0", "region_down-us-east"
  std::string what;   // "crash db/0", "region us-east down", "link us-east<->eu-west down"
  std::string fault;  // the fault's YAML, without at/for
  int replicas = 1;   // of the component a crash takes one of
  std::vector<UncheckedBalancer> unchecked;  // balancers in front of it without health_check
};

// Requests answered and failed in some seconds.
struct Window {
  double ok = 0, failed = 0;
  double availability() const { return ok + failed > 0 ? ok / (ok + failed) : 1; }
};

// Availability over the seconds wholly inside [at, until) and over those after it, from a per-second
// CSV (timeseries.csv, type_timeseries.csv): its rows grouped by the `key` column, answered requests
// in `ok`, failed ones in `errors`; rows whose key `keep` refuses are left out.
std::map<std::string, std::pair<Window, Window>> windows(const std::string& csv, const char* key, const char* ok_col,
                                                         double at, double until,
                                                         const std::function<bool(const std::string&)>& keep) {
  std::map<std::string, std::pair<Window, Window>> out;
  std::ifstream in(csv);
  std::string line;
  if (!std::getline(in, line)) return out;
  std::vector<std::string> cols;
  {
    std::stringstream hs(line);
    for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
  }
  auto col = [&](const char* n) {
    return static_cast<size_t>(std::find(cols.begin(), cols.end(), n) - cols.begin());
  };
  size_t ct = col("t_s"), ck = col(key), cok = col(ok_col), cerr = col("errors");
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
    if (f.size() <= std::max({ct, ck, cok, cerr}) || !keep(f[ck])) continue;
    double t = std::stod(f[ct]), ok = std::stod(f[cok]), bad = std::stod(f[cerr]);
    auto& w = out[f[ck]];
    if (t >= at && t + 1 <= until + 1e-9) {
      w.first.ok += ok;
      w.first.failed += bad;
    } else if (t >= until) {
      w.second.ok += ok;
      w.second.failed += bad;
    }
  }
  return out;
}

struct Outcome {
  const Candidate* c = nullptr;
  bool ok = false;
  std::string error;
  double during = 1, after = 1, overall = 1;
  std::string worst_region;
  double worst_during = 1;
  std::map<std::string, double> region_during, region_after;
  std::map<std::string, double> type_during, type_after;
  std::vector<std::pair<std::string, uint64_t>> failed_by;
  uint64_t failed = 0;
  std::string recovery;  // "0 s", "did not recover: ...", "not judged: ..."
  bool recovered = true;
  uint64_t lost_writes = 0;
  std::string rto, rpo;
  bool single_point = false;
  std::string folder;
  std::string note;  // why it cost more than its share, when the design says why
};

class FailureSweep {
 public:
  FailureSweep(const std::string& file, const FailureOptions& o) : file_(file), o_(o) {
    std::vector<std::string> sets = o.sets;
    sets.push_back("faults=[]");
    Topology t = load_topology(file, sets);
    validate_topology(t);
    name_ = t.name;
    out_ = o.run.out_dir.empty() ? "results/failures-" + t.name : o.run.out_dir;
    double window = t.run.duration - t.run.warmup;
    // The per-second series needs a whole second before the failure, during it and after it.
    if (o.at.empty() && o.length.empty() && window < 3)
      throw ConfigError(fmt::format(
          "{}: error: the measured window ({} to {}) is shorter than the 3 s the sweep needs (a second before the "
          "failure, during it and after it): set run.duration to {} or more, e.g. --set run.duration={}",
          t.where(t.run.duration_loc), format_duration(t.run.warmup), format_duration(t.run.duration),
          format_duration(t.run.warmup + 3), format_duration(std::ceil(t.run.warmup + 6))));
    // Whole seconds, so that the time series' seconds fall inside or outside the window.
    at_ = std::round(t.run.warmup + window / 3);
    length_ = std::max(1.0, std::round(window / 3));
    std::string why;
    if (!o.at.empty()) {
      auto v = parse_duration(o.at, &why);
      if (!v || *v < 0) throw ConfigError(fmt::format("--at {}: error: give a time such as 10s ({})", o.at, why));
      at_ = *v;
    }
    if (!o.length.empty()) {
      auto v = parse_duration(o.length, &why);
      if (!v || *v <= 0) throw ConfigError(fmt::format("--for {}: error: give a duration such as 10s ({})", o.length, why));
      length_ = *v;
    }
    if (at_ < t.run.warmup || at_ + length_ > t.run.duration)
      throw ConfigError(fmt::format("--at {} --for {}: error: the window must lie within the measured window ({} to {})",
                                    format_duration(at_), format_duration(length_), format_duration(t.run.warmup),
                                    format_duration(t.run.duration)));
    for (const auto& c : t.components) {
      if (c.kind->traits().client) {
        clients_.push_back(c.name);
        client_region_[c.name] = c.region;
        continue;
      }
      std::string target = c.replicas > 1 ? fmt::format("{}/0", c.name) : c.name;
      Candidate cand{fmt::format("crash-{}", slug(c.name)),
                     "crash " + target + (c.replicas > 1 ? " (one of its replicas)" : ""),
                     fmt::format("{{crash: {}}}", target), static_cast<int>(c.replicas), {}};
      for (const auto& lb : t.components)
        if (lb.lb_targets == c.name && !lb.health_check.enabled())
          cand.unchecked.push_back({lb.name, to_string(lb.policy), t.where(lb.lb_targets_loc)});
      add(t, std::move(cand));
    }
    if (t.regions.size() > 1)
      for (const auto& r : t.regions)
        add(t, {"region_down-" + slug(r), "region " + r + " down", fmt::format("{{region_down: {}}}", r)});
    for (const auto& l : t.network.links)
      add(t, {fmt::format("link_down-{}-{}", slug(l.a), slug(l.b)), fmt::format("link {}<->{} down", l.a, l.b),
              fmt::format("{{link_down: [{}, {}]}}", l.a, l.b)});
  }

  int run() {
    Experiment e;
    e.file = file_;
    e.name = "failures-" + name_;
    e.description = "the failure-mode sweep";
    e.topology = file_;
    e.replications = o_.replications;
    e.seed = o_.seed;
    e.has_variants = true;
    auto point = [&](const std::string& id, const std::string& faults) {
      ExperimentPoint p;
      p.id = id;
      p.topology = file_;
      p.variant = id;
      for (const auto& s : o_.sets) p.overrides.push_back(Override::of(s, "--set " + s));
      p.overrides.push_back({"faults", faults, "failures"});
      e.points.push_back(p);
    };
    point("baseline", "[]");
    for (const auto& c : candidates_) point(c.id, with_window(c.fault));
    ExperimentOptions ro = o_.run;
    ro.out_dir = out_;
    int rc = run_experiment(e, ro);

    Outcome base = outcome(nullptr, "baseline");
    std::vector<Outcome> rows;
    for (const auto& c : candidates_) rows.push_back(outcome(&c, c.id));
    std::stable_sort(rows.begin(), rows.end(), [](const Outcome& a, const Outcome& b) {
      if (a.single_point != b.single_point) return a.single_point;
      if (a.worst_during != b.worst_during) return a.worst_during < b.worst_during;
      return a.failed > b.failed;
    });
    write(base, rows);
    return rc;
  }

 private:
  static std::string slug(const std::string& s) {
    std::string out;
    for (char ch : s) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ? ch : '-';
    return out;
  }

  std::string with_window(const std::string& fault) const {
    return fmt::format("[{}, at: {}, for: {}}}]", fault.substr(0, fault.size() - 1), format_duration(at_),
                       format_duration(length_));
  }

  // A candidate the topology accepts (a kind the fault model cannot crash is listed, not swept).
  void add(const Topology& t, Candidate c) {
    std::vector<std::string> sets = o_.sets;
    sets.push_back("faults=" + with_window(c.fault));
    try {
      validate_topology(load_topology(file_, sets));
      candidates_.push_back(std::move(c));
    } catch (const ConfigError& err) {
      std::string msg = err.what();
      auto at = msg.find("error: ");
      skipped_.push_back({c.what, at == std::string::npos ? msg : msg.substr(at + 7)});
    }
    (void)t;
  }

  Outcome outcome(const Candidate* c, const std::string& id) const {
    Outcome o;
    o.c = c;
    o.folder = fmt::format("{}/points/{}/r1", out_, id);
    std::ifstream in(o.folder + "/summary.json");
    if (!in) {
      std::ifstream err(o.folder + ".stderr");
      std::string line;
      std::getline(err, line);
      o.error = line.empty() ? "the run did not finish" : line;
      o.single_point = false;
      o.worst_during = 2;  // after every judged row
      return o;
    }
    json j = json::parse(in);
    o.ok = true;
    const json& av = j["availability"];
    o.overall = av["availability"].is_number() ? av["availability"].get<double>() : 1;
    auto w = windows(o.folder + "/timeseries.csv", "component", "throughput_rps", at_, at_ + length_,
                     [&](const std::string& name) {
                       return std::find(clients_.begin(), clients_.end(), name) != clients_.end();
                     });
    Window d, a;
    std::map<std::string, std::pair<Window, Window>> by_region;
    for (const auto& [client, pair] : w) {
      d.ok += pair.first.ok;
      d.failed += pair.first.failed;
      a.ok += pair.second.ok;
      a.failed += pair.second.failed;
      auto& r = by_region[client_region_.at(client)];
      r.first.ok += pair.first.ok;
      r.first.failed += pair.first.failed;
      r.second.ok += pair.second.ok;
      r.second.failed += pair.second.failed;
    }
    o.during = d.availability();
    o.after = a.availability();
    o.worst_during = 2;
    for (const auto& [region, pair] : by_region) {
      o.region_during[region] = pair.first.availability();
      o.region_after[region] = pair.second.availability();
      if (pair.first.availability() < o.worst_during) {
        o.worst_during = pair.first.availability();
        o.worst_region = region;
      }
    }
    if (o.worst_during > 1) o.worst_during = o.during;
    for (const auto& [type, pair] : windows(o.folder + "/type_timeseries.csv", "type", "completed", at_, at_ + length_,
                                            [](const std::string&) { return true; })) {
      o.type_during[type] = pair.first.availability();
      o.type_after[type] = pair.second.availability();
      if (c && pair.first.availability() < o.worst_during) {
        o.worst_during = pair.first.availability();
        o.worst_region = "type " + type;
      }
    }
    for (const auto& el : j["requests"]["failed_by_reason"].items())
      if (el.value().get<uint64_t>() > 0) o.failed_by.push_back({el.key(), el.value().get<uint64_t>()});
    o.failed = j["requests"]["failed"].get<uint64_t>();
    if (j.contains("faults") && !j["faults"].empty()) {
      const json& r = j["faults"][0]["recovery"];
      if (!r["judged"].get<bool>()) o.recovery = "not judged: " + r["why"].get<std::string>();
      else if (r["recovered"].get<bool>())
        o.recovery = r["recovery_s"].get<double>() < 1 ? "within 1 s" : format_duration(r["recovery_s"].get<double>());
      else {
        o.recovered = false;
        o.recovery = "no: " + r["sustained_by"].get<std::string>();
      }
    }
    if (j.contains("stores"))
      for (const auto& [name, s] : j["stores"].items())
        if (s.contains("lost_acknowledged_writes")) o.lost_writes += s["lost_acknowledged_writes"].get<uint64_t>();
    for (const auto& [name, comp] : j["components"].items()) {
      if (comp.contains("unflushed_writes_lost")) o.lost_writes += comp["unflushed_writes_lost"].get<uint64_t>();
      if (!comp.contains("failovers")) continue;
      for (const auto& f : comp["failovers"]) {
        if (f.contains("rto_s") && f["rto_s"].is_number()) o.rto = format_duration(f["rto_s"].get<double>());
        else o.rto = "not restored in the run";
        if (f.contains("rpo_writes") && f["rpo_writes"].is_number()) {
          o.rpo = fmt::format("{} writes", f["rpo_writes"].get<uint64_t>());
          o.lost_writes += f["rpo_writes"].get<uint64_t>();
        }
      }
    }
    o.single_point = c != nullptr && o.worst_during <= kSinglePoint;
    if (c) o.note = share_note(*c, o);
    return o;
  }

  // One replica of R carries about 1/R of its component's traffic. A crash that fails much more
  // than that, behind a load balancer that never takes the replica out of rotation, says so.
  static std::string share_note(const Candidate& c, const Outcome& o) {
    if (c.replicas < 2 || c.unchecked.empty()) return "";
    double lost = 1 - o.during, share = 1.0 / c.replicas;
    if (lost < std::max(1.5 * share, share + 0.05)) return "";
    const UncheckedBalancer& lb = c.unchecked.front();
    std::string why = lb.policy == "least_connections"
                          ? "; least_connections sends it more than its share: it refuses at once, so it always has "
                            "the fewest connections"
                          : "";
    return fmt::format(
        "{:.0f}% of requests failed during the window, not the {:.3g}% one of {} replicas carries: load balancer {} "
        "({}) has no health_check, so the crashed replica stayed in rotation{}; a health_check such as {{interval: 250ms, "
        "unhealthy_after: 2}} on {} ({}) takes a crashed replica out within about 0.5 s",
        100 * lost, 100 * share, c.replicas, lb.name, lb.policy, why, lb.name, lb.where);
  }

  static std::string pct(double v) { return fmt::format("{:.2f}%", 100 * v); }

  ordered_json row_json(const Outcome& o) const {
    ordered_json r;
    r["failure"] = o.c ? o.c->what : "none";
    if (o.c) r["fault"] = with_window(o.c->fault);
    r["single_point_of_failure"] = o.single_point;
    if (!o.ok) {
      r["error"] = o.error;
      return r;
    }
    r["availability"] = {{"during", o.during}, {"after", o.after}, {"window", o.overall}};
    ordered_json regions;
    for (const auto& [name, v] : o.region_during) regions[name] = {{"during", v}, {"after", o.region_after.at(name)}};
    r["by_client_region"] = regions;
    if (!o.type_during.empty()) {
      ordered_json types;
      for (const auto& [name, v] : o.type_during) types[name] = {{"during", v}, {"after", o.type_after.at(name)}};
      r["by_type"] = types;
    }
    ordered_json reasons = ordered_json::object();
    for (const auto& [k, v] : o.failed_by) reasons[k] = v;
    r["failed_by_reason"] = reasons;
    if (!o.recovery.empty()) r["recovery"] = o.recovery;
    r["recovered"] = o.recovered;
    r["lost_acknowledged_writes"] = o.lost_writes;
    if (!o.rto.empty()) r["rto"] = o.rto;
    if (!o.rpo.empty()) r["rpo"] = o.rpo;
    if (!o.note.empty()) r["note"] = o.note;
    r["folder"] = o.folder;
    if (o.c) {
      std::vector<std::string> cmd{"archsim", "run", file_};
      for (const auto& s : o_.sets) {
        cmd.push_back("--set");
        cmd.push_back(s);
      }
      cmd.push_back("--set");
      cmd.push_back("faults=" + with_window(o.c->fault));
      r["command"] = command_line(cmd);
    }
    return r;
  }

  void write(const Outcome& base, const std::vector<Outcome>& rows) const {
    ordered_json j;
    j["topology"] = name_;
    j["window"] = {{"at_s", at_}, {"for_s", length_}};
    j["single_point_threshold"] = kSinglePoint;
    j["baseline"] = row_json(base);
    ordered_json list = ordered_json::array();
    std::vector<std::string> spof;
    for (const auto& o : rows) {
      list.push_back(row_json(o));
      if (o.single_point) spof.push_back(o.c->what);
    }
    j["failures"] = list;
    j["single_points_of_failure"] = spof;
    ordered_json skipped = ordered_json::array();
    for (const auto& [what, why] : skipped_) skipped.push_back({{"failure", what}, {"why", why}});
    j["not_swept"] = skipped;
    std::ofstream(out_ + "/failures.json") << j.dump(2) << "\n";
    if (o_.json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::string out = fmt::format(
        "failure modes of {}: each failure alone from {} for {} (the topology's own faults removed); baseline "
        "availability {}\n\n",
        name_, format_duration(at_), format_duration(length_), base.ok ? pct(base.during) : "unknown");
    size_t w = 24;
    for (const auto& o : rows) w = std::max(w, o.c->what.size());
    out += fmt::format("{:<{}} {:>9} {:>9} {:<22} {:<30} {:<12} {:>6} {:<10}\n", "failure", w, "during", "after",
                       "worst (during)", "failed by reason", "recovered", "lost", "RTO / RPO");
    for (const auto& o : rows) {
      if (!o.ok) {
        out += fmt::format("{:<{}} run failed: {}\n", o.c->what, w, o.error);
        continue;
      }
      std::string reasons;
      for (const auto& [k, v] : o.failed_by) reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", k, v);
      std::string rec = o.recovery.rfind("no:", 0) == 0 ? "no" : o.recovery.rfind("not judged", 0) == 0 ? "n/a" : o.recovery;
      std::string rr = o.rto.empty() && o.rpo.empty() ? "-" : o.rto + (o.rpo.empty() ? "" : " / " + o.rpo);
      out += fmt::format("{:<{}} {:>9} {:>9} {:<22} {:<30} {:<12} {:>6} {:<10}{}\n", o.c->what, w, pct(o.during),
                         pct(o.after), o.worst_region.empty() ? "-" : o.worst_region + " " + pct(o.worst_during),
                         reasons.empty() ? "none" : reasons, rec, o.lost_writes, rr,
                         o.single_point ? "  SINGLE POINT OF FAILURE" : "");
      if (!o.recovered) out += fmt::format("{:<{}}   did not recover: {}\n", "", w, o.recovery.substr(4));
      if (!o.note.empty()) out += fmt::format("{:<{}}   {}\n", "", w, o.note);
    }
    out += spof.empty() ? "\nsingle points of failure: none (no single failure takes a client region or a request type to 5% "
                          "or below)\n"
                        : fmt::format("\nsingle points of failure: {}\n", fmt::join(spof, ", "));
    for (const auto& [what, why] : skipped_) out += fmt::format("not swept: {}: {}\n", what, why);
    out += fmt::format("runs: {}/points/<failure>/r1/ (failures.json)\n", out_);
    std::cout << out;
  }

  std::string file_, name_, out_;
  FailureOptions o_;
  double at_ = 0, length_ = 0;
  std::vector<std::string> clients_;
  std::map<std::string, std::string> client_region_;
  std::vector<Candidate> candidates_;
  std::vector<std::pair<std::string, std::string>> skipped_;
};

}  // namespace

int run_failures(const std::string& file, const FailureOptions& options) {
  FailureSweep sweep(file, options);
  return sweep.run();
}

}  // namespace archsim
