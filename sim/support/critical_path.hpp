// Where a request's time went: its critical path, cut into (node, cause) pieces.
//
// Every hop adds its pieces as the request travels: the callee notes the network time of the
// request that reached it, its wait for a worker (contention; at a database, a connection), its
// CPU, disk and plain delay; the caller notes the network time of the response and, of a group of
// downstream calls, keeps only the pieces of the answer it waited for last (the critical one);
// what the caller waited beyond that answer's own time (a hedge's delay) is "downstream". The
// pieces of a completed request add up to its end-to-end latency.
//
// Memory does not grow with the number of requests: the client folds each completed request's
// pieces into per-latency-bucket sums (buckets 2% wide) and forgets the request. "Requests above
// the p99" are then the slowest buckets holding 1% of the requests: a streaming approximation at
// the bucket's 2% latency resolution (the bucket holding the p99 itself counts as above it).
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "sim/engine/ids.hpp"
#include "sim/support/id_map.hpp"

namespace archsim {

// Where a request's time went, one piece of its critical path: `seconds` spent at node `node`
// for `cause` (sim/support/critical_path.hpp names the causes). A response carries the pieces of the
// subtree that answered it, so the client can add them up when the request completes.
struct PathEntry {
  NodeId node = 0;
  uint8_t cause = 0;
  double seconds = 0;
};
// A request's pieces so far, or a response's subtree. Kept inline up to a depth that covers the
// shipped designs' paths (a hop adds two to four pieces), so that passing a path from hop to hop
// does not allocate; a longer path spills to the heap.
using Path = boost::container::small_vector<PathEntry, 12>;

namespace cause {
inline constexpr uint8_t kNetwork = 0;     // on the wire to or from the node (latency and bandwidth)
inline constexpr uint8_t kQueue = 1;       // waiting for a worker (a database: a connection)
inline constexpr uint8_t kCpu = 2;         // on the cores, processor-shared with other requests
inline constexpr uint8_t kIo = 3;          // on the disk, shared with other I/Os
inline constexpr uint8_t kDelay = 4;       // holding a worker without CPU (`delay`, a cache's `hit`, a balancer's `delay`)
inline constexpr uint8_t kDownstream = 5;  // waiting on calls beyond the used answer's own time (hedges, failed attempts, backoff)
inline constexpr uint8_t kReplication = 6; // inside a replicated store's protocol: leader forwarding, quorum rounds, log syncs
inline constexpr uint8_t kCount = 7;
}  // namespace cause
const char* cause_name(uint8_t c);

class CriticalPathStats {
 public:
  // Folds one completed request in. `path` may name a (node, cause) several times.
  void record(double latency, const Path& path);
  void merge(const CriticalPathStats& other);

  struct Totals {
    uint64_t requests = 0;
    double latency_sum = 0;                                // seconds, over those requests
    std::map<std::pair<NodeId, uint8_t>, double> seconds;  // (node, cause) → seconds
  };
  // The slowest requests holding the top `1 - q` of them (at bucket resolution) and their
  // lower latency bound; q = 0 gives every request.
  Totals above(double q, double* threshold = nullptr) const;
  uint64_t requests() const;

 private:
  static int bucket_of(double latency);
  // A latency bucket while requests are folded in: hashed, since record() runs once per request
  // and once per entry of its path; above() orders what it reads.
  struct Bucket {
    uint64_t requests = 0;
    double latency_sum = 0;
    IdMap<double, UINT64_MAX> seconds;  // (node << 8 | cause) -> seconds
  };
  static uint64_t pack(NodeId node, uint8_t cause) { return (static_cast<uint64_t>(node) << 8) | cause; }
  std::unordered_map<int, Bucket> buckets_;
};

}  // namespace archsim
