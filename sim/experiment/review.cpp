#include "sim/experiment/review.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "models/common/kind.hpp"
#include "sim/analysis/estimate.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/validate.hpp"
#include "sim/experiment/failures.hpp"
#include "sim/experiment/slurm.hpp"
#include "sim/report/design_graph.hpp"
#include "sim/report/output_dir.hpp"

extern char** environ;

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// The report as sections of paragraphs and tables, rendered once as Markdown and once as HTML.

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

struct Block {
  std::string text;  // a paragraph; empty for a table or the picture
  std::optional<Table> table;
  bool picture = false;
};

struct Section {
  std::string title;
  std::vector<Block> blocks;
  std::vector<std::string> commands;  // what reproduces the section's numbers
  Section& say(std::string s) {
    blocks.push_back({std::move(s), std::nullopt, false});
    return *this;
  }
  Section& add(Table t) {
    blocks.push_back({"", std::move(t), false});
    return *this;
  }
};

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string markdown(const std::string& title, const std::vector<Section>& sections) {
  std::string out = "# " + title + "\n";
  for (const auto& s : sections) {
    out += "\n## " + s.title + "\n\n";
    for (const auto& b : s.blocks) {
      if (b.picture) out += "![the design](design.svg)\n\n";
      else if (b.table) {
        std::string head = "|", rule = "|";
        for (const auto& c : b.table->columns) head += " " + md_cell(c) + " |", rule += "---|";
        out += head + "\n" + rule + "\n";
        for (const auto& r : b.table->rows) {
          out += "|";
          for (const auto& c : r) out += " " + md_cell(c) + " |";
          out += "\n";
        }
        out += "\n";
      } else out += b.text + "\n\n";
    }
    out += "Reproduce:\n\n```\n";
    for (const auto& c : s.commands) out += c + "\n";
    out += "```\n";
  }
  return out;
}

// The SVG file's <svg> element, for inlining (its XML prologue and DOCTYPE dropped).
std::string inline_svg(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  size_t at = s.find("<svg");
  return at == std::string::npos ? "" : s.substr(at);
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}"
    "th{background:#eee}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}.design svg{max-width:100%;height:auto}";

std::string html(const std::string& title, const std::vector<Section>& sections, const std::string& svg) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                    "</title><style>" + kStyle + "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n";
  for (const auto& s : sections) {
    out += "<h2>" + html_escape(s.title) + "</h2>\n";
    for (const auto& b : s.blocks) {
      if (b.picture) out += "<div class=\"design\">" + svg + "</div>\n";
      else if (b.table) {
        out += "<table><tr>";
        for (const auto& c : b.table->columns) out += "<th>" + html_escape(c) + "</th>";
        out += "</tr>\n";
        for (const auto& r : b.table->rows) {
          out += "<tr>";
          for (const auto& c : r) out += "<td>" + html_escape(c) + "</td>";
          out += "</tr>\n";
        }
        out += "</table>\n";
      } else out += "<p>" + html_escape(b.text) + "</p>\n";
    }
    out += "<p>Reproduce:</p>\n<pre>";
    for (const auto& c : s.commands) out += html_escape(c) + "\n";
    out += "</pre>\n";
  }
  return out + "</body></html>\n";
}

// ---------------------------------------------------------------------------------------------
// Numbers, formatted once (tests/review_test.cpp formats them the same way).

std::string ms(double v) { return fmt::format("{:.4g} ms", v); }
std::string pct(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }
std::string avail(double fraction) { return fmt::format("{:.3f}%", 100 * fraction); }
std::string rate(double per_s) { return fmt::format("{:.1f}/s", per_s); }
std::string signed_num(double v, const char* unit) { return fmt::format("{:+.4g}{}", v, unit); }

const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return nullptr;
    p = &(*p)[k];
  }
  return p;
}
std::optional<double> number(const json& j, std::initializer_list<const char*> path) {
  const json* p = at(j, path);
  return p && p->is_number() ? std::optional<double>(p->get<double>()) : std::nullopt;
}
std::string text_at(const json& j, std::initializer_list<const char*> path) {
  const json* p = at(j, path);
  return p && p->is_string() ? p->get<std::string>() : "";
}
std::string or_dash(std::optional<double> v, std::string (*f)(double)) { return v ? f(*v) : "-"; }
std::string ms_or_none(std::optional<double> v) { return v ? ms(*v) : "- (none completed)"; }

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return json::parse(in);
}

// Successful / attempted over the measured window: the summary's own figure, else its counts.
std::optional<double> availability_of(const json& s) {
  if (auto a = number(s, {"availability", "availability"})) return a;
  auto ok = number(s, {"requests", "completed"}), failed = number(s, {"requests", "failed"});
  if (!ok || !failed || *ok + *failed <= 0) return std::nullopt;
  return *ok / (*ok + *failed);
}

// A latency statistic of the completed requests; nullopt when none completed (the summary's 0 is
// then no latency at all).
std::optional<double> latency(const json& s, const char* stat) {
  auto count = number(s, {"latency_ms", "count"});
  if (count && *count == 0) return std::nullopt;
  return number(s, {"latency_ms", stat});
}

std::string verdict_of(const json& s) {
  std::string c = text_at(s, {"bottleneck", "component"}), r = text_at(s, {"bottleneck", "resource"});
  return c.empty() ? "none" : c + " " + r;
}

std::string self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the archsim binary (/proc/self/exe)");
  return p.string();
}

// Runs `argv` (argv[0] a path) with stdout discarded and stderr into `err_path`; its exit status.
int spawn_and_wait(const std::vector<std::string>& argv, const std::string& err_path) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------------------------------------
// The seed's constraint mutations, made from the loaded topology.

struct Mutation {
  std::string id;       // the experiment point's folder
  std::string what;     // what it changes, with the numbers
  std::vector<std::string> sets;
  std::string skipped;  // why it does not apply; empty = it runs
  std::string topology; // a topology of its own (extending the design); empty = the design's
};

std::string weight_set(const Component& c, const RequestType& r, double w) {
  return fmt::format("components.{}.requests.{}.weight={:.9g}", c.name, r.name, w);
}

// Writes x100, reads unchanged: a client's rate grows by (reads + 100 writes) / (reads + writes)
// and its weights (normalised by the loader) follow.
Mutation write_volume_x100(const Topology& t) {
  Mutation m{"write-volume-x100", "", {}, "", ""};
  double before = 0, after = 0;
  for (const auto& c : t.components) {
    if (!c.kind->traits().client) continue;
    double ww = 0;
    for (const auto& r : c.requests)
      if (r.op == Op::Write) ww += r.weight;
    if (ww == 0) continue;
    double scale = (1 - ww) + 100 * ww;
    if (c.arrival.process == ArrivalSpec::Process::Trace) continue;
    if (c.arrival.process == ArrivalSpec::Process::Closed)
      m.sets.push_back(fmt::format("components.{}.arrival.users={}", c.name,
                                   std::max<int64_t>(1, std::llround(c.arrival.users * scale))));
    else {
      m.sets.push_back(fmt::format("components.{}.arrival.rate={:.9g}/s", c.name, c.arrival.rate * scale));
      before += c.arrival.rate;
      after += c.arrival.rate * scale;
    }
    for (const auto& r : c.requests) m.sets.push_back(weight_set(c, r, r.weight * (r.op == Op::Write ? 100 : 1) / scale));
  }
  if (m.sets.empty()) m.skipped = "no client sends a request type with `op: write` at a rate it can scale";
  else m.what = fmt::format("write-op request types x100, reads unchanged: the clients' open-loop rate {} -> {}",
                            rate(before), rate(after));
  return m;
}

// The read and write shares of every client swapped, its rate unchanged.
Mutation mix_reversed(const Topology& t) {
  Mutation m{"read-write-reversed", "", {}, "", ""};
  std::string shares;
  for (const auto& c : t.components) {
    if (!c.kind->traits().client) continue;
    double ww = 0;
    for (const auto& r : c.requests)
      if (r.op == Op::Write) ww += r.weight;
    if (ww == 0 || ww == 1) continue;
    for (const auto& r : c.requests)
      m.sets.push_back(weight_set(c, r, r.op == Op::Write ? r.weight * (1 - ww) / ww : r.weight * ww / (1 - ww)));
    shares += fmt::format("{}{}: writes {} -> {}", shares.empty() ? "" : "; ", c.name, pct(ww), pct(1 - ww));
  }
  if (m.sets.empty()) m.skipped = "no client sends both reads and `op: write` request types";
  else m.what = "read and write weights swapped (" + shares + ")";
  return m;
}

Mutation rtt_800ms(const Topology& t) {
  Mutation m{"cross-region-rtt-800ms", "", {}, "", ""};
  std::string was;
  for (size_t i = 0; i < t.network.links.size(); ++i) {
    const RegionLink& l = t.network.links[i];
    m.sets.push_back(fmt::format("network.links.{}.rtt=800ms", i));
    was += fmt::format("{}{}-{} {}", was.empty() ? "" : ", ", l.a, l.b, ms(l.rtt * 1e3));
  }
  if (m.sets.empty()) m.skipped = "the design declares no links between regions (network.links)";
  else m.what = "every region link's rtt to 800 ms (was " + was + ")";
  return m;
}

// Each component's cut is checked alone: one the topology refuses (a replicated store's replicas
// are its regions) is left as it is and named.
Mutation budget_cut_80(const Topology& t, const std::string& file, const std::vector<std::string>& sets) {
  Mutation m{"budget-cut-80", "", {}, "", ""};
  std::string changed, kept;
  for (const auto& c : t.components) {
    if (c.kind->traits().client || c.kind->traits().single_node) continue;
    int64_t n = std::max<int64_t>(1, std::llround(c.replicas * 0.2));
    if (n == c.replicas) continue;
    // The replicas each loaded with `cut` applied, or -1 when the topology refuses it.
    auto loaded_with = [&](const std::vector<std::string>& cut) -> int64_t {
      std::vector<std::string> all = sets;
      all.insert(all.end(), cut.begin(), cut.end());
      try {
        Topology t2 = load_topology(file, all);
        validate_topology(t2);
        return t2.find(c.name)->replicas;
      } catch (const ConfigError&) {
        return -1;
      }
    };
    std::vector<std::string> cut{fmt::format("components.{}.replicas={}", c.name, n)};
    std::string how = fmt::format("{} {} -> {}", c.name, c.replicas, n);
    int64_t loaded = loaded_with(cut);
    if (loaded != n && (c.shards > 0 || c.db.read_replicas > 0)) {
      // A sharded or replicated database's (or sharded cache's) nodes follow from its shards and
      // read replicas: cut those by the same factor.
      cut.clear();
      std::vector<std::string> parts;
      if (c.shards > 0) {
        int64_t s = std::max<int64_t>(1, std::llround(c.shards * 0.2));
        cut.push_back(fmt::format("components.{}.shards={}", c.name, s));
        parts.push_back(fmt::format("shards {} -> {}", c.shards, s));
      }
      if (c.db.read_replicas > 0) {
        int64_t r = std::llround(c.db.read_replicas * 0.2);
        cut.push_back(fmt::format("components.{}.read_replicas={}", c.name, r));
        parts.push_back(fmt::format("read replicas {} -> {}", c.db.read_replicas, r));
      }
      loaded = loaded_with(cut);
      how = fmt::format("{} {} (nodes {} -> {})", c.name, fmt::join(parts, ", "), c.replicas, loaded);
      if (loaded < 1 || loaded >= c.replicas) loaded = -1;
      else n = loaded;
    }
    // Refused, or loaded with other replicas than asked: kept as it is.
    if (loaded != n) {
      kept += fmt::format("{}{}", kept.empty() ? "" : ", ", c.name);
      continue;
    }
    m.sets.insert(m.sets.end(), cut.begin(), cut.end());
    changed += fmt::format("{}{}", changed.empty() ? "" : ", ", how);
  }
  if (m.sets.empty()) m.skipped = "no component's replicas can be cut: every one already runs on one replica, the fewest x0.2 leaves" +
                                  (kept.empty() ? std::string() : ", or keeps its replicas when told `replicas: N` (" + kept + ")");
  else m.what = "replicas x0.2, at least 1: " + changed + (kept.empty() ? "" : "; kept as they are (the topology refuses `replicas: N` for them, or derives their replicas otherwise): " + kept);
  return m;
}

// The stores come from the simulated run's summary (`stores.<name>.consistency`). An ap store's
// own keys (quorum, conflict, ...) are refused on a cp store, and `--set` cannot remove a key: the
// mutation is a topology of its own in `dir`, extending the design, with `consistency: cp` and
// `key: ~` for each key the store gives that its kind declares for `consistency: ap` only
// (ParamDecl::applies_when).
Mutation stricter_consistency(const json& summary, const Topology& t, const std::string& file,
                              const std::vector<std::string>& sets, const std::string& dir) {
  Mutation m{"stricter-consistency", "", {}, "", ""};
  const json* stores = at(summary, {"stores"});
  std::map<std::string, std::vector<std::string>> removed;  // by store
  if (stores && stores->is_object())
    for (const auto& [name, s] : stores->items())
      if (text_at(s, {"consistency"}) == "ap") removed[name];
  if (!stores || stores->empty()) m.skipped = "the design has no replicated_store";
  else if (removed.empty()) m.skipped = "every replicated store is already cp";
  if (!m.skipped.empty()) return m;
  for (auto& [name, keys] : removed) {
    const Component* c = t.find(name);
    if (!c) continue;
    std::vector<std::string> written = component_keys(file, sets, name);
    for (const auto& d : c->kind->params().decls())
      if (d.applies_when == "consistency: ap" && std::find(written.begin(), written.end(), d.key) != written.end())
        keys.push_back(d.key);
  }
  m.topology = dir + "/stricter-consistency.yaml";
  std::string text = fmt::format("# {}, its replicated stores cp\nextends: {}\ncomponents:\n", file,
                                 fs::absolute(file).string());
  for (const auto& [name, keys] : removed) {
    text += fmt::format("  {}:\n    consistency: cp\n", name);
    for (const auto& k : keys) text += fmt::format("    {}: ~\n", k);
  }
  std::ofstream(m.topology) << text;
  std::string names;
  for (const auto& [name, keys] : removed) {
    names += fmt::format("{}{}", names.empty() ? "" : "; ", name);
    if (!keys.empty()) {
      std::string ks;
      for (const auto& k : keys) ks += (ks.empty() ? "" : ", ") + k;
      names += " (without its ap-only " + ks + ")";
    }
  }
  m.what = "replicated stores ap -> cp: " + names + ", as " + m.topology;
  return m;
}

// ---------------------------------------------------------------------------------------------

class Review {
 public:
  Review(const std::string& file, const ReviewOptions& o) : file_(file), o_(o), t_(load_topology(file, o.sets)) {
    validate_topology(t_);
    check_clients();
    out_ = o.run.out_dir.empty() ? "results/review-" + t_.name : o.run.out_dir;
    check_output_dir(out_, "review --out");
    slos_ = o.slos;
  }

  int run() {
    make_output_dir(out_, "review --out");
    bool ran = run_design();
    draw_design();
    if (!ran) return kSomeRunsFailed;
    if (slos_.empty()) {
      double p99 = latency(summary_, "p99").value_or(1);
      slos_.push_back(parse_slo(fmt::format("p99<={}ms", std::max(1.0, std::ceil(10 * p99)))));
      slo_chosen_ = true;
    }
    CapacityOptions co;
    co.slos = slos_;
    co.sets = o_.sets;
    co.steps = o_.steps;
    co.precision = o_.precision;
    co.seed = o_.seed;
    co.run = o_.run;
    co.run.out_dir = out_ + "/capacity";
    capacity_rc_ = run_capacity(file_, co);
    FailureOptions fo;
    fo.sets = o_.sets;
    fo.seed = o_.seed;
    fo.run = o_.run;
    fo.run.out_dir = out_ + "/failures";
    failures_rc_ = run_failures(file_, fo);
    mutations_rc_ = run_mutations();
    write();
    return capacity_rc_ || failures_rc_ || mutations_rc_ ? kSomeRunsFailed : 0;
  }

 private:
  // What the capacity ladder would refuse, refused before anything runs.
  void check_clients() const {
    bool any = false;
    for (const auto& c : t_.components) {
      if (!c.kind->traits().client) continue;
      any = true;
      if (c.arrival.process == ArrivalSpec::Process::Trace)
        throw ConfigError(fmt::format("{}:{}:{}: error: client '{}' replays a trace, whose rate the capacity ladder "
                                      "cannot scale; give it a poisson or constant arrival to review the design",
                                      file_, c.arrival.loc.line, c.arrival.loc.col, c.name));
    }
    if (!any) throw ConfigError(fmt::format("{}: error: the topology has no client: a review scales the clients' load", file_));
  }

  // `archsim SUB FILE --set ...` as a user types it.
  std::vector<std::string> command(const std::string& sub) const {
    std::vector<std::string> argv{"archsim", sub, file_};
    for (const auto& s : o_.sets) argv.insert(argv.end(), {"--set", s});
    return argv;
  }
  std::vector<std::string> run_command() const {
    auto argv = command("run");
    argv.insert(argv.end(), {"--out", out_ + "/run"});
    return argv;
  }

  // The simulated run's picture (its topology.dot: utilization and bottleneck drawn on the
  // design), or the design alone when the run left none.
  void draw_design() {
    std::ostringstream dot;
    std::ifstream run_dot(out_ + "/run/topology.dot");
    if (run_dot) {
      dot << run_dot.rdbuf();
      picture_from_run_ = true;
    } else {
      write_design_dot(t_, nullptr, dot);
    }
    try {
      draw_svg(dot.str(), out_ + "/design.svg");
      svg_ = inline_svg(out_ + "/design.svg");
    } catch (const std::runtime_error& e) {
      picture_error_ = e.what();
    }
  }

  // The design as given, once, into DIR/run. False (with the run's error on stderr) when it failed.
  bool run_design() {
    auto argv = run_command();
    argv[0] = self_exe();
    int rc = spawn_and_wait(argv, out_ + "/run.stderr");
    if (rc != 0 || !fs::exists(out_ + "/run/summary.json")) {
      std::ifstream err(out_ + "/run.stderr");
      std::string line, first;
      while (std::getline(err, line))
        if (first.empty() || line.find("error") != std::string::npos) first = line;
      fmt::print(stderr, "review {}: the run of the design failed (exit {}): {}\n", t_.name, rc, first);
      return false;
    }
    summary_ = read_json(out_ + "/run/summary.json");
    return true;
  }

  int run_mutations() {
    make_output_dir(out_ + "/mutations", "review --out");
    mutations_ = {write_volume_x100(t_), mix_reversed(t_), rtt_800ms(t_), budget_cut_80(t_, file_, o_.sets),
                  stricter_consistency(summary_, t_, file_, o_.sets, out_ + "/mutations")};
    Experiment e;
    e.file = file_;
    e.name = "review-" + t_.name + "-mutations";
    e.description = "the seed's constraint mutations against the design as given";
    e.topology = file_;
    e.seed = o_.seed;
    e.has_mutations = true;
    e.points.push_back(point(Mutation{"baseline", "", {}, "", ""}));
    for (auto& m : mutations_) {
      if (!m.skipped.empty()) continue;
      std::vector<std::string> all = o_.sets;
      all.insert(all.end(), m.sets.begin(), m.sets.end());
      try {
        validate_topology(load_topology(m.topology.empty() ? file_ : m.topology, all));
      } catch (const ConfigError& err) {
        m.skipped = std::string("the topology refuses it: ") + err.what();
        continue;
      }
      e.points.push_back(point(m));
    }
    ExperimentOptions eo = o_.run;
    eo.out_dir = out_ + "/mutations";
    return run_experiment(e, eo);
  }

  ExperimentPoint point(const Mutation& m) const {
    const std::string& id = m.id;
    const std::vector<std::string>& sets = m.sets;
    ExperimentPoint pt;
    pt.id = id;
    pt.topology = m.topology.empty() ? file_ : m.topology;
    pt.mutation = id;
    auto add = [&](const std::string& s, const std::string& where) {
      pt.overrides.push_back(Override::of(s, where));
    };
    for (const auto& s : o_.sets) add(s, "--set " + s);
    for (const auto& s : sets) add(s, "mutation " + id);
    return pt;
  }

  std::string point_command(const Mutation& m) const {
    ExperimentPoint pt = point(m);
    std::vector<std::string> argv{"archsim", "run", pt.topology};
    for (const auto& a : pt.assignments()) argv.insert(argv.end(), {"--set", a});
    argv.insert(argv.end(), {"--seed", std::to_string(o_.seed)});
    return command_line(argv);
  }

  Section design_section() const;
  Section estimate_section() const;
  Section capacity_section() const;
  Section failures_section() const;
  Section consistency_section() const;
  Section mutations_section() const;
  Section cost_section() const;

  void write() const {
    std::vector<Section> s{design_section(),      estimate_section(),  capacity_section(), failures_section(),
                           consistency_section(), mutations_section(), cost_section()};
    std::string title = "Design review: " + t_.name;
    std::ofstream(out_ + "/review.md") << markdown(title, s);
    std::ofstream(out_ + "/review.html") << html(title, s, svg_);
    std::cout << fmt::format("review {}: {}/review.md, {}/review.html\n", t_.name, out_, out_);
  }

  std::string file_;
  ReviewOptions o_;
  Topology t_;
  std::string out_;
  std::vector<Slo> slos_;
  bool slo_chosen_ = false;
  bool picture_from_run_ = false;
  std::string svg_, picture_error_;
  json summary_;
  std::vector<Mutation> mutations_;
  int capacity_rc_ = 0, failures_rc_ = 0, mutations_rc_ = 0;
};

// 1. The picture and one line per component.
Section Review::design_section() const {
  Section s{"1. The design", {}, {}};
  if (picture_error_.empty()) s.blocks.push_back({"", std::nullopt, true});
  else s.say("The picture was not drawn: " + picture_error_ + ".");
  s.say(fmt::format("{} has {} components in {} region(s) and declares {} fault(s).", t_.name, t_.components.size(),
                    std::max<size_t>(1, t_.regions.size()), t_.faults.size()));
  Table tab{{"component", "kind", "replicas", "cores", "region"}, {}};
  for (const auto& c : t_.components) {
    bool client = c.kind->traits().client;
    std::string replicas = client ? "-" : std::to_string(c.replicas), cores = client ? "-" : std::to_string(c.cores);
    if (client && c.arrival.process == ArrivalSpec::Process::Closed)
      replicas = fmt::format("{} users (closed loop)", c.arrival.users);
    else if (client)
      replicas = rate(c.arrival.rate) + " offered";
    tab.rows.push_back({c.name, c.kind->name(), replicas, cores, c.region.empty() ? "-" : c.region});
  }
  s.add(tab);
  if (picture_from_run_) {
    std::string v = verdict_of(summary_);
    s.say(fmt::format("The picture is the simulated run's ({}/run/topology.dot): each component filled by its busiest "
                      "resource's utilization; {}.",
                      out_, v == "none" ? "the run's verdict names no bottleneck" : "the bottleneck, " + v + ", outlined"));
    s.commands.push_back(command_line(run_command()));
    s.commands.push_back(command_line({"dot", "-Tsvg", out_ + "/run/topology.dot", "-o", out_ + "/design.svg"}));
  } else {
    auto g = command("graph");
    g.insert(g.end(), {"--svg", out_ + "/design.svg"});
    s.commands.push_back(command_line(g));
  }
  return s;
}

// 2. The analytic view's utilization and first saturation beside the simulated run's.
Section Review::estimate_section() const {
  Section s{"2. Back-of-envelope beside simulated", {}, {}};
  AnalyticModel m = analyze_topology(t_);
  if (m.saturation_client_rate > 0)
    s.say(fmt::format("Back-of-envelope: the clients offer {}; the first resource to saturate (utilization 1) is "
                      "{}'s {}, at {} offered ({:.3g}x the load as given).",
                      rate(m.client_rate), m.saturates_component, m.saturates_resource,
                      rate(m.saturation_client_rate), m.saturation_client_rate / std::max(m.client_rate, 1e-12)));
  else
    s.say(fmt::format("Back-of-envelope: the clients offer {}; no resource saturates at any multiple of it.",
                      rate(m.client_rate)));
  const json& sum = summary_;
  s.say(fmt::format("Simulated ({}/run): throughput {}, p50 {}, p99 {}, availability {}; bottleneck verdict: {}{}; "
                    "the measured window was {}.",
                    out_, or_dash(number(sum, {"throughput_rps"}), rate), ms_or_none(latency(sum, "p50")),
                    ms_or_none(latency(sum, "p99")), or_dash(availability_of(sum), avail),
                    verdict_of(sum),
                    text_at(sum, {"bottleneck", "evidence"}).empty() ? "" : " (" + text_at(sum, {"bottleneck", "evidence"}) + ")",
                    at(sum, {"steady_state", "steady"}) && sum["steady_state"]["steady"] == true ? "steady" : "not steady"));
  Table tab{{"component", "resource", "analytic utilization", "simulated utilization"}, {}};
  for (const auto& c : m.components) {
    for (const auto& r : c.resources) {
      auto sim = number(sum, {"components", c.name.c_str(), "utilization", r.resource.c_str()});
      tab.rows.push_back({c.name, r.resource, pct(r.utilization), or_dash(sim, pct)});
    }
    for (const char* r : {"workers", "network"})
      if (auto sim = number(sum, {"components", c.name.c_str(), "utilization", r}))
        tab.rows.push_back({c.name, r, "-", pct(*sim)});
  }
  s.add(tab);
  std::string notes;
  for (const auto& n : m.notes) notes += (notes.empty() ? "" : "; ") + n;
  if (!notes.empty()) s.say("The back-of-envelope's assumptions: " + notes + ".");
  s.commands.push_back(command_line(command("estimate")));
  s.commands.push_back(command_line(run_command()));
  return s;
}

// 3. The capacity ladder, from capacity.json.
Section Review::capacity_section() const {
  Section s{"3. Where it breaks", {}, {}};
  std::string slos;
  for (const auto& x : slos_) slos += (slos.empty() ? "" : ", ") + x.text;
  if (slo_chosen_)
    s.say(fmt::format("No --slo was given: the SLO is {}, ten times the simulated p99 ({}) rounded up to a millisecond.",
                      slos, ms_or_none(latency(summary_, "p99"))));
  json cap = read_json(out_ + "/capacity/capacity.json");
  s.say(fmt::format("Under {}, the ladder ({} wall(s) asked): {}.", slos, o_.steps, cap["ladder"].get<std::string>()));
  if (capacity_rc_) s.say("Some capacity probes failed to run; their folders under " + out_ + "/capacity hold the errors.");
  Table tab{{"rung", "relief", "knee (load x)", "wall", "why", "analytic saturation", "$/month"}, {}};
  int i = 0;
  for (const auto& r : cap["rungs"]) {
    std::string wall = "-";
    if (r.contains("wall")) {
      std::string comp = r["wall"]["component"].get<std::string>(), res = r["wall"]["resource"].get<std::string>();
      wall = comp.empty() ? res : comp + " " + res;
    }
    std::string why = r.contains("wall") ? r["wall"]["why"].get<std::string>() : text_at(r, {"note"});
    std::string analytic = r.contains("analytic") ? r["analytic"]["saturates"].get<std::string>() : "-";
    tab.rows.push_back({std::to_string(++i), r["relief"].get<std::string>(), text_at(r, {"knee", "text"}), wall, why,
                        analytic, or_dash(number(r, {"monthly_usd"}), [](double v) { return fmt::format("{:.0f}", v); })});
  }
  s.add(tab);
  auto c = command("capacity");
  for (const auto& x : slos_) c.insert(c.end(), {"--slo", x.text});
  c.insert(c.end(), {"--steps", std::to_string(o_.steps), "--precision", fmt::format("{:g}%", 100 * o_.precision),
                     "--seed", std::to_string(o_.seed), "--out", out_ + "/capacity"});
  s.commands.push_back(command_line(c));
  return s;
}

// 4. The failure sweep's single points of failure and top rows, from failures.json.
Section Review::failures_section() const {
  Section s{"4. What fails and what it costs", {}, {}};
  json f = read_json(out_ + "/failures/failures.json");
  std::string spof;
  for (const auto& x : f["single_points_of_failure"]) spof += (spof.empty() ? "" : ", ") + x.get<std::string>();
  s.say(fmt::format("Each failure alone from {:g} s for {:g} s; a single point of failure takes a client region or "
                    "request type to {} or less during its window. Single points of failure: {}.",
                    f["window"]["at_s"].get<double>(), f["window"]["for_s"].get<double>(),
                    pct(f["single_point_threshold"].get<double>()), spof.empty() ? "none" : spof));
  if (failures_rc_) s.say("Some failure runs did not finish; their rows say so.");
  Table tab{{"failure", "available during", "after", "recovery", "lost writes", "RTO", "RPO", "single point"}, {}};
  std::string rto;
  size_t shown = 0;
  for (const auto& r : f["failures"]) {
    if (++shown > 8) break;
    tab.rows.push_back({r["failure"].get<std::string>(), or_dash(number(r, {"availability", "during"}), avail),
                        or_dash(number(r, {"availability", "after"}), avail), text_at(r, {"recovery"}),
                        std::to_string(r.value("lost_acknowledged_writes", 0)), r.value("rto", std::string("-")),
                        r.value("rpo", std::string("-")), r["single_point_of_failure"] == true ? "yes" : "no"});
  }
  for (const auto& r : f["failures"])
    if (r.contains("rto")) rto += fmt::format("{}{}: RTO {}, RPO {}", rto.empty() ? "" : "; ", r["failure"].get<std::string>(),
                                              r["rto"].get<std::string>(), r.value("rpo", std::string("-")));
  s.add(tab);
  if (f["failures"].size() > 8) s.say(fmt::format("{} more failure(s) in {}/failures/failures.json.", f["failures"].size() - 8, out_));
  s.say(rto.empty() ? "No failure set off a database failover, so there is no RTO/RPO." : rto + ".");
  for (const auto& r : f["failures"])
    if (r.contains("note")) s.say(fmt::format("{}: {}.", r["failure"].get<std::string>(), r["note"].get<std::string>()));
  for (const auto& n : f["not_swept"])
    s.say(fmt::format("Not swept: {} ({}).", n["failure"].get<std::string>(), n["why"].get<std::string>()));
  auto c = command("failures");
  c.insert(c.end(), {"--seed", std::to_string(o_.seed), "--out", out_ + "/failures"});
  s.commands.push_back(command_line(c));
  return s;
}

// 5. Each replicated store's mode and what its clients observed in the simulated run.
Section Review::consistency_section() const {
  Section s{"5. The consistency choice under partition", {}, {}};
  const json* stores = at(summary_, {"stores"});
  if (!stores || stores->empty()) {
    s.say(fmt::format("{} has no replicated_store, so there is no consistency mode to choose.", t_.name));
  } else {
    s.say(fmt::format("From the simulated run ({}/run), with the {} fault(s) the design declares:", out_, t_.faults.size()));
    Table tab{{"store", "mode", "region", "read availability", "write availability"}, {}};
    for (const auto& [name, st] : stores->items()) {
      for (const auto& [region, a] : st["availability"]["by_region"].items())
        tab.rows.push_back({name, st["consistency"].get<std::string>(), region, or_dash(number(a, {"read_availability"}), avail),
                            or_dash(number(a, {"write_availability"}), avail)});
      std::string conv;
      for (const auto& h : st["convergence"])
        conv += fmt::format("{}healed at {:g} s with {} key(s) diverged, converged {}", conv.empty() ? "" : "; ",
                            h["heal_at_s"].get<double>(), h["diverged_keys"].dump(),
                            h["convergence_time_s"].is_number() ? fmt::format("in {:g} s", h["convergence_time_s"].get<double>())
                                                                : std::string("not by the end"));
      s.say(fmt::format("{} ({}): reads {}, writes {} available; {} stale read(s) of {} checked ({}); {} of {} acknowledged "
                        "write(s) lost; {}.",
                        name, st["consistency"].get<std::string>(), or_dash(number(st, {"availability", "read"}), avail),
                        or_dash(number(st, {"availability", "write"}), avail), st["stale_reads"].dump(),
                        st["reads_checked"].dump(), or_dash(number(st, {"stale_read_ratio"}), avail),
                        st["lost_acknowledged_writes"].dump(), st["writes_acknowledged"].dump(),
                        conv.empty() ? "no fault healed during the run (no convergence to measure)" : conv));
    }
    s.add(tab);
  }
  s.commands.push_back(command_line(run_command()));
  return s;
}

// 6. The mutations against the baseline point, from each point's summary.json.
Section Review::mutations_section() const {
  Section s{"6. Constraint mutations", {}, {}};
  auto summary_of = [&](const std::string& id) -> std::optional<json> {
    std::string p = fmt::format("{}/mutations/points/{}/r1/summary.json", out_, id);
    if (!fs::exists(p)) return std::nullopt;
    return read_json(p);
  };
  auto base = summary_of("baseline");
  if (!base) {
    s.say("The baseline point did not finish; see " + out_ + "/mutations/points/baseline/r1.stderr.");
    return s;
  }
  s.say(fmt::format("Baseline (seed {}): p99 {}, throughput {}, availability {}, bottleneck {}.", o_.seed,
                    ms_or_none(latency(*base, "p99")), or_dash(number(*base, {"throughput_rps"}), rate),
                    or_dash(availability_of(*base), avail), verdict_of(*base)));
  Table tab{{"mutation", "change", "p99", "Δp99", "throughput", "Δthroughput", "availability", "Δavailability", "bottleneck"}, {}};
  s.commands.push_back(point_command(Mutation{"baseline", "", {}, "", ""}));
  for (const auto& m : mutations_) {
    if (!m.skipped.empty()) {
      s.say(fmt::format("{}: not run: {}.", m.id, m.skipped));
      continue;
    }
    s.commands.push_back(point_command(m));
    auto j = summary_of(m.id);
    if (!j) {
      tab.rows.push_back({m.id, m.what, "run failed", "-", "-", "-", "-", "-", "-"});
      continue;
    }
    auto d = [&](std::optional<double> a, std::optional<double> b, double scale, const char* unit) {
      return a && b ? signed_num(scale * (*a - *b), unit) : std::string("-");
    };
    auto p99 = latency(*j, "p99"), tp = number(*j, {"throughput_rps"});
    auto av = availability_of(*j);
    tab.rows.push_back({m.id, m.what, ms_or_none(p99), d(p99, latency(*base, "p99"), 1, " ms"),
                        or_dash(tp, rate), d(tp, number(*base, {"throughput_rps"}), 1, "/s"), or_dash(av, avail),
                        d(av, availability_of(*base), 100, " pp"), verdict_of(*j)});
  }
  s.add(tab);
  return s;
}

// 7. The money, from the simulated run's summary.
Section Review::cost_section() const {
  Section s{"7. Cost", {}, {}};
  const json* cost = at(summary_, {"cost"});
  if (!cost || !has_costs(t_)) {
    s.say(fmt::format("{} declares no costs (no component has `cost:`), so there is no $/month.", t_.name));
  } else {
    auto per_m = number(*cost, {"per_million_requests_usd"});
    s.say(fmt::format("${:.2f}/month{}.", number(*cost, {"monthly_usd"}).value_or(0),
                      per_m ? fmt::format(", ${:.4g} per million requests", *per_m) : std::string()));
    Table tab{{"component", "$/month", "replicas", "storage", "egress"}, {}};
    for (const auto& [name, c] : (*cost)["by_component"].items()) {
      auto usd = [&](const char* k) { return fmt::format("{:.2f}", number(c, {k}).value_or(0)); };
      tab.rows.push_back({name, usd("monthly_usd"), usd("replicas_usd"), usd("storage_usd"), usd("egress_usd")});
    }
    s.add(tab);
  }
  s.commands.push_back(command_line(run_command()));
  return s;
}

}  // namespace

int run_review(const std::string& file, const ReviewOptions& options) {
  if (options.steps < 1) throw ConfigError(fmt::format("--steps {}: error: give 1 or more walls", options.steps));
  Review r(file, options);
  return r.run();
}

}  // namespace archsim
