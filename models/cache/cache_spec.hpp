// A cache's policies as the topology sets them (docs/topology.md, "Caches").
#pragma once

#include <cstdint>

namespace archsim {

// Caches (docs/topology.md): which key leaves when a new one needs room, and how writes meet the backend.
enum class CacheEviction { Lru, Lfu, Fifo };
enum class WritePolicy { ReadThrough, CacheAside, WriteThrough, WriteBehind };
const char* to_string(WritePolicy p);

}  // namespace archsim
