// Strict reading of YAML: every value is checked where it is read, and every error names
// file:line:column and says what to do.
//
// `MapReader` refuses unknown keys (suggesting the nearest valid one) and duplicate keys, which
// yaml-cpp would otherwise accept silently. Scalars are read through typed helpers that know the
// unit of what they read. Values set on the command line (`--set path=value`) are tracked so that
// an error in one of them names the override instead of a line of the file.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"
#include "sim/support/text.hpp"
#include "sim/support/latency_table.hpp"

namespace archsim {

// Where the nodes of a document came from. A document read from one file needs nothing but the
// nodes' marks; one merged from several files (`extends:`) or changed by `--set` records each
// node's origin, found again by the node's mark and then its identity (a handful of candidates).
class Source {
 public:
  explicit Source(std::string path) : origins_{std::move(path)} {}
  // The file read (origin 0).
  const std::string& path() const { return origins_.front(); }
  // Every origin a Location::file indexes: the file, then the files it extends and the overrides
  // ("--set path=value"), in the order they were added.
  const std::vector<std::string>& origins() const { return origins_; }

  // Adds a file whose nodes the document holds; returns its Location::file index.
  int add_file(const std::string& path);
  // Records that every node under `node` came from origin `file`. Later records win where a node
  // was recorded twice (a derived file's value replaces its base's).
  void add_nodes(const YAML::Node& node, int file);
  // Records that `node` and everything under it came from `--set <text>`.
  void add_override(const YAML::Node& node, const std::string& text);

  Location location(const YAML::Node& node) const;
  std::string where(const YAML::Node& node) const;
  // The folder of the file that wrote `node` ("" for the current folder), for the relative paths
  // a topology names (traces, edge lists).
  std::string dir_of(const YAML::Node& node) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;
  [[noreturn]] void fail_at(Location loc, const std::string& message) const;

 private:
  int origin_of(const YAML::Node& node) const;
  void record(const YAML::Node& node, int origin, size_t& budget, const std::string& text);

  std::vector<std::string> origins_;
  // By (line, column, position) of the mark: the recorded nodes there and their origins.
  std::map<std::tuple<int, int, int>, std::vector<std::pair<YAML::Node, int>>> recorded_;
};

class MapReader {
 public:
  // REQUIRES: nothing; fails with a clear error when `node` is not a map or has keys outside `allowed`.
  MapReader(const Source& src, const YAML::Node& node, const std::string& what, std::vector<std::string> allowed);

  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  // The value of `key`; fails naming `what` when absent.
  YAML::Node require(const std::string& key) const;
  YAML::Node get(const std::string& key) const;  // null node when absent
  Location key_location(const std::string& key) const;
  const YAML::Node& node() const { return node_; }
  // Keys in file order.
  const std::vector<std::string>& keys() const { return order_; }

 private:
  const Source& src_;
  YAML::Node node_;
  std::string what_;
  std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries_;
  std::vector<std::string> order_;
};

// Typed scalar readers. Each fails with a message naming the expected form.
std::string read_string(const Source& src, const YAML::Node& node, const std::string& what);
int64_t read_int(const Source& src, const YAML::Node& node, const std::string& what, int64_t min, int64_t max);
// An integer or the word `unbounded` (returned as -1).
int64_t read_int_or_unbounded(const Source& src, const YAML::Node& node, const std::string& what, int64_t min,
                              int64_t max);
double read_number(const Source& src, const YAML::Node& node, const std::string& what, double min, double max);
bool read_bool(const Source& src, const YAML::Node& node, const std::string& what);
// A duration or the name of a latency-table entry.
double read_duration(const Source& src, const YAML::Node& node, const LatencyTable& table, const std::string& what,
                     bool allow_zero = true);
double read_size(const Source& src, const YAML::Node& node, const std::string& what);
double read_rate(const Source& src, const YAML::Node& node, const std::string& what);
double read_bandwidth(const Source& src, const YAML::Node& node, const std::string& what);
Distribution read_distribution(const Source& src, const YAML::Node& node, const LatencyTable& table,
                               const std::string& what);
std::vector<std::string> read_string_list(const Source& src, const YAML::Node& node, const std::string& what);


// Applies `--set a.b.c=value` to the document: the value is YAML (a scalar, or a flow list or map
// such as `[a, b]` or `{crash: app, at: 5s}`) and replaces the node at the path or creates it. A
// segment that is a whole number indexes a list (one past its end appends). A missing map on the
// way is created unless its name is near an existing key (then it is taken for a typo and refused
// with the key meant). Fails as a ConfigError naming the override.
void apply_override(Source& src, YAML::Node& root, const std::string& assignment);

// `node` written as one line of flow YAML (`{crash: app, at: 5s}`), as --set takes it.
std::string flow_text(const YAML::Node& node);

}  // namespace archsim
