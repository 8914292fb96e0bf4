// A Kafka-like topic and its consumer group (`kind: queue`): producers send an enqueue and go on
// as soon as it is acknowledged; consumers process the messages later, asynchronously.
//
// The topic has `partitions`; a message's key picks its partition (hash mod partitions, as
// Kafka's default partitioner), and it becomes visible to consumers when it is acknowledged
// (after `ack_delay`, the replication before the ack). Each consumer handles one message at a
// time: `service_time`, then the downstream `calls` in order, like a service. An attempt fails
// with `failure_probability`, or when a downstream call fails; the consumer then waits
// `retry_backoff` (times `backoff_multiplier` per further attempt) and tries again, holding the
// partition meanwhile so its order is kept; after `max_attempts` the message goes to the
// dead-letter queue. Processing is at least once: a retried message repeats its calls.
//
// Ordering `partition` (Kafka): partition p belongs to consumer p mod consumers, so messages of
// one partition are processed one at a time in order, and consumers beyond the partition count
// sit idle. Ordering `none` (SQS-like competing consumers): any idle consumer takes the oldest
// message, so the group behaves as one M/M/c queue instead of c separate M/M/1 queues.
//
// Left out on purpose: rebalancing, offsets committed in batches, consumer crashes and
// duplicate delivery after them, retention, message sizes on disk. The broker and its consumers
// share one host: the consumers' downstream calls leave from it.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "models/common/station.hpp"
#include "sim/support/distribution.hpp"
#include "models/common/message.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"
#include "models/queue/queue_spec.hpp"

namespace archsim {

class Queue : public ModelNode {
 public:
  struct Params {
    QueueSpec spec;
    std::vector<std::vector<ResolvedCall>> calls_by_type;  // index: request type
    CallTarget dead_letter_to;  // no replicas: dead-lettered messages are counted and dropped
  };
  // One message of the topic.
  struct Record {
    uint64_t key = 0;
    uint64_t request_id = 0;
    NodeId origin = 0;
    uint16_t type = 0;
    bool is_write = false;
    double request_bytes = 0, response_bytes = 0;
    double enqueued = 0;  // when it was acknowledged (visible to consumers)
    int64_t attempts = 0;
    bool measured = false;
    size_t partition = 0;
  };

  Queue(Params params, ComponentStats* stats, Rng rng);

  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;

  // Sends a message to the dead-letter queue: counted, then enqueued to `dead_letter_to` (another
  // queue) when there is one, else dropped. Consumers do it after `max_attempts`; a fault model may
  // route undeliverable work here too.
  void dead_letter(Context& ctx, const Record& r);
  uint64_t dead_lettered() const { return stats_->queue->dead_lettered_total; }
  uint64_t backlog() const { return backlog_; }

 private:
  struct Consumer {
    bool busy = false;
    Record rec;
    size_t next_call = 0;
    int pending = 0;
    Status status = Status::Ok;
  };
  void commit(Context& ctx, MessagePtr msg);
  void dispatch(Context& ctx);
  bool take(size_t consumer, Record* out);
  void start(Context& ctx, size_t consumer);
  void advance(Context& ctx, size_t consumer);
  void attempt_failed(Context& ctx, size_t consumer);
  void done(Context& ctx, size_t consumer);
  void release(Context& ctx, size_t consumer, const Record& r);
  void send_call(Context& ctx, size_t consumer, const ResolvedCall& c);
  NodeId pick(const CallTarget& t, uint64_t key, bool write);

  Params p_;
  ComponentStats* stats_;
  Rng rng_;
  std::vector<std::deque<Record>> partitions_;  // ordering partition: waiting messages per partition
  std::deque<Record> shared_;                   // ordering none: one FIFO for the group
  std::vector<uint64_t> lag_;                   // per partition: unfinished messages
  std::vector<Consumer> consumers_;
  std::unordered_map<uint64_t, MessagePtr> acks_;  // enqueues waiting for their ack_delay
  uint64_t next_ack_ = 1;
  uint64_t backlog_ = 0;
  uint64_t rr_ = 0;
};

}  // namespace archsim
