// A cache's policies as the topology sets them (docs/topology.md, "Caches").
#pragma once

#include <cstdint>
#include <string>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"

namespace archsim {

// Caches (docs/topology.md): which key leaves when a new one needs room, and how writes meet the backend.
enum class CacheEviction { Lru, Lfu, Fifo };
enum class WritePolicy { ReadThrough, CacheAside, WriteThrough, WriteBehind };
const char* to_string(WritePolicy p);

// What a cache is (`kind: cache`, docs/topology.md), declared once: the loader fills it, the model
// (cache.hpp) takes it with its wiring beside it. The station part (replicas, cores, workers,
// queue, cpu) is the component's own.
struct CacheSpec {
  int64_t capacity = 0;          // entries per replica (when capacity_bytes is 0); more = higher hit ratio, more memory
  double capacity_bytes = 0;     // > 0: bytes per replica instead, each value charged its size
  double value_size = 0;         // bytes of a cached value; 0 = the request type's response size (a write's request size)
  CacheEviction eviction = CacheEviction::Lru;
  double ttl = 0;                // seconds; 0 = entries never expire. Shorter = fresher data, more misses and stampedes
  WritePolicy write_policy = WritePolicy::ReadThrough;
  double flush_interval = 1;     // write_behind, seconds: longer = fewer, larger batches, more writes at risk
  bool coalesce_misses = false;  // one backend read per key in flight; waiters pay the read's latency
  int64_t vnodes = 150;          // replicas > 1: points per replica on the consistent-hash ring
  bool warm = false;             // start full with the most popular keys this replica owns (not a cold start)
  Distribution hit;              // lookup time of a hit
  std::string backend;           // the component a miss reads (and a write goes to)
  Location backend_loc, write_policy_loc, coalesce_loc;
};

}  // namespace archsim
