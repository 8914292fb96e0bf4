// A database node: a connection limit in front (`max_connections`; excess connections wait,
// they do not fail), CPU cores, and a disk that serves `io_parallelism` I/Os at full speed and
// shares itself beyond that. Reads and writes each have an I/O and a CPU demand. With several
// replicas, the key picks the replica (hash mod N), i.e. the data is sharded.
// Left out here: replication, pools, locks, buffer-pool hit ratios (put them in the io time).
#pragma once

#include "models/station.hpp"
#include "sim/distribution.hpp"

namespace archsim {

class Database : public Station {
 public:
  struct Params {
    StationParams station;
    Distribution read_io, read_cpu, write_io, write_cpu;
  };
  Database(Params params, ComponentStats* stats, Rng rng);

 protected:
  void step(Context& ctx, Job& job) override;

 private:
  Params p_;
};

}  // namespace archsim
