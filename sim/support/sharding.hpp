// Which shard holds a key: the four placement schemes of a sharded database or cache, and what a
// change of shard count moves.
//
// `hash_mod`: mix64(key) mod N (what `replicas: N` always did for databases and caches).
// `consistent_hash`: a ring of N x `vnodes` points; a key belongs to the first point at or after
//   its hash, so adding a shard takes keys only from the arcs its new points cut.
// `range`: N - 1 ascending `boundaries`; shard i holds [boundary i-1, boundary i). Sequential keys
//   (new user ids) all fall past the last boundary: the last shard takes every insert.
// `directory`: a lookup table of kDirectoryBuckets buckets (mix64(key) mod buckets), each assigned
//   to a shard; resharding reassigns as few buckets as keeps the shards balanced. The latency,
//   capacity and failures of the lookup are those of the `directory` component every caller goes
//   through (validate.cpp checks that nobody bypasses it).
// Left out: replica placement inside a shard (sim/scenario/scenario.cpp lays replicas out after the shard's
// primary), hot-spot splitting, rebalancing while the simulation runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace archsim {

enum class ShardStrategy { HashMod, ConsistentHash, Range, Directory };
const char* to_string(ShardStrategy s);

struct ShardingSpec {
  bool given = false;                  // `sharding:` present
  ShardStrategy strategy = ShardStrategy::HashMod;
  std::string key = "key";             // the request attribute sharded on: documentation, every request has one key
  int64_t vnodes = 150;                // consistent_hash: ring points per shard; more = evener, larger ring
  std::vector<uint64_t> boundaries;    // range: N - 1 ascending split keys
  std::string directory;               // directory: the component every caller reaches the shards through
};

inline constexpr uint64_t kDirectoryBuckets = 4096;

class ShardMap {
 public:
  // REQUIRES: shards >= 1; for range, boundaries.size() == shards - 1 and ascending.
  ShardMap(const ShardingSpec& spec, int64_t shards);
  // A directory that starts from `previous`'s bucket table and moves the fewest buckets that
  // balance `shards` shards. REQUIRES: previous is a directory map.
  static ShardMap rebalanced(const ShardMap& previous, int64_t shards);
  // A range map with `shards` ranges: the fullest range (by keys of `keys`) is split at its
  // median (the upper half becomes a new shard), or the two adjacent ranges holding the fewest
  // keys are merged (into the fuller one), until the count is right. Shard ids of a merged map may
  // exceed shards - 1: such a map serves to count moved keys, not to route.
  static ShardMap resplit(const ShardMap& previous, int64_t shards, const std::vector<uint64_t>& keys);

  uint32_t shard_of(uint64_t key) const;
  int64_t shards() const { return shards_; }
  ShardStrategy strategy() const { return spec_.strategy; }
  const std::vector<uint64_t>& boundaries() const { return spec_.boundaries; }

 private:
  ShardingSpec spec_;
  int64_t shards_ = 1;
  std::vector<std::pair<uint64_t, uint32_t>> ring_;  // consistent_hash: (point, shard), sorted
  std::vector<uint32_t> buckets_;                    // directory: bucket -> shard
  std::vector<uint32_t> range_ids_;                  // range: range i -> shard id (ranges keep their id across a resplit)
};

// What resharding a component from its current shard count to `to` moves, per strategy, measured
// by placing every key of the workload's key space under both maps.
struct ReshardRow {
  ShardStrategy strategy;
  uint64_t keys = 0;       // keys placed
  uint64_t moved = 0;      // keys whose shard changed
  double fraction = 0;     // moved / keys
  double expected = -1;    // the textbook fraction where there is one (-1: none)
  std::string expected_note;
  double bytes_moved = 0;  // moved x value size, scaled to the whole key space when it was sampled
};
struct ReshardReport {
  std::string component;
  std::string current_strategy;
  int64_t from = 1, to = 1;
  uint64_t key_space = 0;  // distinct keys of the workload
  uint64_t placed = 0;     // keys actually placed (a deterministic sample beyond kMaxPlaced)
  double value_bytes = 0;
  std::vector<ReshardRow> rows;
};
inline constexpr uint64_t kMaxPlaced = 2000000;

// REQUIRES: from, to >= 1. `spec` is the component's sharding (its range boundaries and vnodes are
// reused); the keys are 0..key_space-1.
ReshardReport reshard(const std::string& component, const ShardingSpec& spec, int64_t from, int64_t to,
                      uint64_t key_space, double value_bytes);

}  // namespace archsim
