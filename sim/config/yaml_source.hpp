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
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"
#include "sim/support/text.hpp"
#include "sim/support/latency_table.hpp"

namespace archsim {

class Source {
 public:
  explicit Source(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  // Records that `node` came from `--set <path>=<value>`.
  void add_override(const YAML::Node& node, std::string text) { overrides_.push_back({node, std::move(text)}); }

  Location location(const YAML::Node& node) const;
  std::string where(const YAML::Node& node) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;
  [[noreturn]] void fail_at(Location loc, const std::string& message) const;

 private:
  struct Override {
    YAML::Node node;
    std::string text;
  };
  std::string path_;
  std::vector<Override> overrides_;
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


// Applies `--set a.b.c=value` to the document. Fails (as a ConfigError) when the parent path does
// not exist or the value is not a scalar.
void apply_override(Source& src, YAML::Node& root, const std::string& assignment);

}  // namespace archsim
