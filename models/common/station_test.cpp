// Station and its subclasses, in-process on the local engine (no SimGrid): worker pools, queues,
// rejection, processor sharing, downstream calls, the cache's LRU and the load balancer.
#include <catch2/catch.hpp>

#include "models/cache/cache.hpp"
#include "models/database/database.hpp"
#include "models/load_balancer/load_balancer.hpp"
#include "models/service/service.hpp"
#include "models/common/message.hpp"
#include "sim/topology/topology.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using archsim::testing::instant_network;

namespace {

// Sends `count` requests at t = 0 to `target` and records when each answer came back.
class Probe : public ModelNode {
 public:
  Probe(NodeId target, int count, uint64_t key = 0) : target_(target), count_(count), key_(key) {}
  void on_start(Context& ctx) override {
    for (int i = 0; i < count_; ++i) {
      auto m = std::make_unique<Message>();
      m->call_id = static_cast<uint64_t>(i);
      m->key = key_;
      ctx.send(target_, std::move(m));
    }
  }
  void on_message(Context& ctx, MessagePtr msg) override {
    answers.push_back({ctx.now(), msg->status});
  }
  void on_timer(Context&, uint64_t) override {}
  std::vector<std::pair<double, Status>> answers;

 private:
  NodeId target_;
  int count_;
  uint64_t key_;
};

ComponentStats stats_for(double end) {
  ComponentStats s;
  s.configure(0, end);
  return s;
}

}  // namespace

TEST_CASE("Service: one worker serves requests one after the other", "[station]") {
  // System under consideration: a service with 1 worker, a queue of 1, 1 ms of CPU per request,
  // and an instant network; three requests arrive together at t = 0.
  // Expectations: the first answers at 1 ms, the second (queued) at 2 ms, the third finds the
  // queue full and is rejected at once.
  auto engine = make_local_engine(instant_network());
  ComponentStats stats = stats_for(1);
  Service::Params p;
  p.station.workers = 1;
  p.station.queue = 1;
  p.cpu = Distribution::constant(1e-3);
  Service svc(p, &stats, Rng(1));
  Probe probe(0, 3);
  engine->add_node("svc", 0, &svc);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  REQUIRE(probe.answers.size() == 3);
  CHECK(probe.answers[0].second == Status::Rejected);
  CHECK(probe.answers[0].first == 0.0);
  CHECK(probe.answers[1].first == Approx(1e-3));
  CHECK(probe.answers[2].first == Approx(2e-3));
  CHECK(stats.rejected == 1);
  CHECK(stats.completed == 2);
  SECTION("waiting for the worker is counted as contention") { CHECK(stats.wait_sum == Approx(1e-3)); }
}

TEST_CASE("Service: more workers than cores share the CPU", "[station]") {
  // System under consideration: 1 core, unbounded workers, 1 ms of CPU; two requests at t = 0.
  // Expectations: processor sharing: both progress at half speed and answer together at 2 ms.
  auto engine = make_local_engine(instant_network());
  ComponentStats stats = stats_for(1);
  Service::Params p;
  p.station.cores = 1;
  p.cpu = Distribution::constant(1e-3);
  Service svc(p, &stats, Rng(1));
  Probe probe(0, 2);
  engine->add_node("svc", 0, &svc);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  REQUIRE(probe.answers.size() == 2);
  CHECK(probe.answers[0].first == Approx(2e-3));
  CHECK(probe.answers[1].first == Approx(2e-3));
  SECTION("the core was busy exactly 2 ms of the 1 s window") { CHECK(stats.busy_cores.mean() == Approx(2e-3)); }
}

TEST_CASE("Service: a worker is held while downstream calls run", "[station]") {
  // System under consideration: front (1 worker, no CPU) calls back (3 ms delay); two requests at 0.
  // Expectations: thread-per-request: the second request waits for the first call to return:
  // answers at 3 ms and 6 ms.
  auto engine = make_local_engine(instant_network());
  ComponentStats fs = stats_for(1), bs = stats_for(1);
  Service::Params back;
  back.delay = Distribution::constant(3e-3);
  Service::Params front;
  front.station.workers = 1;
  ResolvedCall call;
  CallTarget target;
  target.replicas = {1};
  call.targets = {target};
  front.calls_by_type = {{call}};
  Service f(front, &fs, Rng(1)), b(back, &bs, Rng(2));
  Probe probe(0, 2);
  engine->add_node("front", 0, &f);
  engine->add_node("back", 0, &b);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  REQUIRE(probe.answers.size() == 2);
  CHECK(probe.answers[0].first == Approx(3e-3));
  CHECK(probe.answers[1].first == Approx(6e-3));
}

TEST_CASE("Cache: a miss reads through and fills, the next read hits", "[cache]") {
  // System under consideration: a cache (hit time 100 us) in front of a database (1 ms I/O);
  // the probe reads the same key twice, one after the other.
  // Expectations: the first read misses (100 us + 1 ms), the second hits (100 us).
  auto engine = make_local_engine(instant_network());
  ComponentStats cs = stats_for(1), ds = stats_for(1);
  Cache::Params cp;
  cp.capacity = 10;
  cp.hit = Distribution::constant(100e-6);
  CallTarget db;
  db.replicas = {1};
  db.by_key = true;
  cp.backend_call.targets = {db};
  Database::Params dp;
  dp.station.io_parallelism = 1;
  dp.read_io = Distribution::constant(1e-3);
  Cache cache(cp, &cs, Rng(1));
  Database database(dp, &ds, Rng(2));
  // Reads one key twice in sequence.
  class Twice : public ModelNode {
   public:
    void on_start(Context& ctx) override { send(ctx); }
    void on_message(Context& ctx, MessagePtr) override {
      times.push_back(ctx.now());
      if (times.size() == 1) send(ctx);
    }
    void on_timer(Context&, uint64_t) override {}
    void send(Context& ctx) {
      auto m = std::make_unique<Message>();
      m->key = 42;
      ctx.send(0, std::move(m));
    }
    std::vector<double> times;
  } probe;
  engine->add_node("cache", 0, &cache);
  engine->add_node("db", 0, &database);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  REQUIRE(probe.times.size() == 2);
  CHECK(probe.times[0] == Approx(1.1e-3));
  CHECK(probe.times[1] - probe.times[0] == Approx(100e-6));
  CHECK(cs.hits == 1);
  CHECK(cs.misses == 1);
}

TEST_CASE("LruSet: evicts the least recently used key", "[cache]") {
  LruSet lru(2);
  CHECK_FALSE(lru.insert(1));
  CHECK_FALSE(lru.insert(2));
  CHECK(lru.touch(1));     // 1 is now the most recent
  CHECK(lru.insert(3));    // evicts 2
  CHECK(lru.touch(1));
  CHECK_FALSE(lru.touch(2));
  CHECK(lru.touch(3));
  CHECK(lru.size() == 2);
}

TEST_CASE("LoadBalancer: least connections avoids the busy replica", "[load_balancer]") {
  // System under consideration: an LB in front of two replicas; replica 0 takes 10 ms, replica 1
  // takes 1 ms... both get one request first; the slow one keeps its connection.
  // Expectations: of 4 requests sent at t = 0, 1 ms apart, least_connections sends the later
  // ones to the replica that has answered.
  auto engine = make_local_engine(instant_network());
  ComponentStats ls = stats_for(1), s0 = stats_for(1), s1 = stats_for(1);
  Service::Params slow, fast;
  slow.delay = Distribution::constant(10e-3);
  fast.delay = Distribution::constant(1e-3);
  Service a(slow, &s0, Rng(1)), b(fast, &s1, Rng(2));
  LoadBalancer lb({LbPolicy::LeastConnections, {1, 2}, Distribution::constant(0), {}}, &ls, Rng(3));
  class Paced : public ModelNode {
   public:
    void on_start(Context& ctx) override {
      for (int i = 0; i < 4; ++i) ctx.start_timer(i * 2e-3, 0);
    }
    void on_message(Context&, MessagePtr) override { ++answers; }
    void on_timer(Context& ctx, uint64_t) override { ctx.send(0, std::make_unique<Message>()); }
    int answers = 0;
  } probe;
  engine->add_node("lb", 0, &lb);
  engine->add_node("slow", 0, &a);
  engine->add_node("fast", 0, &b);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  CHECK(probe.answers == 4);
  CHECK(s0.completed == 1);
  CHECK(s1.completed == 3);
}
