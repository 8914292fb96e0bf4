// A queue as the topology sets it (docs/topology.md, "Queues").
#pragma once

#include <cstdint>
#include <string>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"

namespace archsim {

// A Kafka-like topic with a consumer group (`kind: queue`).
struct QueueSpec {
  int64_t partitions = 1;
  int64_t consumers = 1;             // consumer group size; a partition belongs to one consumer
  bool ordered = true;               // ordering: partition (true) or none (competing consumers)
  Distribution service_time;         // per message, per attempt, holding its consumer
  double failure_probability = 0;    // an attempt fails (and is retried) with this probability
  int64_t max_attempts = 3;          // then the message goes to the dead-letter queue
  Distribution retry_backoff = Distribution::constant(0.1);  // before the 2nd attempt
  double backoff_multiplier = 2;     // each later backoff is this much longer
  Distribution ack_delay;            // enqueue to acknowledgement (replication before the ack)
  int64_t max_backlog = -1;          // messages; -1 = unbounded; full -> the enqueue is rejected
  std::string dead_letter_to;        // a queue receiving the dead-lettered messages; "" = count and drop
  Location dead_letter_loc;
};

}  // namespace archsim
