#include "sim/support/latency_table.hpp"

namespace archsim {

LatencyTable::LatencyTable() {
  const LatencyEntry builtins[] = {
      {"l1_cache_ref", 0.5e-9, "L1 cache reference", true},
      {"l2_cache_ref", 7e-9, "L2 cache reference", true},
      {"mutex_lock", 25e-9, "mutex lock/unlock", true},
      {"main_memory_ref", 100e-9, "main memory reference", true},
      {"ssd_random_read", 150e-6, "SSD random read (4 KB)", true},
      {"hdd_seek", 10e-3, "HDD seek", true},
      {"same_dc_rtt", 500e-6, "network round trip, same datacenter", true},
      {"cross_continent_rtt", 150e-3, "network round trip, cross-continental", true},
      {"read_1mb_memory", 250e-6, "read 1 MB sequentially from memory", true},
      {"read_1mb_ssd", 1e-3, "read 1 MB sequentially from SSD", true},
      {"read_1mb_hdd", 20e-3, "read 1 MB sequentially from disk", true},
  };
  for (const auto& e : builtins) {
    index_[e.name] = entries_.size();
    entries_.push_back(e);
  }
}

std::optional<double> LatencyTable::lookup(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return entries_[it->second].seconds;
}

bool LatencyTable::is_builtin(const std::string& name) const {
  auto it = index_.find(name);
  return it != index_.end() && entries_[it->second].builtin;
}

void LatencyTable::set(const std::string& name, double seconds, const std::string& description) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    entries_[it->second].seconds = seconds;
    entries_[it->second].description = description;
    entries_[it->second].builtin = false;
    return;
  }
  index_[name] = entries_.size();
  entries_.push_back({name, seconds, description, false});
}

std::vector<LatencyEntry> LatencyTable::entries() const { return entries_; }

std::vector<std::string> LatencyTable::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

}  // namespace archsim
