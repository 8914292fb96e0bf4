// An object store (S3-like blob storage): a GET or PUT is answered after the first-byte latency
// plus the object's size over the per-request bandwidth, unless the request's key prefix is over
// its request-rate limit, when it is refused at once ("503 Slow Down").
//
// The store scales out, as S3 does: requests spread round robin over `endpoints` front-end hosts
// (each with the network's host bandwidth), no worker pool or queue bounds them, and the
// per-prefix rates, shared by all the front ends, are its only limits. A key's prefix is its hash mod `prefixes` (a design
// that spreads keys over more prefixes gets more aggregate rate). Each prefix has one token bucket
// for reads and one for writes, refilled at the limit and holding `burst` seconds of it.
//
// The object travels over the network like every message (the host's NIC, region links); the
// size-over-bandwidth time here is the store's own per-request throughput, below the NIC's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/message.hpp"
#include "models/common/params.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"

namespace archsim {

class ObjectStore : public ModelNode {
 public:
  struct Params : ParamBlock {
    // S3's performance guide: 100-200 ms for small objects; lower = a faster tier (S3 Express:
    // single-digit ms) at a higher price per request.
    Distribution first_byte = Distribution::constant(100e-3);
    // Per-request throughput (S3: about 85-90 MB/s per connection); large objects are
    // bandwidth-bound, which is why clients split them into parallel ranged requests.
    double bandwidth = 720e6;
    // 0: the request type's sizes (a GET returns its response_bytes, a PUT sends its request_bytes).
    double object_size = 0;
    // Key prefixes the keys spread over; more prefixes = more aggregate rate, at the cost of a
    // key layout that lists less easily.
    int64_t prefixes = 1;
    double read_limit = 5500;   // GET/HEAD per second per prefix (S3)
    double write_limit = 3500;  // PUT/COPY/POST/DELETE per second per prefix (S3)
    // Seconds of the limit a prefix may spend at once: short bursts above the rate pass.
    double burst = 1;
    // Front-end hosts the requests spread over, each with the network's host bandwidth.
    int64_t endpoints = 100;
  };

  // What the front ends of one store share: each prefix's token buckets and request counts.
  struct Prefixes {
    struct Bucket {
      double tokens = 0;
      double at = 0;
    };
    std::vector<Bucket> reads, writes;
    std::vector<uint64_t> requests;  // in the measured window, by prefix
    explicit Prefixes(const Params& p);
  };

  ObjectStore(const Params& p, std::shared_ptr<Prefixes> prefixes, ComponentStats* stats, Rng rng);

  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;

  // The parameter table (models/common/params.hpp).
  static const ParamTable& table();

 private:
  using Bucket = Prefixes::Bucket;
  struct Pending {
    MessagePtr request;
    double arrived = 0;
    double network_in = 0;
    bool measured = false;
  };
  bool admit(Bucket& b, double limit, double now);

  const Params& p_;
  ComponentStats* stats_;
  Rng rng_;
  std::shared_ptr<Prefixes> prefixes_;
  std::vector<Pending> pending_;
  std::vector<uint64_t> free_;
  uint64_t* throttled_;
  uint64_t* bytes_read_;
  uint64_t* bytes_written_;
};

}  // namespace archsim
