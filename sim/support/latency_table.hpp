// The named latencies of the classic "numbers every engineer should know" table.
//
// A topology may refer to any entry by name wherever a duration is expected
// (`io: ssd_random_read`, `rtt: cross_continent_rtt`) and may add entries of its own. Shadowing a
// built-in needs `override: true`, so a typo cannot silently change a physical constant. Network
// entries are round trips: a link's one-way latency is half its rtt.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace archsim {

struct LatencyEntry {
  std::string name;
  double seconds;
  std::string description;
  bool builtin;
};

class LatencyTable {
 public:
  LatencyTable();  // the built-in entries
  std::optional<double> lookup(const std::string& name) const;
  bool is_builtin(const std::string& name) const;
  void set(const std::string& name, double seconds, const std::string& description);
  std::vector<LatencyEntry> entries() const;  // in table order: built-ins first
  std::vector<std::string> names() const;

 private:
  std::vector<LatencyEntry> entries_;
  std::map<std::string, size_t> index_;
};

}  // namespace archsim
