#include "sim/support/sharding.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <numeric>

#include "sim/support/random.hpp"

namespace archsim {

const char* to_string(ShardStrategy s) {
  switch (s) {
    case ShardStrategy::HashMod:
      return "hash_mod";
    case ShardStrategy::ConsistentHash:
      return "consistent_hash";
    case ShardStrategy::Range:
      return "range";
    case ShardStrategy::Directory:
      return "directory";
  }
  return "?";
}

ShardMap::ShardMap(const ShardingSpec& spec, int64_t shards) : spec_(spec), shards_(shards) {
  assert(shards >= 1);
  switch (spec_.strategy) {
    case ShardStrategy::HashMod:
      break;
    case ShardStrategy::ConsistentHash: {
      int64_t v = std::max<int64_t>(spec_.vnodes, 1);
      ring_.reserve(static_cast<size_t>(shards * v));
      for (int64_t s = 0; s < shards; ++s)
        for (int64_t i = 0; i < v; ++i)
          ring_.emplace_back(mix64(mix64(static_cast<uint64_t>(s) + 0x9e3779b97f4a7c15ULL) ^ static_cast<uint64_t>(i)),
                             static_cast<uint32_t>(s));
      std::sort(ring_.begin(), ring_.end());
      break;
    }
    case ShardStrategy::Range:
      assert(spec_.boundaries.size() == static_cast<size_t>(shards - 1));
      range_ids_.resize(static_cast<size_t>(shards));
      std::iota(range_ids_.begin(), range_ids_.end(), 0u);
      break;
    case ShardStrategy::Directory:
      buckets_.resize(kDirectoryBuckets);
      for (uint64_t b = 0; b < kDirectoryBuckets; ++b) buckets_[b] = static_cast<uint32_t>(b % static_cast<uint64_t>(shards));
      break;
  }
}

uint32_t ShardMap::shard_of(uint64_t key) const {
  switch (spec_.strategy) {
    case ShardStrategy::HashMod:
      return static_cast<uint32_t>(mix64(key) % static_cast<uint64_t>(shards_));
    case ShardStrategy::ConsistentHash: {
      uint64_t h = mix64(key);
      auto it = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(h, uint32_t(0)));
      if (it == ring_.end()) it = ring_.begin();
      return it->second;
    }
    case ShardStrategy::Range:
      return range_ids_[static_cast<size_t>(std::upper_bound(spec_.boundaries.begin(), spec_.boundaries.end(), key) -
                                            spec_.boundaries.begin())];
    case ShardStrategy::Directory:
      return buckets_[mix64(key) % kDirectoryBuckets];
  }
  return 0;
}

ShardMap ShardMap::rebalanced(const ShardMap& previous, int64_t shards) {
  assert(previous.spec_.strategy == ShardStrategy::Directory);
  ShardMap m = previous;
  m.shards_ = shards;
  // Target: every shard holds floor or ceil(buckets / shards) buckets. Buckets of removed shards
  // and the surplus of overfull shards move to the emptiest shards; nothing else moves.
  uint64_t n = static_cast<uint64_t>(shards);
  std::vector<uint64_t> target(n, kDirectoryBuckets / n);
  for (uint64_t s = 0; s < kDirectoryBuckets % n; ++s) ++target[s];
  std::vector<uint64_t> held(n, 0);
  std::vector<size_t> loose;
  for (size_t b = 0; b < m.buckets_.size(); ++b) {
    uint32_t s = m.buckets_[b];
    if (s < n && held[s] < target[s]) ++held[s];
    else loose.push_back(b);
  }
  size_t next = 0;
  for (uint64_t s = 0; s < n; ++s)
    while (held[s] < target[s]) {
      m.buckets_[loose[next++]] = static_cast<uint32_t>(s);
      ++held[s];
    }
  return m;
}

ShardMap ShardMap::resplit(const ShardMap& previous, int64_t shards, const std::vector<uint64_t>& keys) {
  assert(previous.spec_.strategy == ShardStrategy::Range);
  std::vector<uint64_t> b = previous.spec_.boundaries;
  std::vector<uint32_t> ids = previous.range_ids_;
  uint32_t next_id = ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end()) + 1;
  std::vector<uint64_t> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  // Keys of range i: [lo(i), hi(i)) as indices into `sorted`.
  auto lo = [&](size_t i) {
    return i == 0 ? size_t(0) : static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), b[i - 1]) - sorted.begin());
  };
  auto hi = [&](size_t i) {
    return i == b.size() ? sorted.size()
                         : static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), b[i]) - sorted.begin());
  };
  while (static_cast<int64_t>(b.size()) + 1 < shards) {
    size_t fullest = 0, most = 0;
    for (size_t i = 0; i <= b.size(); ++i)
      if (hi(i) - lo(i) > most) {
        most = hi(i) - lo(i);
        fullest = i;
      }
    if (most < 2) break;  // nothing left to split
    uint64_t median = sorted[lo(fullest) + most / 2];
    b.insert(b.begin() + static_cast<long>(fullest), median);
    ids.insert(ids.begin() + static_cast<long>(fullest) + 1, next_id++);
  }
  while (static_cast<int64_t>(b.size()) + 1 > shards) {
    size_t best = 0, fewest = SIZE_MAX;
    for (size_t i = 0; i < b.size(); ++i) {
      size_t pair = hi(i + 1) - lo(i);
      if (pair < fewest) {
        fewest = pair;
        best = i;
      }
    }
    // Ranges best and best + 1 merge into the fuller one's shard.
    if (hi(best) - lo(best) < hi(best + 1) - lo(best + 1)) ids[best] = ids[best + 1];
    ids.erase(ids.begin() + static_cast<long>(best) + 1);
    b.erase(b.begin() + static_cast<long>(best));
  }
  ShardMap m = previous;
  m.spec_.boundaries = b;
  m.range_ids_ = ids;
  m.shards_ = static_cast<int64_t>(b.size()) + 1;
  return m;
}

namespace {

// The fraction of keys with h mod from != h mod to, for h uniform: exact over one period.
double mod_moved_fraction(int64_t from, int64_t to) {
  uint64_t a = static_cast<uint64_t>(from), b = static_cast<uint64_t>(to);
  uint64_t period = a / std::gcd(a, b) * b;
  if (period > 20000000) return -1;
  uint64_t stay = 0;
  for (uint64_t x = 0; x < period; ++x) stay += x % a == x % b;
  return 1 - static_cast<double>(stay) / static_cast<double>(period);
}

}  // namespace

ReshardReport reshard(const std::string& component, const ShardingSpec& spec, int64_t from, int64_t to,
                      uint64_t key_space, double value_bytes) {
  ReshardReport r;
  r.component = component;
  r.current_strategy = to_string(spec.strategy);
  r.from = from;
  r.to = to;
  r.key_space = key_space;
  r.value_bytes = value_bytes;
  // The keys placed: all of them, or an evenly strided sample of kMaxPlaced.
  std::vector<uint64_t> keys;
  uint64_t n = std::min(key_space, kMaxPlaced);
  keys.reserve(n);
  for (uint64_t i = 0; i < n; ++i)
    keys.push_back(n == key_space ? i : static_cast<uint64_t>(static_cast<double>(i) * static_cast<double>(key_space) / static_cast<double>(n)));
  r.placed = n;
  double scale = n ? static_cast<double>(key_space) / static_cast<double>(n) : 0;

  for (ShardStrategy s : {ShardStrategy::HashMod, ShardStrategy::ConsistentHash, ShardStrategy::Range, ShardStrategy::Directory}) {
    ShardingSpec sp = spec;
    sp.strategy = s;
    if (s != ShardStrategy::Range || spec.strategy != ShardStrategy::Range || sp.boundaries.size() != static_cast<size_t>(from - 1)) {
      // No boundaries of its own: equal-width ranges over the key space.
      sp.boundaries.clear();
      for (int64_t i = 1; i < from; ++i)
        sp.boundaries.push_back(static_cast<uint64_t>(static_cast<double>(key_space) * static_cast<double>(i) / static_cast<double>(from)));
    }
    ShardMap before(sp, from);
    ShardMap after = s == ShardStrategy::Directory ? ShardMap::rebalanced(before, to)
                     : s == ShardStrategy::Range   ? ShardMap::resplit(before, to, keys)
                                                   : ShardMap(sp, to);
    ReshardRow row;
    row.strategy = s;
    row.keys = n;
    for (uint64_t k : keys) row.moved += before.shard_of(k) != after.shard_of(k);
    row.fraction = n ? static_cast<double>(row.moved) / static_cast<double>(n) : 0;
    row.bytes_moved = static_cast<double>(row.moved) * scale * value_bytes;
    double lo = static_cast<double>(std::min(from, to)), hi = static_cast<double>(std::max(from, to));
    switch (s) {
      case ShardStrategy::HashMod:
        row.expected = mod_moved_fraction(from, to);
        row.expected_note = to == from + 1 ? "N/(N+1)" : "keys with h mod from != h mod to";
        break;
      case ShardStrategy::ConsistentHash:
        row.expected = (hi - lo) / hi;
        row.expected_note = to == from + 1 ? "1/(N+1)" : "|to - from| / max(to, from)";
        break;
      case ShardStrategy::Directory:
        row.expected = (hi - lo) / hi;
        row.expected_note = "the minimum: |to - from| / max(to, from)";
        break;
      case ShardStrategy::Range:
        row.expected = -1;
        row.expected_note = to > from ? "split the fullest range at its median" : "merge the emptiest neighbours";
        break;
    }
    r.rows.push_back(row);
  }
  return r;
}

}  // namespace archsim
