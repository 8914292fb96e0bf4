// Queues: a topic's consumer group against closed forms (c independent M/M/1 queues with per-
// partition ordering, one M/M/c queue with competing consumers), the backlog of an overloaded
// group, retries and the dead-letter queue, and topologies/order-events.yaml, all end to end
// through `archsim run`.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "tests/run_helpers.hpp"

using archsim::testing::run_json;
using archsim::testing::run_once;
using archsim::testing::source_path;
using archsim::testing::topology;
using archsim::testing::write_temp;
using nlohmann::json;

namespace {

// Erlang C: the probability that an arrival to an M/M/c queue with offered load a = λ/μ waits.
double erlang_c(int c, double a) {
  double term = 1, sum = 0;  // term = a^k / k!
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  double last = term * c / (c - a);
  return last / (sum + last);
}

}  // namespace

TEST_CASE("Queue: with per-partition ordering, 4 partitions on 4 consumers are 4 M/M/1 queues", "[queue]") {
  // System under consideration: tests/topologies/queue-partitions.yaml: λ = 2000/s of uniformly
  // keyed messages into 4 partitions, one consumer each, exponential service of mean 1 ms
  // (μ = 1000/s); 95 s measured, ~190k messages.
  // Expectations (M/M/1 per partition, λ_p = 500/s, ρ = 0.5): the delay from enqueue to processed
  // is exponential with rate μ - λ_p: mean 1/(μ - λ_p) = 2 ms within 3%, p99 ln(100)/(μ - λ_p) =
  // 9.21 ms within 5%; the mean backlog (lag summed over partitions) is λW = 4 messages within
  // 3% (Little's law); the consumers are busy a fraction ρ = 0.5 of the time; the producers'
  // latency is only the acknowledgement (zero here), whatever the consumers do.
  const json& j = run_once(topology("queue-partitions.yaml"));
  const json& q = j["components"]["topic"]["queue"];
  const double lambda = 2000, mu = 1000, lambda_p = lambda / 4;
  CHECK(q["delay_ms"]["mean"].get<double>() == Approx(1e3 / (mu - lambda_p)).epsilon(0.03));
  CHECK(q["delay_ms"]["p99"].get<double>() == Approx(1e3 * std::log(100.0) / (mu - lambda_p)).epsilon(0.05));
  CHECK(q["lag"]["mean_messages"].get<double>() == Approx(lambda * (1 / (mu - lambda_p))).epsilon(0.03));
  CHECK(j["components"]["topic"]["utilization"]["workers"].get<double>() == Approx(lambda_p / mu).epsilon(0.03));
  CHECK(j["latency_ms"]["max"].get<double>() < 0.001);
  CHECK(q["dead_lettered"].get<int>() == 0);
  CHECK(q["enqueued"].get<int64_t>() - q["processed"].get<int64_t>() <= q["lag"]["at_end_messages"].get<int64_t>());
}

TEST_CASE("Queue: competing consumers (ordering: none) are one M/M/c queue and wait less (Erlang C)", "[queue]") {
  // System under consideration: the same topic with ordering: none: any idle consumer takes the
  // oldest message, so the 4 consumers form one M/M/4 queue with a = λ/μ = 2.
  // Expectations (Erlang C): P(wait) = C(4, 2) = 0.17391; mean delay W = C/(cμ - λ) + 1/μ =
  // 1.087 ms within 3%, against 2 ms with per-partition ordering: ordering costs 0.9 ms here.
  const json& j = run_json(topology("queue-partitions.yaml"), {"--set", "components.topic.ordering=none"});
  const json& q = j["components"]["topic"]["queue"];
  const int c = 4;
  const double lambda = 2000, mu = 1000;
  double C = erlang_c(c, lambda / mu);
  REQUIRE(C == Approx(0.173913).epsilon(1e-4));
  double W = C / (c * mu - lambda) + 1 / mu;
  CHECK(q["ordering"] == "none");
  CHECK(q["delay_ms"]["mean"].get<double>() == Approx(W * 1e3).epsilon(0.03));
  CHECK(q["lag"]["mean_messages"].get<double>() == Approx(lambda * W).epsilon(0.03));
}

TEST_CASE("Queue: an overloaded consumer group's backlog grows at the arrival rate minus the service rate", "[queue]") {
  // System under consideration: queue-partitions.yaml at λ = 6000/s for 6 s: each partition
  // receives 1500/s and its consumer serves at most 1000/s.
  // Expectations: the backlog grows by λ - cμ = 2000 messages per second: between the mean
  // backlogs of seconds 1 and 5 it grows by 4 x 2000 within 5% (the Poisson noise of one second's
  // backlog is ~120 messages, so each second is only held to 2000 (s + 0.5) within 10%), and the
  // backlog at the end is
  // 2000 x 6 = 12000 within 5%; the oldest message has waited 2 s within 10% (each partition has
  // served 1000 x 6 of the 1500/s it received, so the message at its head arrived at t = 4 s).
  const json& j = run_json(topology("queue-partitions.yaml"), {"--set", "components.producers.arrival.rate=6000/s",
                                                               "--set", "run.duration=6s", "--set", "run.warmup=0s"});
  const json& q = j["components"]["topic"]["queue"];
  const json& backlog = q["backlog_by_second"];
  REQUIRE(backlog.size() == 6);
  for (size_t s = 1; s < 6; ++s) {
    INFO("second " << s);
    CHECK(backlog[s].get<double>() == Approx(2000 * (s + 0.5)).epsilon(0.1));
  }
  CHECK((backlog[5].get<double>() - backlog[1].get<double>()) / 4 == Approx(2000).epsilon(0.05));
  CHECK(q["lag"]["at_end_messages"].get<double>() == Approx(12000).epsilon(0.05));
  CHECK(q["lag"]["oldest_at_end_s"].get<double>() == Approx(2.0).epsilon(0.1));
  CHECK(j["components"]["topic"]["utilization"]["workers"].get<double>() == Approx(1.0).epsilon(0.01));
  CHECK(j["bottleneck"]["component"] == "topic");
  CHECK(j["bottleneck"]["resource"] == "consumers");
}

TEST_CASE("order-events.yaml: the shopper waits for the enqueue only; failed events are retried, then dead-lettered",
          "[queue][topologies]") {
  // System under consideration: topologies/order-events.yaml: 200 orders/s, each writes the
  // database and enqueues an event; 8 consumers process the events with 4 ms of work and an email
  // call; an attempt fails with p = 0.2, is retried after 20 ms then 40 ms, and after 3 attempts
  // the event is dead-lettered.
  // Expectations: the order's latency does not include the consumers' work or the backoffs (p99
  // under 10 ms while the events' delay p99 is over 60 ms, the first backoff plus work); every
  // finished event was retried p + p^2 = 0.24 times on average (within 15%) and dead-lettered with
  // probability p^3 = 0.008 (~3600 events, so ~29 dead-lettered: within 3 standard deviations).
  const json& j = run_once(source_path("topologies/order-events.yaml"));
  const json& q = j["components"]["order_placed"]["queue"];
  double finished = q["processed"].get<double>() + q["dead_lettered"].get<double>();
  REQUIRE(finished > 3000);
  const double p = 0.2;
  CHECK(j["latency_ms"]["p99"].get<double>() < 10.0);
  CHECK(q["delay_ms"]["p99"].get<double>() > 60.0);
  CHECK(q["retries"].get<double>() / finished == Approx(p + p * p).epsilon(0.15));
  double expected_dlq = finished * p * p * p;
  CHECK(std::abs(q["dead_lettered"].get<double>() - expected_dlq) <= 3 * std::sqrt(expected_dlq));
  CHECK(j["requests"]["failed"].get<int>() == 0);
}

TEST_CASE("order-events.yaml: with p = 0.5 and 2 attempts a quarter of the events are dead-lettered", "[queue]") {
  // Expectations: p^max_attempts = 0.25 of ~3600 finished events (about 900, one standard
  // deviation 26) dead-lettered, within 10%; one retry per failed first attempt: 0.5 per event.
  const json& j = run_json(source_path("topologies/order-events.yaml"),
                           {"--set", "components.order_placed.failure_probability=0.5", "--set",
                            "components.order_placed.max_attempts=2"});
  const json& q = j["components"]["order_placed"]["queue"];
  double finished = q["processed"].get<double>() + q["dead_lettered"].get<double>();
  REQUIRE(finished > 3000);
  CHECK(q["dead_lettered"].get<double>() / finished == Approx(0.25).epsilon(0.1));
  CHECK(q["retries"].get<double>() / finished == Approx(0.5).epsilon(0.1));
}

TEST_CASE("Queue: a failing downstream call makes the consumer retry, and dead-letters what keeps failing", "[queue]") {
  // System under consideration: 200 events/s into 2 partitions with 2 consumers, no failure of
  // their own; each event calls `sink`, which has one worker and no queue and holds it 8 ms, so a
  // call finding it busy is rejected. Two attempts, 1 ms apart.
  // Dead-lettered events go to `parked`, a queue whose one consumer takes an hour per message.
  // Expectations: rejections by the sink are downstream failures: the consumers retry (retries >
  // 0) and dead-letter events whose both attempts were rejected (> 0); the rest are processed;
  // every dead-lettered event is in parked's backlog at the end (within one still in transit).
  std::string file = write_temp("queue-downstream.yaml",
                                "name: queue-downstream\n"
                                "components:\n"
                                "  producers:\n"
                                "    kind: client\n"
                                "    arrival: {process: poisson, rate: 200/s}\n"
                                "    requests: {event: {}}\n"
                                "    target: topic\n"
                                "  topic:\n"
                                "    kind: queue\n"
                                "    partitions: 2\n"
                                "    consumers: 2\n"
                                "    calls: [sink]\n"
                                "    max_attempts: 2\n"
                                "    retry_backoff: 1ms\n"
                                "    dead_letter_to: parked\n"
                                "  parked: {kind: queue, service_time: 1h}\n"
                                "  sink: {kind: service, workers: 1, queue: 0, delay: 8ms}\n"
                                "run: {duration: 5s}\n");
  json j = run_json(file);
  const json& q = j["components"]["topic"]["queue"];
  CHECK(q["retries"].get<int>() > 0);
  CHECK(q["dead_lettered"].get<int>() > 0);
  CHECK(q["processed"].get<int>() > 0);
  CHECK(j["components"]["sink"]["rejected"].get<int>() > 0);
  CHECK(j["components"]["parked"]["queue"]["lag"]["at_end_messages"].get<int>() ==
        Approx(q["dead_lettered"].get<int>()).margin(1));
}

TEST_CASE("Queue: the analytic estimate sees the consumer group as a resource", "[queue]") {
  // System under consideration: queue-partitions.yaml, 2000 messages/s on 4 consumers at 1 ms.
  // Expectations: `archsim estimate` puts the consumers at rho = 0.5 and has them saturate at
  // 4000 messages/s, the c x mu of the closed forms above.
  auto o = archsim::testing::run_archsim({"estimate", topology("queue-partitions.yaml")});
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("50.0%") != std::string::npos);
  CHECK(o.out.find("first to saturate: topic consumers reaches rho = 1 at 4,000 req/s") != std::string::npos);
}
