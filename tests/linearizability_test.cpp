// System under test: the history format (sim/support/history.hpp: HistoryWriter, parse_history, the
// generator) and the linearizability checker (sim/analysis/linearizability.hpp), in-process, and
// `archsim check` as a child process.
//
// Expectations: small histories written by hand, each with its timeline in the table, get the
// verdict a register allows; the checker agrees with a brute-force search over every order on
// random small histories; the excerpt of a violation names the operations of its definition; a
// tiny time limit on an adversarial history gives `unknown`; 100k generated operations are decided
// (linearizable, and not once stale reads are injected); bad history lines exit 2 with
// file:line:col (tests/bad_inputs/histories/).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "sim/support/history.hpp"
#include "sim/analysis/linearizability.hpp"
#include "sim/support/random.hpp"
#include "sim/support/location.hpp"
#include "sim/support/text.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;
namespace fs = std::filesystem;

namespace {

// A history written as operations (invocation and completion times), turned into JSON lines in
// time order. Outcome "none": the invocation has no completion.
class Hist {
 public:
  Hist& w(int p, int64_t key, int64_t v, double call, double ret, const std::string& outcome = "ok") {
    return add(p, "write", key, std::to_string(v), std::to_string(v), call, ret, outcome);
  }
  // `result`: what an ok read returned ("null" or a number).
  Hist& r(int p, int64_t key, const std::string& result, double call, double ret, const std::string& outcome = "ok") {
    return add(p, "read", key, "null", outcome == "ok" ? result : "null", call, ret, outcome);
  }
  Hist& cas(int p, int64_t key, int64_t from, int64_t to, double call, double ret, const std::string& outcome = "ok") {
    std::ostringstream pair;
    pair << '[' << from << ',' << to << ']';
    std::string v = pair.str();
    return add(p, "cas", key, v, v, call, ret, outcome);
  }
  std::string text() const {
    auto sorted = events_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string s;
    for (const auto& e : sorted) s += e.second + "\n";
    return s;
  }

 private:
  Hist& add(int p, const char* f, int64_t key, const std::string& invoke_value, const std::string& done_value,
            double call, double ret, const std::string& outcome) {
    events_.push_back({call, line(call, p, "invoke", f, key, invoke_value)});
    if (outcome != "none") events_.push_back({ret, line(ret, p, outcome, f, key, done_value)});
    return *this;
  }
  static std::string line(double t, int p, const std::string& type, const char* f, int64_t key, const std::string& v) {
    std::ostringstream s;
    s << "{\"time\":" << t << ",\"process\":" << p << ",\"type\":\"" << type << "\",\"f\":\"" << f
      << "\",\"key\":" << key << ",\"value\":" << v << "}";
    return s.str();
  }
  std::vector<std::pair<double, std::string>> events_;
};

History parse(const std::string& text) {
  std::istringstream in(text);
  return parse_history(in, "h.jsonl");
}

CheckReport check(const Hist& h, double limit = 10) { return check_history(parse(h.text()), CheckOptions{limit}); }

// Brute force: is there an order of the considered operations (each unknown write or cas either
// placed or left out) that respects real time and the register? For a handful of operations.
bool brute_force(const std::vector<HistoryOp>& all) {
  std::vector<HistoryOp> ops;
  for (const auto& op : all)
    if (op.outcome != OpType::Fail && !(op.outcome == OpType::Info && op.f == OpKind::Read)) ops.push_back(op);
  size_t n = ops.size();
  std::vector<bool> placed(n, false);
  std::function<bool(std::optional<int64_t>, size_t)> dfs = [&](std::optional<int64_t> state, size_t done) {
    bool all_definite = true;
    for (size_t i = 0; i < n; ++i)
      if (!placed[i] && std::isfinite(ops[i].ret)) all_definite = false;
    if (all_definite) return true;  // remaining unknown operations never take effect
    for (size_t i = 0; i < n; ++i) {
      if (placed[i]) continue;
      // Real time: nothing unplaced and definite may have completed before this one was invoked.
      bool ready = true;
      for (size_t j = 0; j < n; ++j)
        if (!placed[j] && j != i && std::isfinite(ops[j].ret) && ops[j].ret < ops[i].call) ready = false;
      if (!ready) continue;
      std::optional<int64_t> next = state;
      const auto& op = ops[i];
      if (op.f == OpKind::Read && state != op.value) continue;
      if (op.f == OpKind::Cas && (!state || *state != op.expected)) continue;
      if (op.f != OpKind::Read) next = op.value;
      placed[i] = true;
      bool ok = dfs(next, done + 1);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return dfs(std::nullopt, 0);
}

}  // namespace

TEST_CASE("Linearizability: small register histories get the verdict a register allows", "[linearizability]") {
  struct Case {
    const char* name;
    Hist h;
    CheckVerdict expected;
  };
  const auto L = CheckVerdict::Linearizable, N = CheckVerdict::NotLinearizable;
  std::vector<Case> cases = {
      // w1 [0,1] then r [2,3] -> 1
      {"a read after a completed write sees it", Hist().w(1, 0, 1, 0, 1).r(2, 0, "1", 2, 3), L},
      // w1 [0,1], w2 [2,3], r [4,5] -> 1: the read started after w2 completed
      {"a stale read after a completed write", Hist().w(1, 0, 1, 0, 1).w(1, 0, 2, 2, 3).r(2, 0, "1", 4, 5), N},
      // w1 [0,1]; w2 [2,5] overlaps r [3,4]: either value
      {"a read concurrent with a write may see the old value", Hist().w(1, 0, 1, 0, 1).w(1, 0, 2, 2, 5).r(2, 0, "1", 3, 4), L},
      {"a read concurrent with a write may see the new value", Hist().w(1, 0, 1, 0, 1).w(1, 0, 2, 2, 5).r(2, 0, "2", 3, 4), L},
      {"a read concurrent with a write cannot see a value older than both",
       Hist().w(1, 0, 1, 0, 1).w(1, 0, 2, 2, 5).r(2, 0, "null", 3, 4), N},
      // w1, w2 both [0,10]; process 3 reads 1 then 2, process 4 reads 2 then 1, both pairs at [1,2] and [3,4]
      {"two readers observing the writes in opposite orders",
       Hist().w(1, 0, 1, 0, 10).w(2, 0, 2, 0, 10).r(3, 0, "1", 1, 2).r(4, 0, "2", 1, 2).r(3, 0, "2", 3, 4).r(4, 0, "1", 3, 4), N},
      {"two readers observing the writes in the same order",
       Hist().w(1, 0, 1, 0, 10).w(2, 0, 2, 0, 10).r(3, 0, "1", 1, 2).r(4, 0, "1", 1, 2).r(3, 0, "2", 3, 4).r(4, 0, "2", 3, 4), L},
      // w1 [0,1] ok; w2 invoked at 2, info at 3; r [4,5] -> 2
      {"an unknown write may explain a later read", Hist().w(1, 0, 1, 0, 1).w(2, 0, 2, 2, 3, "info").r(3, 0, "2", 4, 5), L},
      {"an unknown write may also never take effect", Hist().w(1, 0, 1, 0, 1).w(2, 0, 2, 2, 3, "info").r(3, 0, "1", 4, 5), L},
      {"a write never completed may explain a later read", Hist().w(1, 0, 1, 0, 1).w(2, 0, 2, 2, 3, "none").r(3, 0, "2", 4, 5), L},
      // r [4,5] -> 2, but the unknown write of 2 is invoked at 6
      {"an unknown write invoked after the read cannot explain it",
       Hist().w(1, 0, 1, 0, 1).r(3, 0, "2", 4, 5).w(2, 0, 2, 6, 7, "info"), N},
      // w1 [0,1] fails; r [2,3] -> 1
      {"a failed write's value is read", Hist().w(1, 0, 1, 0, 1, "fail").r(2, 0, "1", 2, 3), N},
      {"a failed write does not hide the initial null", Hist().w(1, 0, 1, 0, 1, "fail").r(2, 0, "null", 2, 3), L},
      {"a read of a never-written key is null", Hist().r(1, 0, "null", 0, 1), L},
      {"a read after a completed write is not null", Hist().w(1, 0, 1, 0, 1).r(2, 0, "null", 2, 3), N},
      {"a read concurrent with the first write may be null", Hist().w(1, 0, 1, 0, 3).r(2, 0, "null", 1, 2), L},
      {"an unknown read constrains nothing", Hist().w(1, 0, 1, 0, 1).r(2, 0, "null", 2, 3, "info"), L},
      // key 1 written, key 2 read: each key is its own register
      {"keys are independent registers", Hist().w(1, 1, 1, 0, 1).r(2, 2, "null", 2, 3), L},
      {"cas finds the value and replaces it", Hist().w(1, 0, 1, 0, 1).cas(1, 0, 1, 2, 2, 3).r(2, 0, "2", 4, 5), L},
      {"cas cannot succeed on a value that is not there", Hist().w(1, 0, 1, 0, 1).cas(1, 0, 5, 6, 2, 3), N},
      {"a failed cas changes nothing", Hist().w(1, 0, 1, 0, 1).cas(1, 0, 5, 6, 2, 3, "fail").r(2, 0, "1", 4, 5), L},
      // events at the same instant count as concurrent
      {"a read invoked at the instant a write completes may miss it", Hist().w(1, 0, 1, 0, 1).r(2, 0, "null", 1, 2), L},
      {"an empty history", Hist(), L},
  };
  for (const auto& c : cases) {
    INFO(c.name << "\n" << c.h.text());
    CheckReport r = check(c.h);
    CHECK(verdict_name(r.verdict) == std::string(verdict_name(c.expected)));
    // The brute force agrees on every key.
    History parsed = parse(c.h.text());
    bool all = true;
    for (const auto& [key, ops] : parsed.by_key) all = all && brute_force(ops);
    CHECK(all == (c.expected == L));
  }
}

TEST_CASE("Linearizability: keys are decided independently and counted", "[linearizability]") {
  // Key 1 is fine; key 2 has a stale read; key 3 reads null after a write.
  Hist h;
  h.w(1, 1, 1, 0, 1).r(2, 1, "1", 2, 3);
  h.w(3, 2, 1, 0, 1).w(3, 2, 2, 2, 3).r(4, 2, "1", 4, 5);
  h.w(5, 3, 7, 0, 1).r(6, 3, "null", 2, 3);
  CheckReport r = check(h);
  CHECK(r.verdict == CheckVerdict::NotLinearizable);
  CHECK(r.keys == 3);
  CHECK(r.keys_linearizable == 1);
  CHECK(r.keys_not_linearizable == 2);
  CHECK(r.not_linearizable_keys == std::vector<int64_t>{2, 3});
  REQUIRE(r.first_violation);
  CHECK(r.first_violation->key == 2);  // the smallest failing key
}

TEST_CASE("Linearizability: what is dropped before the search", "[linearizability]") {
  // w1 [0,1] fails; an info read; an info write of 5 nobody reads; an info write of 6 read at [4,5].
  Hist h;
  h.w(1, 0, 1, 0, 1, "fail").r(2, 0, "null", 0, 1, "info").w(3, 0, 5, 2, 3, "info").w(4, 0, 6, 2, 3, "none");
  h.r(5, 0, "6", 4, 5);
  CheckReport r = check(h);
  CHECK(r.verdict == CheckVerdict::Linearizable);
  CHECK(r.operations == 5);
  CHECK(r.dropped_failed == 1);
  CHECK(r.dropped_unknown_reads == 1);
  CHECK(r.dropped_unobserved_writes == 1);
  CHECK(r.considered == 2);
  auto j = check_json(r);
  CHECK(j["checked_operations"] == 2);
  CHECK(j["dropped_unobserved_unknown_writes"] == 1);
}

TEST_CASE("Linearizability: the excerpt of a violation", "[linearizability]") {
  // Timeline (key 0), line numbers in the file:
  //   p1 write 1 [0,1]        lines 1-2
  //   p1 write 2 [2,3]        lines 3-4
  //   p3 write 9 [2.5,6]      lines 5, 10   concurrent with the read below, but writes 9
  //   p2 read -> 1 [4,5]      lines 8, 9    stale: write 2 completed before it was invoked
  //   p4 read -> 2 [0.5,0.7]  lines ...     not concurrent, before: left out
  Hist h;
  h.w(1, 0, 1, 0, 1).w(1, 0, 2, 2, 3).w(3, 0, 9, 2.5, 6).r(2, 0, "1", 4, 5).r(4, 0, "null", 0.5, 0.7);
  CheckReport r = check(h);
  REQUIRE(r.verdict == CheckVerdict::NotLinearizable);
  REQUIRE(r.first_violation);
  const Violation& v = *r.first_violation;
  CHECK(v.key_operations == 5);
  CHECK(v.blocked.f == OpKind::Read);
  CHECK(v.blocked.value == 1);
  CHECK(v.blocked.process == 2);
  // The deepest point: read null, write 1, write 2, write 9 linearized, the value is 9 when the
  // stale read's completion is reached; no other order gets further.
  CHECK(v.prefix_length == 4);
  CHECK(v.prefix_value == 9);
  // The excerpt: the last write before the read (write 2), the concurrent write 9, the read.
  REQUIRE(v.excerpt.size() == 3);
  CHECK(v.excerpt[0].value == 2);
  CHECK(v.excerpt[1].value == 9);
  CHECK(v.excerpt[2].f == OpKind::Read);
  CHECK_FALSE(v.excerpt_truncated);
  std::string text = check_text(r);
  CHECK(text.rfind("not linearizable\n", 0) == 0);
  CHECK(text.find("key 0: the longest linearizable prefix holds 4 of its 5 operations and leaves the value 9; the "
                  "read -> 1 on line") != std::string::npos);
  CHECK(text.find("<- cannot be placed") != std::string::npos);
}

TEST_CASE("Linearizability: the checker agrees with brute force on random small histories", "[linearizability]") {
  // Up to 7 operations on one key over 4 processes, values 1-3, every outcome; intervals random.
  Rng rng(42);
  int disagreements = 0, bad = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<HistoryOp> ops;
    int n = 1 + static_cast<int>(rng.below(7));
    for (int i = 0; i < n; ++i) {
      HistoryOp op;
      op.process = i;
      op.invoke_line = i + 1;
      op.f = static_cast<OpKind>(rng.below(3));
      op.call = static_cast<double>(rng.below(10));
      op.ret = op.call + static_cast<double>(rng.below(4));
      double u = rng.uniform();
      op.outcome = u < 0.75 ? OpType::Ok : u < 0.87 ? OpType::Info : OpType::Fail;
      if (op.outcome == OpType::Info) op.ret = std::numeric_limits<double>::infinity();
      op.expected = 1 + static_cast<int64_t>(rng.below(3));
      int64_t v = static_cast<int64_t>(rng.below(4));
      op.value = v == 0 && op.f == OpKind::Read ? std::nullopt : std::optional<int64_t>(v == 0 ? 1 : v);
      ops.push_back(op);
    }
    KeyResult k = check_key(0, ops, 1e300);
    bool expected = brute_force(ops);
    bad += expected ? 0 : 1;
    if ((k.verdict == CheckVerdict::Linearizable) != expected) ++disagreements;
  }
  CHECK(disagreements == 0);
  CHECK(bad > 300);  // both verdicts well represented
  CHECK(bad < 2700);
}

TEST_CASE("Linearizability: a tiny time limit on an adversarial history gives unknown", "[linearizability]") {
  // 40 writes of distinct values all concurrent on [0, 10], then a read of 99, never written: the
  // search must try every set of writes before giving up (40 x 2^39 states).
  Hist h;
  for (int p = 0; p < 40; ++p) h.w(p, 5, p + 1, 0, 10);
  h.r(40, 5, "99", 11, 12);
  h.w(41, 4, 1, 0, 1);  // an easy key, checked first (keys go in order), is still decided
  History parsed = parse(h.text());
  auto t0 = std::chrono::steady_clock::now();
  CheckReport r = check_history(parsed, CheckOptions{0.05});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.verdict == CheckVerdict::Unknown);
  CHECK(r.keys_unknown == 1);
  CHECK(r.unknown_keys == std::vector<int64_t>{5});
  CHECK(r.keys_linearizable == 1);
  CHECK(seconds < 2);
  CHECK(check_text(r).find("unknown keys (not decided within the 0.05 s time limit): 5") != std::string::npos);
}

TEST_CASE("Linearizability: 100k generated operations over 20 processes are decided", "[linearizability]") {
  // The generator's register takes each operation at an instant inside its interval: linearizable.
  HistoryGenParams p;  // 20 processes, 300 keys, 100000 operations
  std::stringstream good;
  {
    HistoryWriter w(good);
    CHECK(generate_register_history(p, w) == 0);
  }
  History h = parse_history(good, "good.jsonl");
  CHECK(h.operations == 100000);
  CHECK(h.by_key.size() == 300);
  CHECK(h.failed > 0);
  CHECK(h.info > 0);
  CheckReport r = check_history(h, CheckOptions{60});
  CHECK(r.verdict == CheckVerdict::Linearizable);
  CHECK(r.keys_linearizable == 300);

  SECTION("with stale reads injected it is not") {
    p.stale_read_fraction = 0.002;
    std::stringstream bad;
    uint64_t stale = 0;
    {
      HistoryWriter w(bad);
      stale = generate_register_history(p, w);
    }
    CHECK(stale > 50);
    CheckReport b = check_history(parse_history(bad, "bad.jsonl"), CheckOptions{60});
    CHECK(b.verdict == CheckVerdict::NotLinearizable);
    CHECK(b.keys_not_linearizable > 0);
    CHECK(b.keys_not_linearizable <= stale);  // every failing key holds an injected stale read
  }

  SECTION("read key range by key range within a small memory budget, the verdict is the same") {
    p.stale_read_fraction = 0.002;
    std::string path = source_path("build/linearizability_test_stale.jsonl");
    {
      HistoryWriter w(path);
      generate_register_history(p, w);
    }
    CheckReport once = check_history_file(path, CheckOptions{60});
    CheckReport ranges = check_history_file(path, CheckOptions{60, 3000});
    fs::remove(path);
    CHECK(once.file_reads == 1);
    // 100000 operations in ranges of at most 3000, whole keys of ~333 operations: at least 34
    // ranges, and each more than half full.
    CHECK(ranges.file_reads >= 1 + 34);
    CHECK(ranges.file_reads <= 1 + 67);
    CHECK(ranges.verdict == CheckVerdict::NotLinearizable);
    CHECK(ranges.keys == once.keys);
    CHECK(ranges.considered == once.considered);
    CHECK(ranges.keys_not_linearizable == once.keys_not_linearizable);
    CHECK(ranges.not_linearizable_keys == once.not_linearizable_keys);
    REQUIRE(ranges.first_violation);
    CHECK(ranges.first_violation->key == once.first_violation->key);
    CHECK(check_text(ranges) == check_text(once));
  }

  SECTION("the same seed writes the same bytes") {
    std::stringstream again;
    {
      HistoryWriter w(again);
      generate_register_history(p, w);
    }
    CHECK(again.str() == good.str());
  }
}

TEST_CASE("HistoryWriter: writes what the reader reads back, and refuses misuse", "[history]") {
  std::stringstream s;
  {
    HistoryWriter w(s);
    w.invoke(0.5, 1, Operation::write(3, 7));
    w.invoke(0.75, 2, Operation::read(3));
    CHECK(w.in_flight() == 2);
    w.complete(1, 1, OpType::Ok);
    w.complete(1.25, 2, OpType::Ok, 7);
    w.invoke(2, 2, Operation::cas(3, 7, 8));
    w.complete(2.5, 2, OpType::Info);
    w.invoke(3, 1, Operation::read(4));
    CHECK_THROWS_AS(w.invoke(3.5, 1, Operation::read(4)), std::logic_error);  // one outstanding per process
    CHECK_THROWS_AS(w.complete(3.5, 9, OpType::Ok), std::logic_error);        // nothing in flight
    CHECK_THROWS_AS(w.invoke(2.9, 3, Operation::read(4)), std::logic_error);  // time went back
    CHECK(w.in_flight() == 1);
  }
  CHECK(s.str() ==
        "{\"time\":0.5,\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"key\":3,\"value\":7}\n"
        "{\"time\":0.75,\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"key\":3,\"value\":null}\n"
        "{\"time\":1,\"process\":1,\"type\":\"ok\",\"f\":\"write\",\"key\":3,\"value\":7}\n"
        "{\"time\":1.25,\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"key\":3,\"value\":7}\n"
        "{\"time\":2,\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"key\":3,\"value\":[7,8]}\n"
        "{\"time\":2.5,\"process\":2,\"type\":\"info\",\"f\":\"cas\",\"key\":3,\"value\":[7,8]}\n"
        "{\"time\":3,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":4,\"value\":null}\n");
  History h = parse_history(s, "w.jsonl");
  CHECK(h.events == 7);
  CHECK(h.operations == 4);
  CHECK(h.ok == 2);
  CHECK(h.info == 2);
  CHECK(h.never_completed == 1);
  REQUIRE(h.by_key.at(3).size() == 3);
  const HistoryOp& read = h.by_key.at(3)[1];
  CHECK(read.f == OpKind::Read);
  CHECK(read.value == 7);
  CHECK(read.call == 0.75);
  CHECK(read.ret == 1.25);
  CHECK(read.invoke_line == 2);
  CHECK(read.complete_line == 4);
  const HistoryOp& cas = h.by_key.at(3)[2];
  CHECK(cas.expected == 7);
  CHECK(cas.value == 8);
  CHECK(std::isinf(cas.ret));
  const HistoryOp& pending = h.by_key.at(4)[0];
  CHECK(pending.complete_line == 0);
  CHECK(std::isinf(pending.ret));
}

TEST_CASE("archsim check: verdicts, exit codes and JSON", "[linearizability][cli]") {
  std::string good = write_temp("good.jsonl", Hist().w(1, 0, 1, 0, 1).r(2, 0, "1", 2, 3).text());
  std::string bad = write_temp("bad.jsonl", Hist().w(1, 0, 1, 0, 1).w(1, 0, 2, 2, 3).r(2, 0, "1", 4, 5).text());
  Hist hard;
  for (int p = 0; p < 40; ++p) hard.w(p, 5, p + 1, 0, 10);
  hard.r(40, 5, "99", 11, 12);
  std::string slow = write_temp("slow.jsonl", hard.text());

  SECTION("linearizable: exit 0") {
    Outcome o = run_archsim({"check", good});
    CHECK(o.exit_code == 0);
    CHECK(o.out.rfind("linearizable\n", 0) == 0);
    CHECK(o.err.empty());
  }
  SECTION("not linearizable: exit 4, with the excerpt") {
    Outcome o = run_archsim({"check", bad});
    CHECK(o.exit_code == 4);
    CHECK(o.out.rfind("not linearizable\n", 0) == 0);
    CHECK(o.out.find("read -> 1") != std::string::npos);
  }
  SECTION("unknown: exit 3") {
    Outcome o = run_archsim({"check", slow, "--time-limit", "20ms"});
    CHECK(o.exit_code == 3);
    CHECK(o.out.rfind("unknown\n", 0) == 0);
  }
  SECTION("--json") {
    Outcome o = run_archsim({"check", bad, "--json"});
    CHECK(o.exit_code == 4);
    auto j = nlohmann::json::parse(o.out);
    CHECK(j["verdict"] == "not linearizable");
    CHECK(j["keys"]["not_linearizable"] == 1);
    CHECK(j["violation"]["key"] == 0);
    CHECK(j["violation"]["prefix_length"] == 2);
    CHECK(j["violation"]["prefix_value"] == 2);
    CHECK(j["violation"]["blocked"]["invoke_line"] == 5);
    CHECK(j["violation"]["blocked"]["complete_line"] == 6);
    CHECK(j["violation"]["excerpt"].size() == 2);
    Outcome g = run_archsim({"check", good, "--json"});
    CHECK(g.exit_code == 0);
    CHECK(nlohmann::json::parse(g.out)["violation"].is_null());
  }
  SECTION("a bad --time-limit is bad input") {
    Outcome o = run_archsim({"check", good, "--time-limit", "10"});
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind("check: error: --time-limit: ", 0) == 0);
    CHECK(o.out.empty());
  }
}

TEST_CASE("archsim check: malformed histories exit 2 with file:line:col", "[linearizability][bad_inputs]") {
  // tests/bad_inputs/histories/NNN-name.jsonl, each with its one expected stderr line.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator("tests/bad_inputs/histories"))
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 20);
  for (const auto& path : files) {
    std::string file = path.generic_string();
    INFO("corpus file: " << file);
    std::ifstream in(fs::path(path).replace_extension(".expected"));
    REQUIRE(in);
    std::string expected;
    std::getline(in, expected);
    REQUIRE(expected.rfind(file + ":", 0) == 0);
    Outcome o = run_archsim({"check", file});
    CHECK(o.exit_code == 2);
    CHECK(o.err == expected + "\n");
    CHECK(o.out.empty());
  }

  SECTION("files that cannot be read") {
    Outcome missing = run_archsim({"check", "tests/bad_inputs/histories/no-such.jsonl"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err == "tests/bad_inputs/histories/no-such.jsonl: error: no such file\n");
    Outcome dir = run_archsim({"check", "tests/bad_inputs/histories"});
    CHECK(dir.exit_code == 2);
    CHECK(dir.err == "tests/bad_inputs/histories: error: is a directory; give a history file\n");
  }
  SECTION("a line too long") {
    std::string long_line = write_temp("long.jsonl", "{\"time\":0" + std::string(5000, ' ') + "}\n");
    Outcome o = run_archsim({"check", long_line});
    CHECK(o.exit_code == 2);
    CHECK(o.err == long_line + ":1:4097: error: line is 5010 bytes long; a history event is one short JSON object "
                               "(at most 4096 bytes)\n");
  }
}
