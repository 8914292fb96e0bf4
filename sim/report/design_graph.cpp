#include "sim/report/design_graph.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "models/common/kind.hpp"
#include "sim/config/validate.hpp"
#include "sim/support/units.hpp"

extern char** environ;

namespace archsim {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Utilization bands: the fill says how close to saturation the busiest resource ran.
const char* fill_of(double u) {
  if (u >= 0.95) return "#f4a582";  // saturated
  if (u >= 0.80) return "#fddbc7";
  if (u >= 0.50) return "#fff7bc";
  return "#e5f5e0";
}

// The regions a component's nodes sit in, in node order, each once, and how many nodes each holds.
std::vector<std::string> regions_of(const Component& c, std::vector<int64_t>* counts) {
  std::vector<std::string> out;
  int64_t n = c.kind->nodes(c);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& r = c.kind->node_region(c, static_cast<size_t>(i));
    auto it = std::find(out.begin(), out.end(), r);
    if (it == out.end()) {
      out.push_back(r);
      counts->push_back(1);
    } else {
      ++(*counts)[static_cast<size_t>(it - out.begin())];
    }
  }
  if (out.empty()) {
    out.push_back(c.region);
    counts->push_back(n);
  }
  return out;
}

std::string node_id(size_t component, size_t part) { return fmt::format("c{}_{}", component, part); }

}  // namespace

void write_design_dot(const Topology& t, const DesignOverlay* overlay, std::ostream& out) {
  const size_t n = t.components.size();
  std::vector<std::vector<std::string>> parts(n);
  std::vector<std::vector<int64_t>> part_nodes(n);
  std::vector<std::string> region_order = t.regions;
  for (size_t i = 0; i < n; ++i) {
    parts[i] = regions_of(t.components[i], &part_nodes[i]);
    for (const auto& r : parts[i])
      if (std::find(region_order.begin(), region_order.end(), r) == region_order.end()) region_order.push_back(r);
  }
  // What the declared faults hit, by component and by region.
  std::map<std::string, std::vector<std::string>> faults_on;
  std::vector<std::string> link_faults;
  for (const auto& f : t.faults) {
    std::string when = fmt::format("{} {}..{}", to_string(f.kind), format_duration(f.at),
                                   f.duration < 0 ? std::string("end") : format_duration(f.at + f.duration));
    if (!f.component.empty()) faults_on[f.component].push_back(f.replica < 0 ? when : fmt::format("{} (replica {})", when, f.replica));
    else if (f.kind == Fault::Kind::RegionDown) faults_on["region:" + f.region].push_back(when);
    else link_faults.push_back(f.name() + fmt::format(" {}..{}", format_duration(f.at),
                                                      f.duration < 0 ? std::string("end") : format_duration(f.at + f.duration)));
  }

  out << "digraph design {\n";
  std::string title = t.name;
  if (!t.network.links.empty()) {
    title += "\nregion links:";
    for (const auto& l : t.network.links) title += fmt::format(" {}-{} {} rtt;", l.a, l.b, format_duration(l.rtt));
  }
  for (const auto& lf : link_faults) title += "\nfault: " + lf;
  if (overlay)
    title += "\nfill: busiest resource's utilization (green < 50% < yellow < 80% < orange < 95% < red)"
             "; bold red outline: the bottleneck";
  out << "  label=" << quoted(title) << ";\n  labelloc=t;\n  rankdir=LR;\n  newrank=true;\n  nodesep=0.25;\n  ranksep=0.6;\n"
      << "  fontname=\"Helvetica\";\n  node [fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#ffffff\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";

  auto write_node = [&](size_t i, size_t p) {
    const Component& c = t.components[i];
    std::string label = fmt::format("{}\n{}", c.name, c.kind->name());
    if (c.replicas > 1) label += fmt::format(" x{}", c.replicas);
    if (parts[i].size() > 1)
      label += fmt::format("\n{} of its {} {}s here", part_nodes[i][p], c.kind->nodes(c), c.kind->traits().part);
    std::string attrs = fmt::format("label={}, shape={}", quoted(label), c.kind->traits().dot_shape);
    if (overlay) {
      auto it = overlay->load.find(c.name);
      if (it != overlay->load.end()) {
        label += fmt::format("\n{} {:.0f}%", it->second.resource, 100 * it->second.utilization);
        attrs = fmt::format("label={}, shape={}, fillcolor=\"{}\"", quoted(label), c.kind->traits().dot_shape,
                            fill_of(it->second.utilization));
      }
      if (c.name == overlay->bottleneck) {
        label += fmt::format("\nbottleneck: {}", overlay->bottleneck_resource);
        attrs = fmt::format("label={}, shape={}, fillcolor=\"{}\", color=\"#b2182b\", penwidth=3", quoted(label),
                            c.kind->traits().dot_shape, fill_of(it != overlay->load.end() ? it->second.utilization : 1));
      }
    }
    auto f = faults_on.find(c.name);
    if (f != faults_on.end()) {
      std::string list;
      for (const auto& w : f->second) list += "\nfault: " + w;
      // The label was quoted above; rebuild it with the fault lines and a dashed outline.
      size_t at = attrs.find(", shape=");
      attrs = "label=" + quoted(label + list) + attrs.substr(at) + ", peripheries=2";
    }
    out << "    " << node_id(i, p) << " [" << attrs << "];\n";
  };

  for (size_t ri = 0; ri < region_order.size(); ++ri) {
    const std::string& region = region_order[ri];
    bool clustered = region_order.size() > 1;
    if (clustered) {
      std::string label = region;
      auto f = faults_on.find("region:" + region);
      if (f != faults_on.end())
        for (const auto& w : f->second) label += "\nfault: " + w;
      out << fmt::format("  subgraph cluster_{} {{\n    label={};\n    style=rounded;\n    color=\"#9e9e9e\";\n", ri,
                         quoted(label));
    }
    for (size_t i = 0; i < n; ++i)
      for (size_t p = 0; p < parts[i].size(); ++p)
        if (parts[i][p] == region) write_node(i, p);
    if (clustered) out << "  }\n";
  }

  // A part in each region: a store's replicas replicate; other kinds' parts are one component.
  for (size_t i = 0; i < n; ++i)
    for (size_t p = 1; p < parts[i].size(); ++p)
      out << fmt::format("  {} -> {} [{}, constraint=false];\n", node_id(i, p - 1), node_id(i, p),
                         t.components[i].kind->traits().keeps_history
                             ? "dir=both, style=dashed, color=\"#2166ac\", label=\"replication\""
                             : "dir=none, style=dotted, color=\"#9e9e9e\"");

  // The arrows, parallel ones merged: "read, write", "n1, n10 +5 more".
  struct Arrow {
    std::vector<std::string> labels;
    bool async = false, store = false;
  };
  std::map<std::pair<size_t, size_t>, Arrow> arrows;
  std::vector<std::pair<size_t, size_t>> order;
  for (const auto& e : design_edges(t)) {
    std::pair<size_t, size_t> key{static_cast<size_t>(e.from), static_cast<size_t>(e.to)};
    if (!arrows.count(key)) order.push_back(key);
    Arrow& a = arrows[key];
    std::string label = e.label;
    if (e.fanout != 0) label += (label.empty() ? "" : " ") + (e.fanout < 0 ? std::string("fan-out to all") : fmt::format("fan-out x{}", e.fanout));
    if (!label.empty() && std::find(a.labels.begin(), a.labels.end(), label) == a.labels.end()) a.labels.push_back(label);
    a.async |= e.async;
    a.store |= e.store;
  }
  for (const auto& key : order) {
    const Arrow& a = arrows[key];
    const auto& from_parts = parts[key.first];
    const auto& to_parts = parts[key.second];
    // From each part of the caller to the callee's part in the same region, else its first.
    for (size_t p = 0; p < from_parts.size(); ++p) {
      auto it = std::find(to_parts.begin(), to_parts.end(), from_parts[p]);
      size_t q = it == to_parts.end() ? 0 : static_cast<size_t>(it - to_parts.begin());
      std::string label;
      for (size_t k = 0; k < a.labels.size() && k < 3; ++k) label += (k ? ", " : "") + a.labels[k];
      if (a.labels.size() > 3) label += fmt::format(" +{} more", a.labels.size() - 3);
      std::string attrs = label.empty() ? "" : "label=" + quoted(label);
      if (a.async) attrs += std::string(attrs.empty() ? "" : ", ") + "style=dashed";
      if (a.store) attrs += std::string(attrs.empty() ? "" : ", ") + "style=dotted";
      out << fmt::format("  {} -> {}{};\n", node_id(key.first, p), node_id(key.second, q),
                         attrs.empty() ? "" : " [" + attrs + "]");
    }
  }
  out << "}\n";
}

void draw_svg(const std::string& dot_text, const std::string& svg_path) {
  char tmpl[] = "/tmp/archsim-design-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error(std::string("cannot write a temporary file: ") + std::strerror(errno));
  std::string dot_file = tmpl;
  {
    std::ofstream f(dot_file);
    f << dot_text;
  }
  ::close(fd);
  std::string out_arg = "-o" + svg_path;
  std::vector<std::string> args{"dot", "-Tsvg", out_arg, dot_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "dot", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    std::remove(dot_file.c_str());
    throw std::runtime_error("Graphviz's `dot` could not be started (" + std::string(std::strerror(rc)) +
                             "); install it with `bash scripts/install-deps.sh` (Debian package graphviz)");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::remove(dot_file.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::remove(svg_path.c_str());
    throw std::runtime_error("Graphviz's `dot` failed drawing " + svg_path);
  }
}

}  // namespace archsim
