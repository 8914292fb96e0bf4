#include "models/object_store/object_store.hpp"

#include <algorithm>

#include "sim/support/critical_path.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

ObjectStore::Prefixes::Prefixes(const Params& p)
    : reads(static_cast<size_t>(p.prefixes)),
      writes(static_cast<size_t>(p.prefixes)),
      requests(static_cast<size_t>(p.prefixes), 0) {
  for (auto& b : reads) b.tokens = p.read_limit * p.burst;
  for (auto& b : writes) b.tokens = p.write_limit * p.burst;
}

ObjectStore::ObjectStore(const Params& p, std::shared_ptr<Prefixes> prefixes, ComponentStats* stats, Rng rng)
    : p_(p),
      stats_(stats),
      rng_(rng),
      prefixes_(std::move(prefixes)),
      throttled_(&stats->counters["throttled"]),
      bytes_read_(&stats->counters["bytes_read"]),
      bytes_written_(&stats->counters["bytes_written"]) {}

const ParamTable& ObjectStore::table() {
  static const ParamTable t =
      ParamTable::of<Params>()
          .distribution("first_byte", &Params::first_byte,
                        "time to the first byte of every request; S3's performance guide quotes 100-200 ms for small "
                        "objects, a faster tier (S3 Express) single-digit ms at a higher price per request")
          .bandwidth("bandwidth", &Params::bandwidth,
                     "throughput of one request once the first byte is there (S3: about 85-90 MB/s per connection); "
                     "a large object is bandwidth-bound, which is why clients split it into parallel ranged requests")
          .size("object_size", &Params::object_size,
                "size of every object; 0 = the request type's sizes (a GET returns response_bytes, a PUT sends "
                "request_bytes)")
          .count("prefixes", &Params::prefixes, 1, 1000000,
                 "key prefixes the keys spread over (a key's hash mod this); each has its own rate limits, so more "
                 "prefixes give more aggregate rate, for a key layout that lists less easily")
          .rate("read_limit", &Params::read_limit,
                "GET/HEAD requests per second per prefix before throttling (S3: 5,500); above it requests are "
                "refused at once (503 Slow Down) and count as rejected")
          .rate("write_limit", &Params::write_limit,
                "PUT/COPY/POST/DELETE requests per second per prefix before throttling (S3: 3,500)")
          .duration("burst", &Params::burst,
                    "seconds of the limit a prefix may spend at once: a longer burst lets short spikes through, a "
                    "shorter one throttles them",
                    false)
          .count("endpoints", &Params::endpoints, 1, 10000,
                 "front-end hosts the requests spread over (round robin), each with the network's host bandwidth: "
                 "fewer model a store whose NICs bound its throughput");
  return t;
}

bool ObjectStore::admit(Bucket& b, double limit, double now) {
  b.tokens = std::min(limit * p_.burst, b.tokens + (now - b.at) * limit);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void ObjectStore::on_message(Context& ctx, MessagePtr msg) {
  if (msg->is_response) return;  // the store calls nobody
  double t = ctx.now();
  bool measured = stats_->in_window(t);
  size_t prefix = static_cast<size_t>(mix64(msg->key) % static_cast<uint64_t>(p_.prefixes));
  if (measured) {
    ++stats_->arrivals;
    ++prefixes_->requests[prefix];
  }
  bool write = msg->is_write;
  Bucket& b = write ? prefixes_->writes[prefix] : prefixes_->reads[prefix];
  if (!admit(b, write ? p_.write_limit : p_.read_limit, t)) {
    if (measured) {
      ++stats_->rejected;
      ++*throttled_;
    }
    stats_->series.record(t, 0, false);
    answer(ctx, std::move(msg), Status::Rejected);
    return;
  }
  double size = p_.object_size > 0 ? p_.object_size : write ? msg->request_bytes : msg->response_bytes;
  if (measured) *(write ? bytes_written_ : bytes_read_) += static_cast<uint64_t>(size);
  double service = p_.first_byte.sample(rng_) + size * 8 / p_.bandwidth;
  uint64_t slot;
  if (free_.empty()) {
    slot = pending_.size();
    pending_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  Pending& pd = pending_[slot];
  pd.arrived = t;
  pd.network_in = t - msg->sent_at;
  pd.measured = measured;
  pd.request = std::move(msg);
  stats_->in_system.add(t, 1);
  ctx.start_timer(service, slot);
}

void ObjectStore::on_timer(Context& ctx, uint64_t slot) {
  double t = ctx.now();
  Pending& pd = pending_[slot];
  MessagePtr resp = std::move(pd.request);
  if (pd.measured) {
    ++stats_->completed;
    stats_->residence.record(t - pd.arrived);
  }
  stats_->series.record(t, t - pd.arrived, true);
  stats_->in_system.add(t, -1);
  NodeId self = ctx.self();
  // The store's pieces of the critical path: the hop in and its service (a request carries none).
  PathEntry io{self, cause::kIo, t - pd.arrived};
  if (pd.network_in > 0) resp->path.assign({PathEntry{self, cause::kNetwork, pd.network_in}, io});
  else resp->path.assign(1, io);
  free_.push_back(slot);
  answer(ctx, std::move(resp), Status::Ok);
}

void ObjectStore::on_end(Context&) {
  uint64_t hottest = 0;
  for (uint64_t n : prefixes_->requests) hottest = std::max(hottest, n);
  stats_->counters["hottest_prefix_requests"] = hottest;  // the same from every front end
}

}  // namespace archsim
