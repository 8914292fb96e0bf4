#include "sim/config/experiment_file.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "sim/config/loader.hpp"
#include "sim/config/strict_yaml.hpp"
#include "sim/config/validate.hpp"
#include "sim/config/yaml_source.hpp"

namespace archsim {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Loading

namespace {

// A single value (a number, a duration, a word).
std::string read_scalar_value(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar())
    src.fail(node, fmt::format("{} must be a single value (a number, a duration, a word), not a list or a map", what));
  return node.Scalar();
}

// A value to set, as `--set` takes it: a scalar, or a list or map written as flow YAML.
std::string read_set_value(const Source& src, const YAML::Node& node, const std::string& what) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsSequence() || node.IsMap()) return flow_text(node);
  src.fail(node, fmt::format("{} needs a value (a number, a duration, a word, a list or a map)", what));
}

// A map of `path: value` overrides. Keys are dotted paths into the topology, so they cannot be
// listed up front; they are checked against the topology by check_experiment().
std::vector<Override> read_overrides(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) src.fail(node, fmt::format("{} must be a map of path: value (e.g. components.app.replicas: 4)", what));
  std::vector<Override> out;
  std::map<std::string, int> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;
    if (!k.IsScalar()) src.fail(k, fmt::format("keys of {} must be dotted paths", what));
    if (seen.count(k.Scalar()))
      src.fail(k, fmt::format("duplicate path '{}' in {} (first at line {})", k.Scalar(), what, seen[k.Scalar()]));
    seen[k.Scalar()] = src.location(k).line;
    out.push_back({k.Scalar(), read_set_value(src, it->second, fmt::format("{} '{}'", what, k.Scalar())),
                   src.where(it->second)});
  }
  return out;
}

// A map of `path: [values]` (sweep and zip).
struct Axis {
  std::string path;
  std::vector<Override> values;
};
std::vector<Axis> read_axes(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsMap())
    src.fail(node, fmt::format("{} must be a map of path: [values] (e.g. components.app.replicas: [2, 4, 8])", what));
  std::vector<Axis> out;
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;
    const YAML::Node v = it->second;
    if (!k.IsScalar()) src.fail(k, fmt::format("keys of {} must be dotted paths", what));
    if (!seen.insert(k.Scalar()).second) src.fail(k, fmt::format("duplicate path '{}' in {}", k.Scalar(), what));
    if (!v.IsSequence() || v.size() == 0)
      src.fail(v, fmt::format("{} '{}' must be a non-empty list of values, e.g. [2, 4, 8]", what, k.Scalar()));
    Axis a{k.Scalar(), {}};
    for (size_t i = 0; i < v.size(); ++i)
      a.values.push_back({a.path, read_set_value(src, v[i], fmt::format("each value of {} '{}'", what, a.path)),
                          src.where(v[i])});
    out.push_back(std::move(a));
  }
  if (out.empty()) src.fail(node, fmt::format("{} needs at least one path", what));
  return out;
}

// Folder-safe text: "5k/s" → "5k_s".
std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ? c : '_';
  return out;
}

void check_name(const Source& src, const YAML::Node& key, const std::string& what) {
  const std::string& n = key.Scalar();
  if (n == "baseline")
    src.fail(key, fmt::format("{} name 'baseline' is reserved for the unchanged design, which every experiment runs; "
                              "give it another name",
                              what));
  if (n.empty() || slug(n) != n || n[0] == '.')
    src.fail(key, fmt::format("{} name '{}' must be made of letters, digits, '.', '-' and '+'", what, n));
}

struct Choice {  // one variant or mutation
  std::string name;
  std::string topology;
  std::vector<Override> overrides;  // its `set:`
  std::vector<Override> faults;     // `faults:` as overrides: `faults=[]`, then one `faults.<i>=` per entry
  std::vector<Override> add_faults;  // `add_faults:` entries; their path is given once the point's list is known
};

// `faults:` or `add_faults:` of a variant or mutation: a list of entries in the topology's fault
// syntax, each kept as flow YAML with its place in the experiment file. The entries are checked
// by loading the topology with them (check_experiment), which names that place.
void read_faults(const Source& src, const MapReader& m, Choice& c, const std::string& what) {
  if (m.has("faults") && m.has("add_faults"))
    src.fail_at(m.key_location("add_faults"),
                fmt::format("{} has both faults (which replace the topology's) and add_faults (which add to them); "
                            "give one",
                            what));
  const char* key = m.has("faults") ? "faults" : "add_faults";
  if (!m.has(key)) return;
  YAML::Node list = m.get(key);
  if (!list.IsSequence())
    src.fail(list, fmt::format("{} of {} must be a list of faults, as in a topology's faults: (e.g. [{{crash: app, at: "
                               "5s, for: 2s}}])",
                               key, what));
  std::vector<Override>& out = std::string(key) == "faults" ? c.faults : c.add_faults;
  if (std::string(key) == "faults") out.push_back({"faults", "[]", src.where(list)});
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].IsMap())
      src.fail(list[i], fmt::format("each entry of {} of {} must be a fault such as {{crash: app, at: 5s}}", key, what));
    out.push_back({std::string(key) == "faults" ? fmt::format("faults.{}", i) : "", flow_text(list[i]),
                   src.where(list[i])});
  }
}

// Reads an experiment file, one section per method. The sections are read in a fixed order, and
// the first one that fails names its line: that order is the order of the errors.
class ExperimentReader {
 public:
  ExperimentReader(const std::string& path, const std::vector<std::string>& extra_sets)
      : path_(path),
        extra_sets_(extra_sets),
        src_(path),
        root_(not_a_topology(read_yaml_file(path, src_, kExperimentDocument))),
        top_(src_, root_, "the experiment",
             {"name", "description", "topology", "seed", "set", "sweep", "zip", "mutations", "compare",
              "replications", "until"}) {}

  // A topology given where an experiment is expected: said so, before its keys read as unknown.
  YAML::Node not_a_topology(YAML::Node root) {
    if (root.IsMap() && root["components"] && !root["description"])
      src_.fail(root["components"],
                fmt::format("{} is a topology (it has `components:`), not an experiment: run it with `archsim run {}`, "
                            "or write an experiment that names it in `topology:` (docs/experiments.md)",
                            path_, path_));
    return root;
  }

  // REQUIRES: called once.
  Experiment read() {
    read_head();
    std::vector<Override> base = read_base_overrides();
    read_until();
    // The dimensions, combined as a product: variants × mutations × zip × sweep.
    std::vector<Choice> variants = read_variants();
    std::vector<Choice> mutations = read_mutations();
    std::vector<std::vector<Override>> grid = read_grid();
    add_points(base, variants, mutations, grid);
    return std::move(e_);
  }

 private:
  // The experiment's name, description, topology, seed and replications.
  void read_head() {
    e_.file = path_;
    e_.name = top_.has("name") ? read_string(src_, top_.get("name"), "name") : fs::path(path_).stem().string();
    if (e_.name.empty() || slug(e_.name) != e_.name)
      src_.fail(top_.has("name") ? top_.get("name") : root_,
                fmt::format("the experiment name '{}' must be made of letters, digits, '.', '-' and '+' (it names the "
                            "results folder)",
                            e_.name));
    e_.description = read_string(src_, top_.require("description"), "description");
    e_.topology = resolve(top_.require("topology"), "topology");
    if (top_.has("seed")) e_.seed = static_cast<uint64_t>(read_int(src_, top_.get("seed"), "seed", 0, INT64_MAX / 2));
    if (top_.has("replications"))
      e_.replications = static_cast<int>(read_int(src_, top_.get("replications"), "replications", 1, 1000));
  }

  // A topology file named at `n`, relative to the experiment file; it must exist.
  std::string resolve(const YAML::Node& n, const std::string& what) const {
    fs::path dir = fs::path(path_).parent_path();
    std::string t = read_string(src_, n, what);
    std::string full = fs::path(t).is_absolute() ? t : (dir / t).lexically_normal().string();
    if (!fs::is_regular_file(full))
      src_.fail(n, fmt::format("{} '{}' is not a file (looked for {}; the path is relative to the experiment file)", what,
                               t, full));
    return full;
  }

  // The overrides of every point: the file's `set`, then the command line's --set.
  std::vector<Override> read_base_overrides() const {
    std::vector<Override> base;
    if (top_.has("set")) base = read_overrides(src_, top_.get("set"), "set");
    for (const auto& s : extra_sets_) {
      auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0)
        throw ConfigError(fmt::format("--set {}: error: expected path=value, e.g. --set run.duration=5s", s));
      base.push_back({s.substr(0, eq), s.substr(eq + 1), "--set " + s});
    }
    return base;
  }

  // `until`: the rule that stops replicating a point, a CI half-width on one metric.
  void read_until() {
    if (!top_.has("until")) return;
    YAML::Node u = top_.get("until");
    MapReader ur(src_, u, "until", {"metric", "half_width"});
    StopRule rule;
    rule.metric = read_string(src_, ur.require("metric"), "until.metric");
    YAML::Node hw = ur.require("half_width");
    std::string text = read_scalar_value(src_, hw, "until.half_width");
    if (!text.empty() && text.back() == '%') {
      rule.relative = true;
      char* end = nullptr;
      double pct = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size() - 1 || !(pct > 0))
        src_.fail(hw, fmt::format("until.half_width must be a percentage of the mean such as 2%, got '{}'", text));
      rule.half_width = pct / 100;
    } else {
      rule.half_width = read_number(src_, hw, "until.half_width (a percentage such as 2%, or a value in the metric's unit)",
                                    1e-12, 1e300);
    }
    if (e_.replications < 2)
      src_.fail(u, "until needs replications of at least 2 (replications is the maximum, and a CI needs two runs)");
    e_.until = rule;
  }

  // `compare`: the named variants, each a topology and/or overrides; without it, one unnamed.
  std::vector<Choice> read_variants() {
    std::vector<Choice> variants{{"", e_.topology, {}, {}, {}}};
    if (!top_.has("compare")) return variants;
    YAML::Node c = top_.get("compare");
    if (!c.IsMap() || c.size() < 2)
      src_.fail(c, "compare must be a map of two or more named variants, each {topology: FILE} and/or {set: {...}}");
    variants.clear();
    for (auto it = c.begin(); it != c.end(); ++it) {
      const YAML::Node k = it->first;
      check_name(src_, k, "a variant");
      MapReader vr(src_, it->second, fmt::format("compare variant '{}'", k.Scalar()),
                   {"description", "topology", "set", "faults", "add_faults"});
      if (!vr.has("topology") && !vr.has("set") && !vr.has("faults") && !vr.has("add_faults"))
        src_.fail(it->second,
                  fmt::format("compare variant '{}' needs a topology, a set, faults or add_faults", k.Scalar()));
      if (vr.has("description")) read_string(src_, vr.get("description"), "description");
      Choice v{k.Scalar(), vr.has("topology") ? resolve(vr.get("topology"), "topology") : e_.topology, {}, {}, {}};
      if (vr.has("set")) v.overrides = read_overrides(src_, vr.get("set"), fmt::format("set of variant '{}'", v.name));
      read_faults(src_, vr, v, fmt::format("variant '{}'", v.name));
      for (const auto& p : variants)
        if (p.name == v.name) src_.fail(k, fmt::format("duplicate variant '{}'", v.name));
      variants.push_back(std::move(v));
    }
    e_.has_variants = true;
    return variants;
  }

  // `mutations`: the baseline and each named change; without it, one unnamed.
  std::vector<Choice> read_mutations() {
    std::vector<Choice> mutations{{"", "", {}, {}, {}}};
    if (!top_.has("mutations")) return mutations;
    YAML::Node m = top_.get("mutations");
    if (!m.IsMap() || m.size() == 0)
      src_.fail(m, "mutations must be a map of named changes, each {description: ..., set: {path: value}}");
    mutations = {{"baseline", "", {}, {}, {}}};
    for (auto it = m.begin(); it != m.end(); ++it) {
      const YAML::Node k = it->first;
      check_name(src_, k, "a mutation");
      MapReader mr(src_, it->second, fmt::format("mutation '{}'", k.Scalar()),
                   {"description", "set", "faults", "add_faults"});
      if (mr.has("description")) read_string(src_, mr.get("description"), "description");
      Choice c{k.Scalar(), "", {}, {}, {}};
      if (mr.has("set") || (!mr.has("faults") && !mr.has("add_faults")))
        c.overrides = read_overrides(src_, mr.require("set"), fmt::format("set of mutation '{}'", k.Scalar()));
      read_faults(src_, mr, c, fmt::format("mutation '{}'", c.name));
      for (const auto& p : mutations)
        if (p.name == c.name) src_.fail(k, fmt::format("duplicate mutation '{}'", c.name));
      mutations.push_back(std::move(c));
    }
    e_.has_mutations = true;
    return mutations;
  }

  // Grid rows: each a list of overrides. The zip's rows pair up; the sweep multiplies (last path fastest).
  std::vector<std::vector<Override>> read_grid() const {
    std::vector<std::vector<Override>> grid{{}};
    if (top_.has("zip")) {
      std::vector<Axis> zip = read_axes(src_, top_.get("zip"), "zip");
      for (const auto& a : zip)
        if (a.values.size() != zip[0].values.size())
          src_.fail(top_.get("zip")[a.path],
                    fmt::format("zip lists must have the same length: '{}' has {} values, '{}' has {}", a.path,
                                a.values.size(), zip[0].path, zip[0].values.size()));
      grid.clear();
      for (size_t i = 0; i < zip[0].values.size(); ++i) {
        std::vector<Override> row;
        for (const auto& a : zip) row.push_back(a.values[i]);
        grid.push_back(std::move(row));
      }
    }
    if (top_.has("sweep")) {
      for (const auto& a : read_axes(src_, top_.get("sweep"), "sweep")) {
        std::vector<std::vector<Override>> next;
        for (const auto& row : grid)
          for (const auto& v : a.values) {
            next.push_back(row);
            next.back().push_back(v);
          }
        grid = std::move(next);
      }
    }
    if (top_.has("zip") && top_.has("sweep"))
      for (const auto& o : grid.front())
        if (std::count_if(grid.front().begin(), grid.front().end(), [&](const Override& x) { return x.path == o.path; }) > 1)
          src_.fail(top_.get("sweep"), fmt::format("'{}' is both in zip and in sweep", o.path));
    return grid;
  }

  // One point per variant, mutation and grid row: the base overrides, then theirs.
  void add_points(const std::vector<Override>& base, const std::vector<Choice>& variants,
                  const std::vector<Choice>& mutations, const std::vector<std::vector<Override>>& grid) {
    std::vector<std::string> grid_paths;
    for (const auto& o : grid.front()) grid_paths.push_back(o.path);
    // A grid value's id is the path's last name, or the whole path when two paths share a last name.
    auto short_name = [&](const std::string& p) {
      std::string last = p.substr(p.rfind('.') + 1);
      for (const auto& q : grid_paths)
        if (q != p && q.substr(q.rfind('.') + 1) == last) return p;
      return last;
    };

    std::set<std::string> ids;
    auto note_path = [&](const std::string& p) {
      if (std::find(e_.parameter_paths.begin(), e_.parameter_paths.end(), p) == e_.parameter_paths.end())
        e_.parameter_paths.push_back(p);
    };
    for (const auto& v : variants)
      for (const auto& m : mutations)
        for (const auto& row : grid) {
          ExperimentPoint p;
          p.topology = v.topology;
          p.variant = v.name;
          p.mutation = m.name;
          std::vector<std::string> parts;
          if (!v.name.empty()) parts.push_back(v.name);
          if (!m.name.empty()) parts.push_back(m.name);
          for (const auto& o : row) parts.push_back(short_name(o.path) + "=" + slug(o.value));
          for (const auto& part : parts) p.id += (p.id.empty() ? "" : "_") + part;
          if (p.id.empty()) p.id = "base";
          if (!ids.insert(p.id).second)
            src_.fail(root_, fmt::format("two points share the id '{}'; give the values distinct spellings", p.id));
          p.overrides = base;
          for (const Choice* c : {&v, &m}) add_choice_faults(p, *c);
          for (const auto* set : {&v.overrides, &m.overrides, &row})
            for (const auto& o : *set) {
              p.overrides.push_back(o);
              auto it = std::find_if(p.parameters.begin(), p.parameters.end(),
                                     [&](const auto& kv) { return kv.first == o.path; });
              if (it != p.parameters.end()) it->second = o.value;
              else p.parameters.push_back({o.path, o.value});
              note_path(o.path);
            }
          e_.points.push_back(std::move(p));
        }
  }

  // A variant's or mutation's faults, before its `set:` (which may then change one). The entries of
  // `add_faults` go after the faults the point has so far: the topology's, as its overrides leave them.
  void add_choice_faults(ExperimentPoint& p, const Choice& c) const {
    for (const auto& o : c.faults) p.overrides.push_back(o);
    if (c.add_faults.empty()) return;
    size_t n = count_faults(p.topology, p.assignments());
    for (const auto& o : c.add_faults) p.overrides.push_back({fmt::format("faults.{}", n++), o.value, o.where});
  }

  const std::string& path_;
  const std::vector<std::string>& extra_sets_;
  Source src_;
  YAML::Node root_;
  MapReader top_;
  Experiment e_;
};

}  // namespace

Experiment load_experiment(const std::string& path, const std::vector<std::string>& extra_sets) {
  return ExperimentReader(path, extra_sets).read();
}

std::vector<std::string> ExperimentPoint::assignments() const {
  std::vector<std::string> out;
  for (const auto& o : overrides) out.push_back(o.assignment());
  return out;
}

void check_experiment(const Experiment& e) {
  std::set<std::string> components;
  for (const auto& p : e.points) {
    try {
      Topology t = load_topology(p.topology, p.assignments());
      validate_topology(t);
      for (const auto& c : t.components) components.insert(c.name);
    } catch (const ConfigError& err) {
      // "--set a.b=v: error: ..." names an override: point at the line of the experiment that wrote it.
      std::string msg = err.what();
      const std::string tag = ": error: ";
      auto at = msg.find(tag);
      if (msg.rfind("--set ", 0) == 0 && at != std::string::npos) {
        std::string assignment = msg.substr(6, at - 6);
        for (const auto& o : p.overrides)
          if (o.assignment() == assignment)
            throw ConfigError(o.where.rfind("--set ", 0) == 0
                                  ? msg
                                  : fmt::format("{}: error: {}: {} (point '{}')", o.where, assignment,
                                                msg.substr(at + tag.size()), p.id));
      }
      throw ConfigError(fmt::format("{}: error: point '{}': {}", e.file, p.id, msg));
    }
  }
  if (e.until) {
    const std::string& m = e.until->metric;
    std::string head = m.substr(0, m.find('.'));
    static const std::vector<std::string> heads{"throughput_rps", "latency_ms", "requests", "components", "sim_time_s"};
    bool ok = std::find(heads.begin(), heads.end(), head) != heads.end();
    if (ok && head == "components") {
      std::string rest = m.size() > head.size() ? m.substr(head.size() + 1) : "";
      ok = components.count(rest.substr(0, rest.find('.'))) != 0;
    }
    if (!ok)
      throw ConfigError(fmt::format("{}: error: until.metric '{}' is not a summary metric; use a results.csv column such "
                                    "as latency_ms.p99, throughput_rps or components.<name>.utilization.cpu",
                                    e.file, m));
  }
}

}  // namespace archsim
