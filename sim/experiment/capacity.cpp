#include "sim/experiment/capacity.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "models/common/kind.hpp"
#include "sim/analysis/estimate.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/validate.hpp"
#include "sim/experiment/slurm.hpp"
#include "sim/report/output_dir.hpp"
#include "sim/report/plot_report.hpp"
#include "sim/support/units.hpp"

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// SLOs

Slo parse_slo(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return ConfigError(fmt::format("--slo {}: error: {}; write one as 'p99<=50ms', 'read.p50<=10ms', "
                                   "'errors<=0.1%' or 'availability>=99.9%'",
                                   text, why));
  };
  Slo s;
  s.text = text;
  size_t op = text.find("<=");
  if (op == std::string::npos) {
    op = text.find(">=");
    s.at_most = false;
  }
  if (op == std::string::npos) throw bad("no '<=' or '>='");
  std::string lhs = text.substr(0, op), rhs = text.substr(op + 2);
  auto trim = [](std::string& x) {
    x.erase(0, x.find_first_not_of(' '));
    x.erase(x.find_last_not_of(' ') + 1);
  };
  trim(lhs);
  trim(rhs);
  auto fraction = [&](const std::string& v) {
    std::string why;
    bool percent = !v.empty() && v.back() == '%';
    auto x = parse_number(percent ? v.substr(0, v.size() - 1) : v, &why);
    if (!x) throw bad(fmt::format("'{}' is not a number or a percentage", v));
    double f = percent ? *x / 100 : *x;
    if (f < 0 || f > 1) throw bad(fmt::format("'{}' is not between 0 and 100%", v));
    return f;
  };
  if (lhs == "errors") {
    if (!s.at_most) throw bad("errors take '<='");
    s.metric = "errors";
    s.limit = fraction(rhs);
    return s;
  }
  if (lhs == "availability") {
    if (s.at_most) throw bad("availability takes '>='");
    s.metric = "availability";
    s.limit = fraction(rhs);
    return s;
  }
  s.metric = "latency";
  if (lhs.size() >= 5 && lhs.compare(lhs.size() - 5, 5, "p99.9") == 0) lhs.replace(lhs.size() - 5, 5, "p999");
  size_t dot = lhs.rfind('.');
  s.stat = dot == std::string::npos ? lhs : lhs.substr(dot + 1);
  if (dot != std::string::npos) s.type = lhs.substr(0, dot);
  static const char* kStats[] = {"p50", "p90", "p95", "p99", "p999", "mean", "max"};
  if (std::find(std::begin(kStats), std::end(kStats), s.stat) == std::end(kStats))
    throw bad(fmt::format("'{}' is not a latency statistic (p50, p90, p95, p99, p999, mean, max), errors or "
                          "availability",
                          lhs));
  if (!s.at_most) throw bad("a latency takes '<='");
  std::string why;
  auto d = parse_duration(rhs, &why);
  if (!d) throw bad(fmt::format("'{}' is not a duration ({})", rhs, why));
  s.limit = *d * 1e3;
  return s;
}

namespace {

// The SLO's value in one run's summary; nullopt when the run has none (no request of that type
// completed), which counts as not holding.
std::optional<double> slo_value(const Slo& s, const json& j) {
  if (s.metric == "errors") {
    double failed = j["requests"]["failed"].get<double>(), completed = j["requests"]["completed"].get<double>();
    return failed + completed > 0 ? std::optional<double>(failed / (failed + completed)) : std::nullopt;
  }
  if (s.metric == "availability") {
    const json& a = j["availability"]["availability"];
    return a.is_number() ? std::optional<double>(a.get<double>()) : std::nullopt;
  }
  const json& lat = s.type.empty() ? j["latency_ms"] : j["latency_ms"]["by_type"][s.type];
  if (!lat.is_object() || !lat.contains(s.stat) || !lat[s.stat].is_number()) return std::nullopt;
  return lat[s.stat].get<double>();
}

std::string slo_number(const Slo& s, double v) {
  if (s.metric == "latency") return fmt::format("{:.3g} ms", v);
  return fmt::format("{:.4g}%", 100 * v);
}

// ---------------------------------------------------------------------------------------------
// Probes

struct Verdict {
  std::string component, resource, evidence;
};

struct Probe {
  double m = 0;
  int runs = 0;
  bool holds = false;
  bool undecided = false;   // replicated to the maximum and still on both sides of a limit
  bool failed_run = false;  // a run did not finish (its error in `why`)
  std::string why;          // what does not hold: "p99 61.2 ± 3.1 ms > 50 ms", "not steady: ..."
  std::vector<Estimate> values;  // per SLO
  Verdict bottleneck;       // the verdict most runs gave
  double offered_rps = 0, goodput_rps = 0;
  std::optional<double> monthly_usd;
  std::string folder;
  std::vector<std::string> command;  // replication 1's `archsim run` command
};

// One rung of the ladder: the design (the reliefs so far) and the wall found for it.
struct Rung {
  std::vector<std::string> reliefs;  // `path=value`, cumulative
  std::string relief_text;           // what this rung changed, "" for the design as given
  std::vector<Probe> probes;         // in the order they ran
  std::optional<size_t> lo, hi;      // the highest probe that holds, the lowest that does not
  std::optional<size_t> near;        // a probe between them whose SLO is within noise of its limit
  std::optional<size_t> unrun;       // a probe whose run did not finish: the search stopped there
  std::string analytic;              // the analytic view's first saturation, as text
  double analytic_multiplier = 0;    // 0 = never
  std::string note;                  // why the search or the ladder stopped here
};

std::string multiplier_text(double m) { return fmt::format("{:.4g}x", m); }

class CapacitySearch {
 public:
  CapacitySearch(const std::string& file, const CapacityOptions& o) : file_(file), o_(o) {
    Topology t = load_topology(file, o.sets);
    validate_topology(t);
    name_ = t.name;
    out_ = o.run.out_dir.empty() ? "results/capacity-" + t.name : o.run.out_dir;
    std::vector<std::string> all_clients;
    for (const auto& c : t.components)
      if (c.kind->traits().client) all_clients.push_back(c.name);
    if (all_clients.empty())
      throw ConfigError(fmt::format("{}: error: the topology has no client: capacity scales the clients' load", file));
    if (o.scale.empty()) clients_ = all_clients;
    for (const auto& what : o.scale) {
      if (what.find('.') != std::string::npos) {
        paths_.push_back(scaled_value(what));
        continue;
      }
      if (std::find(all_clients.begin(), all_clients.end(), what) == all_clients.end())
        throw ConfigError(fmt::format("--scale {}: error: no client '{}' (the clients: {}); or give the path of a "
                                      "number to scale, such as components.{}.arrival.rate",
                                      what, what, fmt::join(all_clients, ", "), all_clients.front()));
      if (std::find(clients_.begin(), clients_.end(), what) == clients_.end()) clients_.push_back(what);
    }
    for (const auto& name : clients_) {
      const Component& c = *t.find(name);
      if (c.arrival.process == ArrivalSpec::Process::Trace)
        throw ConfigError(fmt::format("{}:{}:{}: error: client '{}' replays a trace, whose rate capacity cannot "
                                      "scale; give it a poisson or constant arrival to search its capacity{}",
                                      file, c.arrival.loc.line, c.arrival.loc.col, c.name,
                                      o.scale.empty() ? ", or --scale the other clients" : ""));
    }
  }

  int run() {
    make_output_dir(out_, "capacity --out");
    std::vector<std::string> reliefs;
    std::string relief_text;
    double start = 1;
    for (int step = 0; step < o_.steps; ++step) {
      Rung rung;
      rung.reliefs = reliefs;
      rung.relief_text = relief_text;
      search(rung, step, start);
      rungs_.push_back(std::move(rung));
      Rung& r = rungs_.back();
      if (!r.hi || !r.lo) break;
      if (o_.target && r.probes[*r.lo].m >= *o_.target) {
        r.note = fmt::format("the target {} is reached", multiplier_text(*o_.target));
        break;
      }
      if (step + 1 == o_.steps) break;
      std::string why;
      auto relief = relief_for(r, &why);
      if (!relief) {
        r.note = why;
        break;
      }
      // A later relief of the same parameter replaces the earlier one.
      std::vector<std::string> next;
      std::string path = relief->first.substr(0, relief->first.find('='));
      for (const auto& x : reliefs)
        if (x.substr(0, x.find('=')) != path) next.push_back(x);
      next.push_back(relief->first);
      try {
        validate_topology(topology_of(next));
      } catch (const ConfigError& err) {
        r.note = fmt::format("the relief '{}' is refused by the topology: {}", relief->first, err.what());
        break;
      }
      reliefs = std::move(next);
      relief_text = relief->second;
      start = r.probes[*r.hi].m;  // the relief should move the wall beyond the old one
    }
    write();
    return failed_runs_ ? kSomeRunsFailed : 0;
  }

 private:
  // The topology with this rung's reliefs, as loaded.
  Topology topology_of(const std::vector<std::string>& reliefs) const {
    std::vector<std::string> sets = o_.sets;
    sets.insert(sets.end(), reliefs.begin(), reliefs.end());
    return load_topology(file_, sets);
  }

  // A `--scale` path: the number there, read once from the design as given (with --set).
  struct ScaledValue {
    std::string path, where;
    double base = 0;
    std::string unit;  // what the value is written in: "" (a number), "/s", "B", "bps" or "s"
    bool integral = false;
  };

  ScaledValue scaled_value(const std::string& path) const {
    ScalarAt at;
    try {
      at = topology_scalar(file_, o_.sets, path);
    } catch (const ConfigError& err) {
      std::string msg = err.what();
      size_t e = msg.find("error: ");
      throw ConfigError(e == std::string::npos ? msg : msg.insert(e + 7, "--scale " + path + ": "));
    }
    ScaledValue v{path, at.where, 0, "", false};
    std::string why;
    if (auto x = parse_number(at.text, &why)) {
      v.base = *x;
      v.integral = at.text.find_first_of(".eE") == std::string::npos;
    } else if (auto r = parse_rate(at.text, &why)) {
      v.base = *r, v.unit = "/s";
    } else if (auto b = parse_size(at.text, &why)) {
      v.base = *b, v.unit = "B";
    } else if (auto w = parse_bandwidth(at.text, &why)) {
      v.base = *w, v.unit = "bps";
    } else if (auto d = parse_duration(at.text, &why)) {
      v.base = *d, v.unit = "s";
    } else {
      throw ConfigError(fmt::format("{}: error: --scale {}: '{}' is not a number, rate, size, bandwidth or duration "
                                    "that a multiplier can scale; write the value as one (e.g. 20k/s, 4KiB, 2ms)",
                                    at.where, path, at.text));
    }
    if (v.base <= 0)
      throw ConfigError(fmt::format("{}: error: --scale {}: its value is {}, and scaling nothing gives nothing; "
                                    "scale a positive value", at.where, path, at.text));
    return v;
  }

  // What the multiplier multiplies, in words.
  std::string scale_text() const {
    if (o_.scale.empty()) return "every client's load";
    std::vector<std::string> parts;
    for (const auto& c : clients_) parts.push_back(c + "'s load");
    for (const auto& v : paths_) parts.push_back(v.path);
    return fmt::format("{}", fmt::join(parts, ", "));
  }

  // The `--set`s that scale what is scaled by m: the clients' load (an open loop's rate, a closed
  // loop's users), and each `--scale` path's value.
  std::vector<Override> scaled(const Topology& t, double m) const {
    std::vector<Override> out;
    for (const auto& name : clients_) {
      const Component& c = *t.find(name);
      std::string path = "components." + name + ".arrival.";
      if (c.arrival.process == ArrivalSpec::Process::Closed)
        out.push_back({path + "users", fmt::format("{}", std::max<int64_t>(1, std::llround(c.arrival.users * m))),
                       "capacity"});
      else
        out.push_back({path + "rate", fmt::format("{:.9g}/s", c.arrival.rate * m), "capacity"});
    }
    for (const auto& v : paths_) {
      double x = v.base * m;
      std::string value = v.integral ? fmt::format("{}", std::max<int64_t>(1, std::llround(x)))
                                     : fmt::format("{:.9g}{}", x, v.unit);
      out.push_back({v.path, value, "capacity --scale"});
    }
    return out;
  }

  // The design with these reliefs at multiplier m, as a probe runs it (`base`: the design with
  // the reliefs, at 1x).
  Topology topology_at(const Topology& base, const std::vector<std::string>& reliefs, double m) const {
    std::vector<std::string> sets = o_.sets;
    sets.insert(sets.end(), reliefs.begin(), reliefs.end());
    for (const auto& ov : scaled(base, m)) sets.push_back(ov.assignment());
    return load_topology(file_, sets);
  }

  // The open-loop clients' offered rate.
  static double offered(const Topology& t) {
    double r = 0;
    for (const auto& c : t.components)
      if (c.kind->traits().client && c.arrival.process != ArrivalSpec::Process::Closed) r += c.arrival.rate;
    return r;
  }

  // Runs (or reads back) the probe at m with this rung's reliefs, replicating until it decides,
  // in its own folder rung<k>/x<m>.
  Probe probe(const Rung& rung, int step, double m) {
    return probes_at(rung, {m}, fmt::format("{}/rung{}/x{:.4g}", out_, step + 1, m)).front();
  }

  // Runs (or reads back) the probes at `ms` together, as the points of one experiment in `folder`:
  // each round runs one more replication of every probe not yet decided, so the probes' runs
  // share the job slots (or one Slurm array a round).
  std::vector<Probe> probes_at(const Rung& rung, const std::vector<double>& ms, const std::string& folder) {
    Topology t = topology_of(rung.reliefs);
    std::vector<Probe> probes(ms.size());
    Experiment e;
    e.file = file_;
    e.name = fmt::format("capacity-{}", name_);
    e.description = ms.size() == 1 ? "a capacity probe" : "capacity probes bisecting a bracket together";
    e.topology = file_;
    e.seed = o_.seed;
    std::vector<ExperimentPoint> points(ms.size());
    std::vector<size_t> open;  // probes still undecided, by index
    for (size_t i = 0; i < ms.size(); ++i) {
      Probe& p = probes[i];
      p.m = ms[i];
      p.folder = folder;
      ExperimentPoint& pt = points[i];
      pt.id = fmt::format("x{:.4g}", ms[i]);
      pt.topology = file_;
      for (const auto& s : o_.sets) pt.overrides.push_back(Override::of(s, "--set " + s));
      for (const auto& s : rung.reliefs) pt.overrides.push_back(Override::of(s, "capacity relief"));
      for (auto& ov : scaled(t, ms[i])) pt.overrides.push_back(ov);
      p.command = {"archsim", "run", file_};
      for (const auto& a : pt.assignments()) {
        p.command.push_back("--set");
        p.command.push_back(a);
      }
      p.command.push_back("--seed");
      p.command.push_back(std::to_string(o_.seed));
      try {
        p.offered_rps = offered(topology_at(t, rung.reliefs, ms[i]));
        open.push_back(i);
      } catch (const ConfigError& err) {
        // Scaled past what the topology accepts (cores beyond their limit): nothing to run.
        p.failed_run = true;
        p.why = std::string("the design at this multiplier is refused: ") + err.what();
      }
    }
    ExperimentOptions ro = o_.run;
    ro.out_dir = folder;
    for (int n = o_.min_replications; n <= o_.max_replications && !open.empty(); ++n) {
      e.points.clear();
      for (size_t i : open) e.points.push_back(points[i]);
      e.replications = n;
      ro.max_replications = n;
      if (run_experiment(e, ro) != 0) failed_runs_ = true;
      std::vector<size_t> still;
      for (size_t i : open)
        if (!decide(points[i].id, folder, n, probes[i])) still.push_back(i);
      open = std::move(still);
    }
    for (const auto& p : probes)
      fmt::print(stderr, "capacity {}: {} {}{}\n", name_, multiplier_text(p.m),
                 p.failed_run ? "cannot run" : p.holds ? "holds" : "does not hold", p.why.empty() ? "" : " (" + p.why + ")");
    return probes;
  }

  // Reads the n runs of a probe; true when they decide it (or no more runs would).
  bool decide(const std::string& id, const std::string& dir, int n, Probe& p) {
    std::vector<json> runs;
    for (int k = 1; k <= n; ++k) {
      std::ifstream in(fmt::format("{}/points/{}/r{}/summary.json", dir, id, k));
      if (!in) {
        std::ifstream err(fmt::format("{}/points/{}/r{}.stderr", dir, id, k));
        std::string line, first;
        while (std::getline(err, line))
          if (first.empty() || line.find("error") != std::string::npos) first = line;
        p.failed_run = true;
        p.holds = false;
        p.runs = n;
        p.why = fmt::format("replication {} did not finish: {}", k, first.empty() ? "no message" : first);
        return true;
      }
      runs.push_back(json::parse(in));
    }
    p.runs = n;
    p.why.clear();
    p.undecided = false;
    // The bottleneck most runs named, goodput and cost: means over the runs.
    std::map<std::pair<std::string, std::string>, int> votes;
    p.goodput_rps = 0;
    for (const auto& j : runs) {
      ++votes[{j["bottleneck"]["component"].get<std::string>(), j["bottleneck"]["resource"].get<std::string>()}];
      p.goodput_rps += j["throughput_rps"].get<double>() / n;
      if (j.contains("cost") && j["cost"].contains("monthly_usd")) p.monthly_usd = j["cost"]["monthly_usd"].get<double>();
    }
    auto best = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (const auto& j : runs)
      if (j["bottleneck"]["component"] == best->first.first && j["bottleneck"]["resource"] == best->first.second) {
        p.bottleneck = {best->first.first, best->first.second, j["bottleneck"]["evidence"].get<std::string>()};
        break;
      }
    // Not steady: the probe does not hold, whatever its percentiles.
    for (const auto& j : runs)
      if (!j["steady_state"]["steady"].get<bool>()) {
        p.holds = false;
        const json& reasons = j["steady_state"]["reasons"];
        p.why = "not steady: " + (reasons.empty() ? std::string("no reason given") : reasons[0]["why"].get<std::string>());
        return true;
      }
    p.values.clear();
    bool all_hold = true, any_fails = false;
    std::string fails, open;
    for (const auto& s : o_.slos) {
      std::vector<double> xs;
      bool missing = false;
      for (const auto& j : runs) {
        auto v = slo_value(s, j);
        if (v) xs.push_back(*v);
        else missing = true;
      }
      Estimate est = estimate(xs);
      p.values.push_back(est);
      if (missing) {
        any_fails = true;
        fails += fmt::format("{}{}: no completed request to measure", fails.empty() ? "" : "; ", s.text);
        continue;
      }
      double hw = est.ci95_half_width.value_or(0);
      double worst = s.at_most ? est.mean + hw : est.mean - hw, best_case = s.at_most ? est.mean - hw : est.mean + hw;
      bool holds = s.at_most ? worst <= s.limit : worst >= s.limit;
      bool fails_surely = s.at_most ? best_case > s.limit : best_case < s.limit;
      std::string value = slo_number(s, est.mean) + (est.ci95_half_width ? " ± " + slo_number(s, hw) : "");
      std::string lhs = s.text.substr(0, s.text.find(s.at_most ? "<=" : ">="));
      if (fails_surely) {
        any_fails = true;
        fails += fmt::format("{}{} {} {} {}", fails.empty() ? "" : "; ", lhs, value, s.at_most ? ">" : "<",
                             slo_number(s, s.limit));
      } else if (!holds) {
        all_hold = false;
        open += fmt::format("{}{} {} straddles {}", open.empty() ? "" : "; ", lhs, value, slo_number(s, s.limit));
      }
    }
    if (any_fails) {
      p.holds = false;
      p.why = fails;
      return true;
    }
    if (all_hold) {
      p.holds = true;
      return true;
    }
    p.holds = false;
    p.undecided = n >= o_.max_replications;
    p.why = fmt::format("undecided after {} replications: {}", n, open);
    return p.undecided;
  }

  // Where the analytic view puts the first saturation, as a multiplier. Every client's load scaled
  // alike: the model's saturating client rate over the offered rate, exactly. Otherwise (some
  // clients, or a value other than load): the multiplier at which the model, rebuilt at each m,
  // is at rho = 1, bisected to 0.1%.
  void analytic_knee(Rung& rung) const {
    const Topology base_topology = topology_of(rung.reliefs);
    auto at = [&](double m) {
      Topology t = topology_at(base_topology, rung.reliefs, m);
      return std::make_pair(analyze_topology(t), offered(t));
    };
    auto [model, base] = at(1);
    if (o_.scale.empty()) {
      if (model.saturation_client_rate > 0 && base > 0) rung.analytic_multiplier = model.saturation_client_rate / base;
    } else if (model.saturation_client_rate > 0 && base > 0) {
      // The model's own headroom at m: > 1 below the saturation, < 1 beyond it.
      auto headroom = [&](double m) {
        auto [mm, off] = at(m);
        return mm.saturation_client_rate > 0 && off > 0 ? mm.saturation_client_rate / off : 1e9;
      };
      double lo = 1.0 / 64, hi = o_.max_multiplier * 2;
      try {
        if (headroom(lo) < 1 || headroom(hi) >= 1) {
          rung.analytic_multiplier = 0;  // saturated at any scale, or never within reach
        } else {
          while (hi / lo > 1.001) {
            double mid = std::sqrt(lo * hi);
            (headroom(mid) >= 1 ? lo : hi) = mid;
          }
          rung.analytic_multiplier = std::sqrt(lo * hi);
          model = at(rung.analytic_multiplier).first;
        }
      } catch (const ConfigError& err) {
        // A scaled value the topology refuses somewhere in the range (cores past their limit):
        // the probes there say so when they run; the model has no answer to give.
        rung.analytic_multiplier = 0;
        rung.analytic = std::string("not computed: the design cannot be rebuilt across the range: ") + err.what();
        return;
      }
    }
    if (rung.analytic_multiplier > 0)
      rung.analytic = fmt::format("{} {} saturates (rho = 1) at {}", model.saturates_component, model.saturates_resource,
                                  multiplier_text(rung.analytic_multiplier));
  }

  // Brackets by doubling (or halving) from `start`, then bisects geometrically.
  void search(Rung& rung, int step, double start) {
    Topology t = topology_of(rung.reliefs);
    validate_topology(t);
    analytic_knee(rung);
    auto round4 = [](double m) { return std::stod(fmt::format("{:.4g}", m)); };
    // A probe whose run did not finish (refused by the run's cost guard, or crashed) says nothing
    // about the SLOs: the search stops there and says why, rather than count it as a failure.
    auto run_at = [&](double m) {
      rung.probes.push_back(probe(rung, step, m));
      size_t i = rung.probes.size() - 1;
      if (rung.probes[i].failed_run) stop_at_unrun(rung, i);
      return i;
    };
    constexpr double kMin = 1.0 / 64;
    // A rung after a relief starts just below where the analytic view now puts the saturation, when
    // that is beyond the old wall: the bracket then usually closes in two probes.
    if (step > 0 && rung.analytic_multiplier > start) start = std::max(start, rung.analytic_multiplier * (1 - 2 * o_.precision));
    size_t first = run_at(round4(start));
    if (rung.unrun) return;
    if (rung.probes[first].holds) {
      rung.lo = first;
      double m = rung.probes[first].m;
      while (!rung.hi) {
        if (m >= o_.max_multiplier) {
          rung.note = fmt::format("every SLO holds up to the search's maximum, {} (--max)", multiplier_text(m));
          return;
        }
        // Doubling, unless the analytic view puts a saturation nearer: probe there first, so the
        // bracket closes without runs far into overload (the simulation still decides).
        double next = m * 2;
        if (rung.analytic_multiplier > m * 1.01 && rung.analytic_multiplier < next) next = rung.analytic_multiplier;
        m = round4(std::min(next, o_.max_multiplier));
        size_t i = run_at(m);
        if (rung.unrun) return;
        (rung.probes[i].holds ? rung.lo : rung.hi) = i;
      }
    } else {
      rung.hi = first;
      double m = rung.probes[first].m;
      while (!rung.lo) {
        if (m <= kMin) {
          rung.note = fmt::format("no load meets the SLOs, down to {}: {}", multiplier_text(m), rung.probes[*rung.hi].why);
          return;
        }
        m = round4(m / 2);
        size_t i = run_at(m);
        if (rung.unrun) return;
        (rung.probes[i].holds ? rung.lo : rung.hi) = i;
      }
    }
    while (rung.probes[*rung.hi].m / rung.probes[*rung.lo].m > 1 + o_.precision) {
      const double lo = rung.probes[*rung.lo].m, hi = rung.probes[*rung.hi].m;
      if (o_.parallel_probes > 1) {
        if (!bisect_together(rung, step, lo, hi, round4)) break;
        continue;
      }
      double mid = round4(std::sqrt(lo * hi));
      if (mid <= lo || mid >= hi) break;  // at 4 significant digits
      size_t i = run_at(mid);
      if (rung.unrun) {
        // The bracket stands; its upper end is the last probe that ran and failed the SLOs.
        break;
      }
      if (rung.probes[i].undecided) {
        // The SLO's metric is within its interval of the limit here: the knee is about mid, and more
        // bisection would only chase noise.
        rung.near = i;
        break;
      }
      (rung.probes[i].holds ? rung.lo : rung.hi) = i;
    }
  }

  // Probe i of the rung could not run: the search stops, the note says what is known, and the exit
  // code says the search is incomplete.
  void stop_at_unrun(Rung& rung, size_t i) {
    failed_runs_ = true;
    rung.unrun = i;
    std::string known = rung.lo && rung.hi ? fmt::format("the bisection stops at [{}, {})",
                                                         multiplier_text(rung.probes[*rung.lo].m),
                                                         multiplier_text(rung.probes[*rung.hi].m))
                        : rung.lo ? "nothing is known beyond " + multiplier_text(rung.probes[*rung.lo].m)
                                  : "nothing is known";
    rung.note = fmt::format("the probe at {} could not run, so {}: {}", multiplier_text(rung.probes[i].m), known,
                            rung.probes[i].why);
  }

  // One round of `--parallel-probes K`: K probes splitting [lo, hi) into K + 1 geometrically equal
  // parts, run together (rung<k>/x<lo>-x<hi>/). The new bracket is the lowest probe that fails
  // and the highest below it that holds, as K rounds of bisection would find on a monotone
  // design; an undecided probe first met ends the search as one does in bisection, and so does
  // one that cannot run. Returns false when the search ends.
  template <typename Round>
  bool bisect_together(Rung& rung, int step, double lo, double hi, const Round& round4) {
    std::vector<double> ms;
    for (int j = 1; j <= o_.parallel_probes; ++j) {
      double m = round4(lo * std::pow(hi / lo, static_cast<double>(j) / (o_.parallel_probes + 1)));
      if (m > lo && m < hi && (ms.empty() || m > ms.back())) ms.push_back(m);
    }
    if (ms.empty()) return false;  // at 4 significant digits
    std::vector<Probe> batch =
        probes_at(rung, ms, fmt::format("{}/rung{}/x{:.4g}-x{:.4g}", out_, step + 1, lo, hi));
    size_t first = rung.probes.size();
    for (auto& p : batch) rung.probes.push_back(std::move(p));
    for (size_t i = first; i < rung.probes.size(); ++i) {
      const Probe& p = rung.probes[i];
      if (p.failed_run) {
        stop_at_unrun(rung, i);
        return false;
      }
      if (p.holds) {
        rung.lo = i;
        continue;
      }
      if (p.undecided) {
        rung.near = i;
        return false;
      }
      rung.hi = i;
      return true;
    }
    return true;
  }

  // The relief of the wall at the rung's hi probe: `path=value` and its words. The rule: double
  // what the bottleneck verdict names. A component: its replicas; a sharded database or cache:
  // its shards; a queue's consumers: the consumers (and partitions, when ordered); a pool in
  // contention: the pool; a region link: its bandwidth. A replicated store has no such step.
  std::optional<std::pair<std::string, std::string>> relief_for(const Rung& r, std::string* why) const {
    const Probe& hi = r.probes[*r.hi];
    const Verdict& v = hi.bottleneck;
    Topology t = topology_of(r.reliefs);
    if (v.resource == "none" || v.component.empty()) {
      *why = fmt::format("at {} the SLOs fail ({}) with no resource saturated: a latency floor of the design, not a "
                         "capacity wall; no relief rule applies",
                         multiplier_text(hi.m), hi.why);
      return std::nullopt;
    }
    if (v.resource == "network" && v.component.find("<->") != std::string::npos) {
      for (size_t i = 0; i < t.network.links.size(); ++i) {
        const RegionLink& l = t.network.links[i];
        if (l.a + "<->" + l.b == v.component || l.b + "<->" + l.a == v.component)
          return std::pair{fmt::format("network.links.{}.bandwidth={:g}bps", i, 2 * l.bandwidth),
                           fmt::format("link {} bandwidth x2", v.component)};
      }
    }
    const Component* c = t.find(v.component);
    if (!c) {
      *why = fmt::format("the wall at {} is {} {}, which no relief rule knows", multiplier_text(hi.m), v.component,
                         v.resource);
      return std::nullopt;
    }
    std::string kind = c->kind->name(), at = "components." + c->name + ".";
    if (kind == "replicated_store") {
      *why = fmt::format("the wall at {} is the replicated store {} ({}): its replicas are copies that every write "
                         "reaches, so no replica count relieves it; change the design (shard the keyspace, faster "
                         "log disks)",
                         multiplier_text(hi.m), c->name, v.resource);
      return std::nullopt;
    }
    if (v.resource == "consumers") {
      int64_t n = c->queue_spec.consumers * 2;
      std::string text = fmt::format("{} consumers {} -> {}", c->name, c->queue_spec.consumers, n);
      if (c->queue_spec.ordered && c->queue_spec.partitions < n)
        return std::pair{fmt::format("{}consumers={}", at, n), text + " (its partitions bound them: raise partitions too)"};
      return std::pair{fmt::format("{}consumers={}", at, n), text};
    }
    if (v.resource == "contention" && c->workers > 0) {
      std::string param = kind == "database" ? "max_connections" : "workers";
      return std::pair{fmt::format("{}{}={}", at, param, c->workers * 2),
                       fmt::format("{} {} {} -> {}", c->name, param, c->workers, c->workers * 2)};
    }
    if ((kind == "database" || kind == "cache") && c->shards > 0)
      return std::pair{fmt::format("{}shards={}", at, c->shards * 2),
                       fmt::format("{} shards {} -> {}", c->name, c->shards, c->shards * 2)};
    return std::pair{fmt::format("{}replicas={}", at, c->replicas * 2),
                     fmt::format("{} replicas {} -> {}", c->name, c->replicas, c->replicas * 2)};
  }

  // "1.07x [1.06x, 1.08x)": the highest multiplier that holds, and the bracket the knee is in; with
  // a probe inside it whose SLO is within noise of its limit, "~1.07x [...]" around that probe.
  static std::string knee_text(const Rung& r) {
    if (r.lo && r.hi) {
      double k = r.near ? r.probes[*r.near].m : r.probes[*r.lo].m;
      return fmt::format("{}{} [{}, {})", r.near ? "~" : "", multiplier_text(k), multiplier_text(r.probes[*r.lo].m),
                         multiplier_text(r.probes[*r.hi].m));
    }
    if (r.unrun) {
      std::string unrun = fmt::format("{} did not run", multiplier_text(r.probes[*r.unrun].m));
      return r.lo ? fmt::format(">= {} ({})", multiplier_text(r.probes[*r.lo].m), unrun) : "not found (" + unrun + ")";
    }
    if (r.lo) return fmt::format(">= {}", multiplier_text(r.probes[*r.lo].m));
    return "< 1/64x";
  }

  std::string wall_text(const Rung& r) const {
    if (!r.hi) return "none";
    const Verdict& v = r.probes[*r.hi].bottleneck;
    return v.component.empty() || v.resource == "none" ? "no saturated resource" : v.component + " " + v.resource;
  }

  ordered_json probe_json(const Probe& p) const {
    ordered_json j;
    j["multiplier"] = p.m;
    j["offered_rps"] = p.offered_rps;
    j["goodput_rps"] = p.goodput_rps;
    j["replications"] = p.runs;
    j["holds"] = p.holds;
    if (p.undecided) j["undecided"] = true;
    if (p.failed_run) j["failed_run"] = true;
    if (!p.why.empty()) j["why"] = p.why;
    ordered_json slos = ordered_json::array();
    for (size_t i = 0; i < p.values.size() && i < o_.slos.size(); ++i) {
      ordered_json s{{"slo", o_.slos[i].text}, {"mean", p.values[i].mean}};
      if (p.values[i].ci95_half_width) s["ci95_half_width"] = *p.values[i].ci95_half_width;
      slos.push_back(s);
    }
    j["slos"] = slos;
    j["bottleneck"] = {{"component", p.bottleneck.component}, {"resource", p.bottleneck.resource},
                       {"evidence", p.bottleneck.evidence}};
    if (p.monthly_usd) j["monthly_usd"] = *p.monthly_usd;
    j["folder"] = p.folder;
    j["command"] = command_line(p.command);
    return j;
  }

  void write() const {
    ordered_json j;
    j["topology"] = name_;
    j["file"] = file_;
    ordered_json slos = ordered_json::array();
    for (const auto& s : o_.slos) slos.push_back(s.text);
    j["slos"] = slos;
    ordered_json scale = ordered_json::array();
    if (o_.scale.empty())
      for (const auto& c : clients_) scale.push_back({{"client", c}});
    else {
      for (const auto& c : clients_) scale.push_back({{"client", c}});
      for (const auto& v : paths_)
        scale.push_back({{"path", v.path}, {"at_1x", v.integral ? fmt::format("{}", std::llround(v.base))
                                                                 : fmt::format("{:.9g}{}", v.base, v.unit)},
                         {"where", v.where}});
    }
    j["scale"] = scale;
    j["precision"] = o_.precision;
    j["replications"] = {{"min", o_.min_replications}, {"max", o_.max_replications}};
    j["relief_rule"] = kReliefRule;
    ordered_json rungs = ordered_json::array();
    std::string ladder;
    for (const auto& r : rungs_) {
      ordered_json rj;
      rj["relief"] = r.relief_text.empty() ? "the design as given" : r.relief_text;
      rj["sets"] = r.reliefs;
      if (r.lo) {
        rj["knee"] = {{"holds_at", r.probes[*r.lo].m}, {"fails_at", r.hi ? json(r.probes[*r.hi].m) : json()}};
        if (r.near) rj["knee"]["within_noise_at"] = r.probes[*r.near].m;
        rj["knee"]["text"] = knee_text(r);
      }
      if (r.lo && r.hi) {
        const Probe& hi = r.probes[*r.hi];
        rj["wall"] = {{"component", hi.bottleneck.component}, {"resource", hi.bottleneck.resource},
                      {"evidence", hi.bottleneck.evidence}, {"why", hi.why}};
      }
      if (r.analytic_multiplier > 0)
        rj["analytic"] = {{"saturates", r.analytic}, {"multiplier", r.analytic_multiplier}};
      if (!r.note.empty()) rj["note"] = r.note;
      if (r.lo && r.probes[*r.lo].monthly_usd) rj["monthly_usd"] = *r.probes[*r.lo].monthly_usd;
      ordered_json probes = ordered_json::array();
      for (const auto& p : r.probes) probes.push_back(probe_json(p));
      rj["probes"] = probes;
      rungs.push_back(rj);
      if (!ladder.empty()) ladder += " -> " + r.relief_text + " -> ";
      ladder += r.lo && r.hi ? fmt::format("{}{} {}", r.near ? "~" : "", multiplier_text(r.near ? r.probes[*r.near].m : r.probes[*r.lo].m), wall_text(r))
                : r.unrun        ? knee_text(r)
                : r.lo           ? fmt::format("beyond {}", multiplier_text(r.probes[*r.lo].m))
                                 : "below 1/64x";
    }
    j["rungs"] = rungs;
    j["ladder"] = ladder;
    std::ofstream(out_ + "/capacity.json") << j.dump(2) << "\n";
    if (o_.json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << text(ladder) << std::flush;
    int rc = run_plot_script("capacity.py", {out_});
    if (rc != 0) fmt::print(stderr, "capacity {}: the figure was not drawn (plots/capacity.py exited {})\n", name_, rc);
  }

  std::string text(const std::string& ladder) const {
    std::string slos;
    for (const auto& s : o_.slos) slos += (slos.empty() ? "" : ", ") + s.text;
    std::string out = fmt::format("capacity of {} under {} ({} to {} replications per probe, precision {:g}%)\n",
                                  name_, slos, o_.min_replications, o_.max_replications, 100 * o_.precision);
    out += fmt::format("the multiplier scales {}\n\n", scale_text());
    out += fmt::format("{:<4} {:<28} {:<28} {:>10}  {:<24} {:>9}\n", "rung", "design", "knee (load x) [bracket)",
                       "offered/s", "first wall", "$/month");
    for (size_t i = 0; i < rungs_.size(); ++i) {
      const Rung& r = rungs_[i];
      std::string knee = knee_text(r);
      std::string cost = r.lo && r.probes[*r.lo].monthly_usd ? fmt::format("{:.0f}", *r.probes[*r.lo].monthly_usd) : "-";
      out += fmt::format("{:<4} {:<28} {:<28} {:>10}  {:<24} {:>9}\n", i + 1,
                         r.relief_text.empty() ? "as given" : r.relief_text, knee,
                         r.lo ? format_rate(r.probes[r.near ? *r.near : *r.lo].offered_rps) : "-", wall_text(r), cost);
    }
    out += "\nladder: " + ladder + "\n";
    for (size_t i = 0; i < rungs_.size(); ++i) {
      const Rung& r = rungs_[i];
      out += fmt::format("\nrung {}:\n", i + 1);
      if (r.hi) {
        const Probe& hi = r.probes[*r.hi];
        out += fmt::format("  at {} ({} offered): {}\n", multiplier_text(hi.m), format_rate(hi.offered_rps), hi.why);
        if (!hi.bottleneck.evidence.empty()) out += fmt::format("  bottleneck: {}\n", hi.bottleneck.evidence);
      }
      if (r.near) {
        const Probe& nr = r.probes[*r.near];
        out += fmt::format("  at {} ({} offered): {}\n", multiplier_text(nr.m), format_rate(nr.offered_rps), nr.why);
      }
      if (r.lo) {
        const Probe& lo = r.probes[*r.lo];
        std::string values;
        for (size_t k = 0; k < lo.values.size(); ++k)
          values += fmt::format("{}{} {}{}", values.empty() ? "" : ", ",
                                o_.slos[k].text.substr(0, o_.slos[k].text.find(o_.slos[k].at_most ? "<=" : ">=")),
                                slo_number(o_.slos[k], lo.values[k].mean),
                                lo.values[k].ci95_half_width ? " ± " + slo_number(o_.slos[k], *lo.values[k].ci95_half_width) : "");
        out += fmt::format("  at {} every SLO holds ({}; {} replications; goodput {})\n", multiplier_text(lo.m), values,
                           lo.runs, format_rate(lo.goodput_rps));
        out += "  reproduce: " + command_line(lo.command) + "\n";
      }
      out += fmt::format("  analytic view: {}\n", r.analytic.empty() ? "no resource saturates" : r.analytic);
      if (!r.note.empty()) out += "  stopped: " + r.note + "\n";
    }
    out += fmt::format("\nrelief rule: {}\nprobes: {}/rung<k>/x<multiplier>/ (capacity.json)\n", kReliefRule, out_);
    return out;
  }

  static constexpr const char* kReliefRule =
      "double what the wall's bottleneck verdict names: a component's replicas (a sharded database or cache: its "
      "shards; a queue's consumer group: its consumers; a worker or connection pool in contention: the pool); a "
      "region link: its bandwidth";

  std::string file_, name_, out_;
  CapacityOptions o_;
  std::vector<std::string> clients_;  // whose load the multiplier scales
  std::vector<ScaledValue> paths_;    // `--scale` paths the multiplier scales
  std::vector<Rung> rungs_;
  bool failed_runs_ = false;
};

}  // namespace

int run_capacity(const std::string& file, const CapacityOptions& options) {
  if (options.slos.empty()) throw ConfigError("capacity: error: give at least one --slo, e.g. --slo 'p99<=50ms'");
  if (options.min_replications > options.max_replications)
    throw ConfigError("capacity: error: --min-replications must not exceed --max-replications");
  CapacitySearch search(file, options);
  return search.run();
}

}  // namespace archsim
