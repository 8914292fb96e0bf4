// `preset:` for a database component: a node's capacity from the seed's numbers (or, where the
// seed gives none, a stated assumption), so a design can say `preset: postgres` and override any
// field. docs/topology.md lists each preset with where its numbers come from.
#pragma once

#include <string>
#include <vector>

namespace archsim {

struct DatabasePreset {
  const char* name;
  int64_t cores;
  int64_t max_connections;
  int64_t io_parallelism;
  double read_io, read_cpu;    // seconds per read
  double write_io, write_cpu;  // seconds per write
  bool refuse_over_limit;      // connections past max_connections are refused
  double connection_cpu;       // CPU seconds per request per active connection
  double connection_memory;    // bytes per open connection
  const char* capacity;        // what the numbers add up to, for the docs and error messages
  const char* source;
};

const std::vector<DatabasePreset>& database_presets();
const DatabasePreset* find_database_preset(const std::string& name);

}  // namespace archsim
