// Failure handling by the callers (models/common/resilience.hpp): the pieces on their own, then a service
// calling a dependency in-process on the local engine (no SimGrid), with an instant network and
// constant timings, so every expected time below is computed by hand.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <algorithm>
#include <functional>
#include <stdexcept>

#include "models/common/resilience.hpp"
#include "models/service/service.hpp"
#include "models/common/message.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using archsim::testing::instant_network;

namespace {

// Sends one request per entry of `schedule` (time, key, write) to `target`; records the answers.
class Probe : public ModelNode {
 public:
  struct Send {
    double at;
    uint64_t key;
    bool write;
  };
  Probe(NodeId target, std::vector<Send> schedule) : target_(target), schedule_(std::move(schedule)) {}
  void on_start(Context& ctx) override {
    for (size_t i = 0; i < schedule_.size(); ++i) ctx.start_timer(schedule_[i].at, i);
  }
  void on_timer(Context& ctx, uint64_t i) override {
    auto m = std::make_unique<Message>();
    m->request_id = i + 1;
    m->call_id = i;
    m->key = schedule_[i].key;
    m->is_write = schedule_[i].write;
    ctx.send(target_, std::move(m));
  }
  void on_message(Context& ctx, MessagePtr msg) override { answers.push_back({ctx.now(), msg->status}); }
  std::vector<std::pair<double, Status>> answers;

 private:
  NodeId target_;
  std::vector<Send> schedule_;
};

// A dependency that records when each request arrived and answers at once with what `answer`
// says for the n-th arrival at time t (or never, for Status::Ok with `silent`).
class Dependency : public ModelNode {
 public:
  explicit Dependency(std::function<Status(size_t n, double t)> answer) : answer_(std::move(answer)) {}
  void on_message(Context& ctx, MessagePtr msg) override {
    arrivals.push_back(ctx.now());
    Status s = answer_(arrivals.size() - 1, ctx.now());
    msg->is_response = true;
    msg->status = s;
    NodeId to = msg->from;
    ctx.send(to, std::move(msg));
  }
  void on_timer(Context&, uint64_t) override {}
  std::vector<double> arrivals;

 private:
  std::function<Status(size_t, double)> answer_;
};

ComponentStats stats_for(double end) {
  ComponentStats s;
  s.configure(0, end);
  return s;
}

// A caller service (no CPU) whose every request makes one call to node `to` under `policy`.
Service::Params caller_params(NodeId to, const CallPolicy& policy, EdgeStats* edge) {
  Service::Params p;
  ResolvedCall rc;
  CallTarget t;
  t.component = "dep";
  t.replicas = {to};
  rc.targets = {t};
  rc.policy = policy;
  rc.op = 1;
  rc.edge = edge;
  p.calls_by_type = {{rc}};
  return p;
}

std::vector<Probe::Send> every(double gap, size_t n, bool write = false) {
  std::vector<Probe::Send> out;
  for (size_t i = 0; i < n; ++i) out.push_back({gap * static_cast<double>(i), 7, write});
  return out;
}

size_t idx(FailReason r) { return static_cast<size_t>(r); }

}  // namespace

TEST_CASE("Backoff: exponential caps double from the base up to max_delay", "[resilience]") {
  CallPolicy p;
  p.base = 0.05;
  p.max_delay = 0.3;
  CHECK(backoff_cap(p, 1) == Approx(0.05));
  CHECK(backoff_cap(p, 2) == Approx(0.1));
  CHECK(backoff_cap(p, 3) == Approx(0.2));
  CHECK(backoff_cap(p, 4) == Approx(0.3));
  CHECK(backoff_cap(p, 60) == Approx(0.3));
  p.backoff = CallPolicy::Backoff::Constant;
  CHECK(backoff_cap(p, 1) == Approx(0.05));
  CHECK(backoff_cap(p, 5) == Approx(0.05));
}

TEST_CASE("Backoff: jitter draws match the AWS formulas on average", "[resilience]") {
  // Full jitter: uniform(0, cap), mean cap/2; equal jitter: cap/2 + uniform(0, cap/2), mean 3/4 cap;
  // none: cap exactly. 200k draws: the standard error of the mean is below 0.1% of the cap.
  CallPolicy p;
  p.base = 0.05;
  p.max_delay = 2;
  Rng rng(42);
  const int n = 200000;
  for (int64_t retry : {1, 3, 8}) {
    double cap = backoff_cap(p, retry);
    p.jitter = CallPolicy::Jitter::Full;
    double sum = 0, lo = 1e9, hi = 0;
    for (int i = 0; i < n; ++i) {
      double d = backoff_delay(p, retry, rng);
      sum += d;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    CHECK(sum / n == Approx(cap / 2).epsilon(0.01));
    CHECK(lo >= 0);
    CHECK(hi <= cap);
    p.jitter = CallPolicy::Jitter::Equal;
    sum = 0;
    for (int i = 0; i < n; ++i) {
      double d = backoff_delay(p, retry, rng);
      CHECK(d >= cap / 2);
      sum += d;
    }
    CHECK(sum / n == Approx(0.75 * cap).epsilon(0.01));
    p.jitter = CallPolicy::Jitter::None;
    CHECK(backoff_delay(p, retry, rng) == cap);
  }
}

TEST_CASE("RetryBudget: retries are a fraction of first attempts, deposits expire", "[resilience]") {
  RetryBudget b(0.1, 10);
  for (int i = 0; i < 9; ++i) b.deposit(0);
  CHECK_FALSE(b.try_withdraw(0));  // 0.9 of a retry
  b.deposit(0);
  CHECK(b.try_withdraw(0));        // ten first attempts buy one retry
  CHECK_FALSE(b.try_withdraw(0));
  for (int i = 0; i < 10; ++i) b.deposit(1);
  SECTION("a deposit lives for the window") { CHECK(b.try_withdraw(10.5)); }
  SECTION("then it is gone") { CHECK_FALSE(b.try_withdraw(11.5)); }
}

TEST_CASE("Retry budget invariant: the checker names the edge that overspent", "[resilience]") {
  EdgeStats e;
  e.budget_deposits_total = 10;  // 100 first attempts at max_retry_ratio 0.1
  e.budget_retries_total = 10;
  CHECK_NOTHROW(check_retry_budget("checkout", "payments", e));
  e.budget_retries_total = 11;
  CHECK_THROWS_WITH(check_retry_budget("checkout", "payments", e),
                    Catch::Contains("retries exceed their budget on checkout -> payments"));
}

TEST_CASE("Timeout: the caller gives up at exactly the configured time", "[resilience]") {
  // System under consideration: probe -> caller -> dependency; the dependency is a service that
  // holds each request 100 ms; the caller's call times out after 30 ms, no retries.
  // Expectations: the probe hears `timeout` at 30 ms; the answer at 100 ms is discarded as late.
  auto engine = make_local_engine(instant_network());
  ComponentStats dep_stats = stats_for(1), caller_stats = stats_for(1);
  Service::Params dp;
  dp.delay = Distribution::constant(0.1);
  Service dep(dp, &dep_stats, Rng(1));
  CallPolicy pol;
  pol.timeout = 0.03;
  EdgeStats edge;
  Service caller(caller_params(0, pol, &edge), &caller_stats, Rng(2));
  Probe probe(1, every(0, 1));
  engine->add_node("dep", 0, &dep);
  engine->add_node("caller", 0, &caller);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  REQUIRE(probe.answers.size() == 1);
  CHECK(probe.answers[0].first == Approx(0.03));
  CHECK(probe.answers[0].second == Status::Timeout);
  CHECK(edge.calls == 1);
  CHECK(edge.attempts == 1);
  CHECK(edge.failed[idx(FailReason::Timeout)] == 1);
  CHECK(caller_stats.late_answers == 1);
  CHECK(dep_stats.completed == 1);
}

TEST_CASE("Retries: attempts go out at the computed backoff times", "[resilience]") {
  // System under consideration: a dependency that never answers within the caller's 30 ms timeout
  // (it holds every request 1 s); 3 retries without jitter.
  // Expectations (attempt k sent at s_k; the next at s_k + 30 ms + backoff(k)):
  //   exponential, base 10 ms: 0, 40, 90, 160 ms; the call fails with `timeout` at 190 ms.
  //   constant, base 20 ms:    0, 50, 100, 150 ms; it fails at 180 ms.
  auto engine = make_local_engine(instant_network());
  ComponentStats caller_stats = stats_for(5);
  ComponentStats dep_stats = stats_for(5);
  Service::Params dp;
  dp.delay = Distribution::constant(1.0);
  Service slow(dp, &dep_stats, Rng(1));
  CallPolicy pol;
  pol.timeout = 0.03;
  pol.max_retries = 3;
  pol.jitter = CallPolicy::Jitter::None;
  std::vector<double> expected;
  double fails_at = 0;
  SECTION("exponential") {
    pol.base = 0.01;
    expected = {0, 0.04, 0.09, 0.16};
    fails_at = 0.19;
  }
  SECTION("constant") {
    pol.backoff = CallPolicy::Backoff::Constant;
    pol.base = 0.02;
    expected = {0, 0.05, 0.10, 0.15};
    fails_at = 0.18;
  }
  // The dependency records arrivals and forwards to the slow service, which never answers in time.
  class Tap : public ModelNode {
   public:
    std::vector<double> arrivals;
    void on_message(Context& ctx, MessagePtr msg) override {
      if (msg->is_response) return;  // the slow service's late answers
      arrivals.push_back(ctx.now());
      ctx.send(0, std::move(msg));
    }
    void on_timer(Context&, uint64_t) override {}
  } tap;
  EdgeStats edge;
  Service caller(caller_params(1, pol, &edge), &caller_stats, Rng(2));
  Probe probe(2, every(0, 1));
  engine->add_node("slow", 0, &slow);
  engine->add_node("tap", 0, &tap);
  engine->add_node("caller", 0, &caller);
  engine->add_node("probe", 0, &probe);
  engine->run(5, 0);
  REQUIRE(tap.arrivals.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) CHECK(tap.arrivals[i] == Approx(expected[i]).margin(1e-12));
  REQUIRE(probe.answers.size() == 1);
  CHECK(probe.answers[0].first == Approx(fails_at));
  CHECK(probe.answers[0].second == Status::Timeout);
  CHECK(edge.attempts == 4);
  CHECK(edge.retries == 3);
}

TEST_CASE("Retry budget: a failing dependency gets retries worth max_retry_ratio of the calls", "[resilience]") {
  // System under consideration: a dependency that fails every request at once; 1000 calls 1 ms
  // apart, each allowed 3 retries with no backoff, under max_retry_ratio 0.1 (window 10 s).
  // Expectations: every 10th call finds a whole retry in the budget: exactly 100 retries, all of
  // which fail; every call ends with one retry refused (1000 suppressed), and 1000 fail.
  auto engine = make_local_engine(instant_network());
  ComponentStats caller_stats = stats_for(5);
  Dependency dep([](size_t, double) { return Status::Failed; });
  CallPolicy pol;
  pol.max_retries = 3;
  pol.base = 0;
  pol.jitter = CallPolicy::Jitter::None;
  pol.max_retry_ratio = 0.1;
  EdgeStats edge;
  Service caller(caller_params(0, pol, &edge), &caller_stats, Rng(2));
  Probe probe(1, every(0.001, 1000));
  engine->add_node("dep", 0, &dep);
  engine->add_node("caller", 0, &caller);
  engine->add_node("probe", 0, &probe);
  engine->run(5, 0);
  CHECK(edge.calls == 1000);
  CHECK(edge.retries == 100);
  CHECK(edge.attempts == 1100);
  CHECK(edge.retries_suppressed == 1000);
  CHECK(edge.failed[idx(FailReason::Unavailable)] == 1000);
  CHECK(dep.arrivals.size() == 1100);
  CHECK_NOTHROW(check_retry_budget("caller", "dep", edge));
  SECTION("without a budget, every call makes all its retries: offered load x4") {
    auto engine2 = make_local_engine(instant_network());
    ComponentStats st2 = stats_for(5);
    Dependency dep2([](size_t, double) { return Status::Failed; });
    pol.max_retry_ratio = -1;
    EdgeStats e2;
    Service caller2(caller_params(0, pol, &e2), &st2, Rng(2));
    Probe probe2(1, every(0.001, 1000));
    engine2->add_node("dep", 0, &dep2);
    engine2->add_node("caller", 0, &caller2);
    engine2->add_node("probe", 0, &probe2);
    engine2->run(5, 0);
    CHECK(e2.retries == 3000);
    CHECK(dep2.arrivals.size() == 4000);
    CHECK(e2.retries_suppressed == 0);
  }
}

TEST_CASE("Idempotency: a retried write is applied once with keys, again without", "[resilience]") {
  // System under consideration: a database-like service holding each write 100 ms; the caller
  // times out after 60 ms and retries twice after 10 ms (no jitter). Five writes 1 s apart.
  // Without keys: attempts at 0, 70, 140 ms are all applied (at 100, 170, 240 ms): 2 duplicates per
  //   write, 10 in all; each write fails with `timeout` at 200 ms.
  // With keys (1 ms lookup): the first attempt reserves the key; the retry at 70 ms finds it and
  //   is answered at 71 ms without applying: 0 duplicates, 5 replays, every write succeeds.
  auto engine = make_local_engine(instant_network());
  ComponentStats dep_stats = stats_for(10), caller_stats = stats_for(10);
  Service::Params dp;
  dp.delay = Distribution::constant(0.1);
  Service dep(dp, &dep_stats, Rng(1));
  CallPolicy pol;
  pol.timeout = 0.06;
  pol.max_retries = 2;
  pol.backoff = CallPolicy::Backoff::Constant;
  pol.base = 0.01;
  pol.jitter = CallPolicy::Jitter::None;
  bool keys = GENERATE(false, true);
  pol.idempotency = keys;
  dep.set_write_ledger(std::make_shared<WriteLedger>(pol.retry_horizon(), 0.001));
  EdgeStats edge;
  Service caller(caller_params(0, pol, &edge), &caller_stats, Rng(2));
  Probe probe(1, every(1.0, 5, true));
  engine->add_node("dep", 0, &dep);
  engine->add_node("caller", 0, &caller);
  engine->add_node("probe", 0, &probe);
  engine->run(10, 0);
  REQUIRE(probe.answers.size() == 5);
  if (!keys) {
    CHECK(dep_stats.duplicate_applies == 10);
    CHECK(dep_stats.idempotent_replays == 0);
    CHECK(probe.answers[0].first == Approx(0.2));
    for (const auto& a : probe.answers) CHECK(a.second == Status::Timeout);
  } else {
    CHECK(dep_stats.duplicate_applies == 0);
    CHECK(dep_stats.idempotent_replays == 5);
    CHECK(probe.answers[0].first == Approx(0.071));
    for (const auto& a : probe.answers) CHECK(a.second == Status::Ok);
  }
}

TEST_CASE("Circuit breaker: opens, probes and closes at the configured thresholds", "[resilience]") {
  // System under consideration: calls every 1/64 s; the dependency fails everything before 0.25 s
  // and answers everything after. Breaker: failure_ratio 0.5 over 10 s, min_calls 4, open_for 1/8 s.
  // Expectations: calls 0-3 fail -> open at 3/64; calls 4-10 fail fast; at 11/64 half-open, the
  // probe fails -> open again; calls 12-18 fail fast; at 19/64 half-open, the probe succeeds ->
  // closed. 14 calls fail with circuit_open, 5 with unavailable; the dependency sees 6 calls of
  // the first 20.
  auto engine = make_local_engine(instant_network());
  ComponentStats caller_stats = stats_for(5);
  Dependency dep([](size_t, double t) { return t < 0.25 ? Status::Failed : Status::Ok; });
  CallPolicy pol;
  pol.cb_failure_ratio = 0.5;
  pol.cb_window = 10;
  pol.cb_min_calls = 4;
  pol.cb_open_for = 0.125;
  EdgeStats edge;
  Service caller(caller_params(0, pol, &edge), &caller_stats, Rng(2));
  Probe probe(1, every(1.0 / 64, 40));
  engine->add_node("dep", 0, &dep);
  engine->add_node("caller", 0, &caller);
  engine->add_node("probe", 0, &probe);
  engine->run(5, 0);
  REQUIRE(edge.transitions.size() == 5);
  std::vector<std::pair<double, std::string>> expected = {
      {3.0 / 64, "open"}, {11.0 / 64, "half_open"}, {11.0 / 64, "open"}, {19.0 / 64, "half_open"}, {19.0 / 64, "closed"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(edge.transitions[i].t == expected[i].first);
    CHECK(std::string(edge.transitions[i].state) == expected[i].second);
  }
  CHECK(edge.failed[idx(FailReason::CircuitOpen)] == 14);
  CHECK(edge.failed[idx(FailReason::Unavailable)] == 5);
  CHECK(dep.arrivals.size() == 40 - 14);
}

TEST_CASE("Fallback: fail_open, fail_closed and stale_cache when the dependency fails", "[resilience]") {
  // System under consideration: a dependency that answers the first request and fails all later
  // ones; three requests: key 7 at 0 s, key 7 at 1 s, key 8 at 2 s.
  // Expectations: fail_open: all three succeed (two failures counted as failed open);
  // fail_closed: the last two fail `unavailable`; stale_cache: key 7 was seen, so the second is
  // served stale; key 8 never was, so the third fails.
  auto engine = make_local_engine(instant_network());
  ComponentStats caller_stats = stats_for(5);
  Dependency dep([](size_t n, double) { return n == 0 ? Status::Ok : Status::Failed; });
  CallPolicy pol;
  std::vector<Status> expected;
  SECTION("fail_open") {
    pol.fallback = CallPolicy::Fallback::FailOpen;
    expected = {Status::Ok, Status::Ok, Status::Ok};
  }
  SECTION("fail_closed") {
    pol.fallback = CallPolicy::Fallback::FailClosed;
    expected = {Status::Ok, Status::Failed, Status::Failed};
  }
  SECTION("stale_cache") {
    pol.fallback = CallPolicy::Fallback::StaleCache;
    expected = {Status::Ok, Status::Ok, Status::Failed};
  }
  EdgeStats edge;
  Service caller(caller_params(0, pol, &edge), &caller_stats, Rng(2));
  Probe probe(1, {{0, 7, false}, {1, 7, false}, {2, 8, false}});
  engine->add_node("dep", 0, &dep);
  engine->add_node("caller", 0, &caller);
  engine->add_node("probe", 0, &probe);
  engine->run(5, 0);
  REQUIRE(probe.answers.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(probe.answers[i].second == expected[i]);
  CHECK(edge.failed[idx(FailReason::Unavailable)] == 2);
  CHECK(edge.fallback_open == (pol.fallback == CallPolicy::Fallback::FailOpen ? 2u : 0u));
  CHECK(edge.stale_served == (pol.fallback == CallPolicy::Fallback::StaleCache ? 1u : 0u));
}

TEST_CASE("StaleCache: keeps the most recently stored keys", "[resilience]") {
  StaleCache c(2);
  c.store(1);
  c.store(2);
  c.store(1);  // 1 is fresh again
  c.store(3);  // 2 leaves
  CHECK(c.has(1));
  CHECK_FALSE(c.has(2));
  CHECK(c.has(3));
}

using archsim::testing::run_once;
using archsim::testing::source_path;

TEST_CASE("retry-storm.yaml: a slow window sets off a storm that outlives it; a budget and jitter recover",
          "[resilience][topologies]") {
  // System under consideration: topologies/retry-storm.yaml: a backend at 60% of its capacity
  // (500/s), slowed 3x from 10 s to 15 s; callers with a 100 ms timeout and 3 retries 10 ms
  // apart, no budget, no jitter.
  // Expectations: before the window every request completes; once it has started, the backend is
  // offered each call about four times (attempts per call > 3) and it stays saturated after the
  // window ends: from 16 s on, fewer than 10% of the requests complete. With max_retry_ratio 0.1,
  // exponential backoff and full jitter, attempts per call stay below 1.1 and from 16 s on every
  // request completes again; p99 falls below 100 ms.
  auto per_second = [](const std::vector<std::string>& extra) {
    std::string dir = archsim::testing::write_temp("storm", "") + ".out";
    std::vector<std::string> args = {"run", source_path("topologies/retry-storm.yaml"), "--out", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    auto o = archsim::testing::run_archsim(args);
    REQUIRE(o.exit_code == 0);
    // timeseries.csv rows of the client: t_s -> (completed, errors), columns found by name.
    std::ifstream in(dir + "/timeseries.csv");
    std::string line;
    std::getline(in, line);
    std::vector<std::string> cols;
    std::stringstream hs(line);
    for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
    auto col = [&](const std::string& n) { return std::find(cols.begin(), cols.end(), n) - cols.begin(); };
    std::map<int, std::pair<int, int>> out;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
      if (f[static_cast<size_t>(col("component"))] != "users") continue;
      out[std::stoi(f[static_cast<size_t>(col("t_s"))])] = {std::stoi(f[static_cast<size_t>(col("throughput_rps"))]),
                                                            std::stoi(f[static_cast<size_t>(col("errors"))])};
    }
    return out;
  };
  auto share_after = [](const std::map<int, std::pair<int, int>>& s, int from) {
    double ok = 0, bad = 0;
    for (const auto& [t, v] : s)
      if (t >= from) {
        ok += v.first;
        bad += v.second;
      }
    return ok / (ok + bad);
  };
  auto before = [](const std::map<int, std::pair<int, int>>& s) {
    int bad = 0;
    for (const auto& [t, v] : s)
      if (t < 10) bad += v.second;
    return bad;
  };

  const auto& storm = run_once(source_path("topologies/retry-storm.yaml"));
  const auto& e = storm["components"]["api"]["calls_to"]["backend"];
  CHECK(e["attempts_per_call"].get<double>() > 3);
  CHECK(e["retries_suppressed"] == 0);
  CHECK(storm["components"]["backend"]["arrivals"].get<double>() > 3 * storm["requests"]["generated"].get<double>());
  CHECK(storm["latency_ms"]["p99"].get<double>() > 200);
  auto s1 = per_second({});
  CHECK(before(s1) == 0);
  CHECK(share_after(s1, 16) < 0.1);

  std::vector<std::string> fix = {"--set", "components.api.call_policy.retries.max_retry_ratio=0.1", "--set",
                                  "components.api.call_policy.retries.backoff=exponential", "--set",
                                  "components.api.call_policy.retries.jitter=full"};
  const auto& calm = run_once(source_path("topologies/retry-storm.yaml"), fix);
  const auto& c = calm["components"]["api"]["calls_to"]["backend"];
  CHECK(c["attempts_per_call"].get<double>() < 1.1);
  CHECK(c["retries_suppressed"].get<double>() > 0);
  CHECK(calm["latency_ms"]["p99"].get<double>() < 100);
  auto s2 = per_second(fix);
  CHECK(before(s2) == 0);
  CHECK(share_after(s2, 16) == 1.0);

  // The metastability verdict of the summary says the same: the storm outlives its trigger,
  // sustained by the retries (about 3.5 attempts per call) and the backend's full queue; with the
  // budget and jitter, goodput is back at its level before within the second after the window.
  const auto& rs = storm["faults"][0]["recovery"];
  CHECK(rs["judged"] == true);
  CHECK(rs["recovered"] == false);
  CHECK(rs["recovery_s"].is_null());
  CHECK(rs["goodput_before_rps"].get<double>() == Approx(300).epsilon(0.1));
  CHECK(rs["goodput_at_end_rps"].get<double>() < 30);
  CHECK_THAT(rs["sustained_by"].get<std::string>(),
             Catch::StartsWith("retries (amplification 3.") && Catch::Contains("from api to backend") &&
                 Catch::Contains("the backlog at backend (its queue full"));
  const auto& rc = calm["faults"][0]["recovery"];
  CHECK(rc["recovered"] == true);
  CHECK(rc["recovery_s"].get<double>() < 1);
  CHECK_FALSE(rc.contains("sustained_by"));

  // A load spike sets off the same storm: twice the users for the same 5 s, no slowdown. Without a
  // budget it outlives the spike, sustained by the retries; with the budget and jitter it does not.
  std::vector<std::string> spike = {"--set", "faults=[{spike: {client: users, factor: 2}, at: 10s, for: 5s}]"};
  const auto& wave = run_once(source_path("topologies/retry-storm.yaml"), spike);
  CHECK(wave["faults"][0]["kind"] == "spike");
  CHECK(wave["faults"][0]["recovery"]["recovered"] == false);
  CHECK_THAT(wave["faults"][0]["recovery"]["sustained_by"].get<std::string>(), Catch::StartsWith("retries"));
  std::vector<std::string> spike_fixed = spike;
  spike_fixed.insert(spike_fixed.end(), fix.begin(), fix.end());
  const auto& absorbed = run_once(source_path("topologies/retry-storm.yaml"), spike_fixed);
  CHECK(absorbed["faults"][0]["recovery"]["recovered"] == true);
}

TEST_CASE("notification-service.yaml: idempotency keys stop duplicate sends; the DLQ takes what failed",
          "[resilience][topologies]") {
  // System under consideration: topologies/notification-service.yaml: the sender calls the email
  // provider with a 5 s timeout, 2 retries (1 s, 2 s) and idempotency keys; one send in ~200 takes
  // longer than the timeout; the provider is down from 1 s to 21 s.
  // Expectations: with keys, no send is applied twice and the late sends' retries are answered
  // from the key store; without them (--set), those retries are sent again (duplicates > 0).
  // Notifications that failed both queue attempts during the outage are dead-lettered.
  const auto& with = run_once(source_path("topologies/notification-service.yaml"));
  CHECK(with["requests"]["duplicate_applies"] == 0);
  CHECK(with["components"]["email_provider"]["writes"]["idempotent_replays"].get<int>() > 0);
  CHECK(with["components"]["notifications"]["queue"]["dead_lettered"].get<int>() > 0);
  const auto& e = with["components"]["sender"]["calls_to"]["email_provider"];
  CHECK(e["retries"].get<int>() > 0);
  CHECK(e["failed"]["unavailable"].get<int>() > 0);

  const auto& without =
      run_once(source_path("topologies/notification-service.yaml"), {"--set", "components.sender.call_policy.idempotency=false"});
  CHECK(without["requests"]["duplicate_applies"].get<int>() > 0);
  CHECK(without["components"]["email_provider"]["writes"]["duplicate_applies"] ==
        without["requests"]["duplicate_applies"]);
  CHECK(without["components"]["email_provider"]["writes"]["idempotent_replays"] == 0);
}

TEST_CASE("Jittered retries are the same run after run for the same seed", "[resilience][determinism]") {
  // The backoff draws come from the caller replica's seeded stream: two runs of the budgeted,
  // fully jittered storm give the same summary, byte for byte (wall time aside).
  std::vector<std::string> set = {"--set", "components.api.call_policy.retries.max_retry_ratio=0.1", "--set",
                                  "components.api.call_policy.retries.jitter=full", "--set", "run.duration=12s"};
  auto a = archsim::testing::run_json(source_path("topologies/retry-storm.yaml"), set);
  auto b = archsim::testing::run_json(source_path("topologies/retry-storm.yaml"), set);
  for (auto* j : {&a, &b})
    if (j->contains("wall_seconds")) j->erase("wall_seconds");
  CHECK(a["components"]["api"]["calls_to"].dump() == b["components"]["api"]["calls_to"].dump());
  CHECK(a["requests"].dump() == b["requests"].dump());
  CHECK(a["latency_ms"].dump() == b["latency_ms"].dump());
}

TEST_CASE("CircuitBreaker: while half-open only the probe's outcome counts", "[resilience]") {
  // failure_ratio 0.5, min_calls 2, open_for 1 s: two failures open it at 0.2 s; at 1.3 s the
  // first call is the probe; a late success of a call admitted earlier does not close it; a
  // second call waits for the probe (fails fast); the probe's success closes it.
  CircuitBreaker b(0.5, 10, 1, 2);
  bool probe = true;
  CHECK(b.allow(0, &probe));
  CHECK_FALSE(probe);
  b.record(0.1, false, false);
  CHECK(b.state() == CircuitBreaker::State::Closed);
  b.record(0.2, false, false);
  CHECK(b.state() == CircuitBreaker::State::Open);
  CHECK_FALSE(b.allow(1.1, &probe));
  CHECK(b.allow(1.3, &probe));
  CHECK(probe);
  CHECK(b.state() == CircuitBreaker::State::HalfOpen);
  b.record(1.4, true, false);
  CHECK(b.state() == CircuitBreaker::State::HalfOpen);
  CHECK_FALSE(b.allow(1.5, &probe));
  b.record(1.6, true, true);
  CHECK(b.state() == CircuitBreaker::State::Closed);
  REQUIRE(b.transitions().size() == 3);
  CHECK(b.transitions()[0].t == 0.2);
  CHECK(b.transitions()[1].t == 1.3);
  CHECK(b.transitions()[2].t == 1.6);
}

TEST_CASE("Failure reasons reach the client and add up to its failures", "[resilience]") {
  // System under consideration: users -> api -> db, 100 requests/s for 10 s; the db is down from
  // 2 s to the end; the api's breaker: failure_ratio 0.5 over 10 s, min_calls 10, open_for 1 s.
  // Expectations: the ~200 requests before the crash complete. After it, calls are refused
  // (`unavailable`) until the failures in the window equal those ~200 successes: the breaker opens
  // near 4 s; from then on calls fail `circuit_open`, but for one probe a second (5 s ... 9 s,
  // `unavailable` again): about 205 unavailable and 595 circuit_open. The client's reasons add up
  // to its failures.
  std::string file = archsim::testing::write_temp("reasons.yaml", R"(name: reasons
components:
  users:
    kind: client
    arrival: {process: constant, rate: 100/s}
    requests: {get: {weight: 1}}
    target: api
  api:
    kind: service
    call_policy: {circuit_breaker: {failure_ratio: 0.5, window: 10s, open_for: 1s, min_calls: 10}}
    calls: [db]
  db: {kind: database}
faults:
  - {crash: db, at: 2s}
run: {duration: 10s, seed: 3}
)");
  const auto& j = run_once(file);
  const auto& r = j["requests"];
  const auto& why = r["failed_by_reason"];
  uint64_t sum = 0;
  for (const auto& el : why.items()) sum += el.value().get<uint64_t>();
  CHECK(sum == r["failed"].get<uint64_t>());
  CHECK(why["circuit_open"].get<int>() > 580);
  CHECK(why["unavailable"].get<int>() >= 200);
  CHECK(why["unavailable"].get<int>() <= 212);
  CHECK(r["completed"].get<int>() >= 195);
  CHECK(r["by_client"]["users"]["failed_by_reason"] == why);
  const auto& e = j["components"]["api"]["calls_to"]["db"];
  CHECK(e["failed"]["circuit_open"] == why["circuit_open"]);
  CHECK(e["circuit_breaker"]["transitions"].get<int>() >= 3);
  CHECK(e["circuit_breaker"]["log"][0]["state"] == "open");
}
