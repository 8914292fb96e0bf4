#include "sim/config/database_presets.hpp"

namespace archsim {

const std::vector<DatabasePreset>& database_presets() {
  // name, cores, max_connections, io_parallelism, read io/cpu, write io/cpu, refuse, connection cpu, memory
  static const std::vector<DatabasePreset> presets = {
      {"postgres", 16, 500, 10, 0, 320e-6, 1e-3, 100e-6, true, 1e-6, 10e6,
       "50k reads/s (CPU: 16 cores x 320us), 10k writes/s (WAL flushes: 10 x 1ms), 500 connections",
       "the seed: a single node serves about 50k QPS and about 10k writes/s, and PostgreSQL caps practical "
       "concurrency around 500-1000 connections without a pooler. Past max_connections a new connection is "
       "refused ('sorry, too many clients already'); each backend is a process of ~10MB, and each active "
       "connection adds ~1us of CPU per query (snapshots scan every backend; context switches), which halves "
       "throughput near 320 active connections"},
      {"mysql", 16, 1000, 10, 0, 320e-6, 1e-3, 100e-6, true, 0.5e-6, 1e6,
       "50k reads/s, 10k writes/s, 1000 connections",
       "no MySQL figure in the seed: the same node class as postgres (50k reads/s, 10k writes/s). Threads "
       "instead of processes: ~1MB per connection and half PostgreSQL's per-connection CPU (an assumption); "
       "'Too many connections' past max_connections"},
      {"cassandra", 8, 10000, 32, 500e-6, 400e-6, 50e-6, 200e-6, false, 0, 0,
       "20k reads/s (CPU: 8 x 400us), 40k writes/s (CPU: 8 x 200us)",
       "no Cassandra figure in the seed (it names Cassandra as an AP store): an assumption of a few 10k ops/s "
       "per 8-core node, writes cheaper than reads (commit-log append + memtable vs. SSTable reads); "
       "the native protocol multiplexes requests, so connections are not the limit"},
      {"dynamodb", 1, 100000, 100000, 2e-3, 333e-6, 4e-3, 1e-3, false, 0, 0,
       "per partition: 3000 reads/s, 1000 writes/s, or any mix (1 / 3000 s per read, 1 / 1000 s per write)",
       "AWS's documented per-partition limits (3,000 read and 1,000 write capacity units per second); one "
       "node is one partition, so shards are partitions. Single-digit-millisecond latency as io. HTTP: no "
       "connection limit"},
      {"redis", 1, 10000, 1, 0, 10e-6, 0, 10e-6, true, 0, 20e3,
       "100k ops/s (one thread x 10us), 10000 clients",
       "the seed: a single Redis instance handles ~100K ops/second (single-threaded; ~1M with pipelining, "
       "which this model does not do: lower `read.cpu` to try it). maxclients defaults to 10000, past it "
       "'ERR max number of clients reached'"},
  };
  return presets;
}

const DatabasePreset* find_database_preset(const std::string& name) {
  for (const auto& p : database_presets())
    if (name == p.name) return &p;
  return nullptr;
}

}  // namespace archsim
