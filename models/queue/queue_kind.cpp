// kind: queue (models/queue/queue.hpp).
#include <cmath>

#include <fmt/format.h>

#include "models/common/kind.hpp"
#include "models/queue/queue.hpp"

namespace archsim {
namespace {

const ParamTable& queue_table() {
  static const ParamTable t =
      ParamTable()
          .in(&Component::queue_spec)
          .count("partitions", &QueueSpec::partitions, 1, 100000,
                 "the message's key picks its partition (hash mod partitions); more partitions let more consumers "
                 "work in order")
          .count("consumers", &QueueSpec::consumers, 1, 100000, "the consumer group; each handles one message at a time")
          .choice("ordering", &QueueSpec::ordered, {{"partition", true}, {"none", false}},
                  "`partition` (Kafka): partition p belongs to consumer p mod consumers, processed in order, so "
                  "consumers beyond the partition count sit idle; `none` (competing consumers, SQS-like): any idle "
                  "consumer takes the oldest message, no order")
          .distribution("service_time", &QueueSpec::service_time, "per message and attempt, holding the consumer")
          .section("calls", "as a service's `calls`", "the consumer's downstream calls after the service time", "calls",
                   "none")
          .number("failure_probability", &QueueSpec::failure_probability, 0, 1,
                  "an attempt fails with this probability; a failed downstream call fails it too")
          .check([](const Component& c, const ParamGiven&) {
            return c.queue_spec.failure_probability >= 1
                       ? std::string("failure_probability must be below 1, or no message is ever processed")
                       : std::string();
          })
          .count("max_attempts", &QueueSpec::max_attempts, 1, 1000,
                 "after this many failed attempts the message goes to the dead-letter queue")
          .distribution("retry_backoff", &QueueSpec::retry_backoff,
                        "wait before the second attempt; the consumer holds the partition meanwhile")
          .number("backoff_multiplier", &QueueSpec::backoff_multiplier, 1, 100,
                  "each later backoff is this much longer (1 = constant)")
          .distribution("ack_delay", &QueueSpec::ack_delay,
                        "enqueue to acknowledgement (replication before the ack); the message becomes visible then")
          .count("max_backlog", &QueueSpec::max_backlog, 0, int64_t(1) << 40,
                 "unfinished messages the topic holds; beyond it an enqueue is rejected (back pressure on the "
                 "producers instead of an ever longer lag)")
          .unbounded()
          .text("dead_letter_to", &QueueSpec::dead_letter_to, &QueueSpec::dead_letter_loc,
                "another queue that receives the dead-lettered messages (else they are counted and dropped)")
          .finish([](Component& c) { c.workers = c.queue_spec.consumers; });
  return t;
}

class QueueKind final : public Kind {
 public:
  const char* name() const override { return "queue"; }
  const char* summary() const override {
    return "a topic with partitions and a consumer group that makes its calls; retries with backoff, "
           "dead-letters what keeps failing";
  }
  const ParamTable& params() const override { return queue_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "queues";
      k.dot_shape = "cds";
      k.accepts_enqueue = true;
      return k;
    }();
    return t;
  }
  void references(const Component& c, std::vector<Reference>& out) const override {
    Kind::references(c, out);
    if (c.queue_spec.dead_letter_to.empty()) return;
    Reference r;
    r.target = c.queue_spec.dead_letter_to;
    r.loc = c.queue_spec.dead_letter_loc;
    r.role = "dead_letter_to";
    r.label = "dead letters";
    r.async = true;
    r.load = false;
    out.push_back(std::move(r));
  }
  void check(const Topology& t, const Component& c, std::vector<std::string>& warnings) const override {
    const QueueSpec& q = c.queue_spec;
    if (q.ordered && q.consumers > q.partitions)
      warnings.push_back(fmt::format("{}: warning: queue '{}' has {} consumers for {} partitions; a partition belongs to "
                                     "one consumer, so {} of them sit idle",
                                     t.where(c.loc), c.name, q.consumers, q.partitions, q.consumers - q.partitions));
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    auto qs = std::make_shared<QueueStats>();
    qs->partitions = c.queue_spec.partitions;
    qs->consumers = c.queue_spec.consumers;
    qs->ordered = c.queue_spec.ordered;
    qs->lag.configure(st.window_start, st.window_end);
    st.queue = qs;
    st.workers_per_replica = c.queue_spec.consumers;
    st.cores_per_replica = 0;
    b.add_replicas(c, st, [&](size_t, Rng rng) {
      Queue::Params p;
      p.spec = c.queue_spec;
      p.calls_by_type = b.calls_by_type(c, nullptr);
      if (!c.queue_spec.dead_letter_to.empty()) p.dead_letter_to = b.target(c.queue_spec.dead_letter_to, c.region);
      return std::make_unique<Queue>(std::move(p), &st, rng);
    });
  }
  void analytic(const Component& c, const AnalyticInput&, AnalyticOutput& out) const override {
    // A consumer is held for every attempt's service time and every backoff between attempts
    // (its downstream calls are left out); with per-partition ordering only min(consumers,
    // partitions) of them ever work.
    const QueueSpec& q = c.queue_spec;
    double held = 0, reach = 1;  // reach: probability that attempt k happens
    for (int64_t k = 1; k <= q.max_attempts; ++k) {
      held += reach * q.service_time.mean();
      if (k < q.max_attempts)
        held += reach * q.failure_probability * q.retry_backoff.mean() *
                std::pow(q.backoff_multiplier, static_cast<double>(k - 1));
      reach *= q.failure_probability;
    }
    out.resources.push_back({"consumers", held, q.ordered ? std::min(q.consumers, q.partitions) : q.consumers});
    if (!c.calls.empty())
      out.notes.push_back(fmt::format("queue {}: a consumer also waits for its downstream calls, left out of its demand, "
                                      "so its utilization is a lower bound",
                                      c.name));
  }
};

}  // namespace

const Kind& queue_kind() {
  static const QueueKind k;
  return k;
}

}  // namespace archsim
