// kind: replicated_store (models/replicated_store/replicated_store.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/common/kind.hpp"
#include "sim/support/units.hpp"

namespace archsim {
namespace {

// A key of one consistency mode on a store of the other.
ParamTable& only(ParamTable& t, StoreSpec::Consistency mode) {
  std::string k = t.decls().back().key;
  t.applies_when(mode == StoreSpec::Consistency::Ap ? "consistency: ap" : "consistency: cp");
  return t.check(
      [k, mode](const Component& c, const ParamGiven&) -> std::string {
        if (c.store.consistency == mode) return "";
        return mode == StoreSpec::Consistency::Ap
                   ? fmt::format("'{}' applies to `consistency: ap` only; this store is cp (leader and majority); "
                                 "remove it or set consistency: ap",
                                 k)
                   : fmt::format("'{}' applies to `consistency: cp` only; this store is ap; remove it or set "
                                 "consistency: cp",
                                 k);
      },
      true);
}

// heartbeat_interval below election_timeout, reported at the heartbeat when it is given.
std::string heartbeat_check(const Component& c, const ParamGiven& given, bool at_heartbeat) {
  const StoreSpec& s = c.store;
  if (s.consistency != StoreSpec::Consistency::Cp || s.heartbeat_interval < s.election_timeout) return "";
  if (at_heartbeat != given("heartbeat_interval")) return "";
  return fmt::format("heartbeat_interval ({}) must be shorter than election_timeout ({}), or followers start elections "
                     "while the leader is alive",
                     format_duration(s.heartbeat_interval), format_duration(s.election_timeout));
}

const ParamTable& store_table() {
  using S = StoreSpec;
  using C = StoreSpec::Consistency;
  static const ParamTable t = [] {
    ParamTable t;
    t.in(&Component::store)
        .section("replicas", "a list of regions, or a count",
                 "one replica in each listed region (`[us-east, eu-west, ap-south]`), or that many placed in `region:`",
                 "store_placement")
        .required()
        .choice("consistency", &S::consistency, {{"cp", C::Cp}, {"ap", C::Ap}},
                "`cp`: Raft-style leader and majority (linearizable; the minority side of a partition cannot "
                "write); `ap`: Dynamo-style coordinators and quorums (available on both sides; reads may be stale, "
                "writes may conflict)")
        .distribution("op_time", &S::op_time,
                      "CPU time of an operation on a core of the replica that executes it: the leader (cp; a "
                      "follower forwards its clients' operations at once) or its coordinator (ap)")
        .count("cores", &S::cores, 1, kMaxCores,
               "cores per replica, each running one operation at a time, first come first served: a cp store's "
               "leader runs every operation of the store, so it saturates first and more replicas add no capacity")
        .size("value_size", &S::value_bytes, "bytes of a value in protocol messages");
    t.duration("election_timeout", &S::election_timeout,
               "cp: a follower that hears no leader for a time uniform in [T, 2T] starts an election; a leader that "
               "hears from no majority for T steps down. Longer rides out slow links without needless elections, "
               "and leaves the store without a leader for longer after a real failure; it must exceed the round "
               "trip between the replicas (Raft: broadcast time << election timeout)",
               false)
        .at(&S::election_timeout_loc)
        .applies_when("consistency: cp");
    t.check([](const Component& c, const ParamGiven& g) {
      std::string m = c.store.consistency == C::Cp ? "" : "'election_timeout' applies to `consistency: cp` only; this store is ap; remove it or set consistency: cp";
      return m.empty() ? heartbeat_check(c, g, false) : m;
    }, true);
    t.duration("heartbeat_interval", &S::heartbeat_interval,
               "cp: the leader's heartbeats, which also resend unacknowledged entries and confirm read-index rounds; "
               "must be below `election_timeout`",
               false)
        .at(&S::heartbeat_interval_loc)
        .applies_when("consistency: cp")
        .check(
            [](const Component& c, const ParamGiven& g) {
              std::string m = c.store.consistency == C::Cp ? "" : "'heartbeat_interval' applies to `consistency: cp` only; this store is ap; remove it or set consistency: cp";
              return m.empty() ? heartbeat_check(c, g, true) : m;
            },
            true);
    t.choice("minority", &S::minority_rejects, {{"reject", true}, {"timeout", false}},
             "cp: with no leader reachable a replica refuses its clients' operations at once (`reject`), or drops "
             "them so the callers time out (`timeout`)");
    only(t, C::Cp);
    t.choice("reads", &S::lease_reads, {{"lease", true}, {"read_index", false}},
             "cp: `lease` (the leader answers at once while a majority acknowledged a heartbeat within "
             "`election_timeout`) or `read_index` (every read waits for a heartbeat round to reach a majority)");
    only(t, C::Cp);
    t.text("leader", &S::leader, &S::leader_loc,
           "cp: the region whose replica is the leader when the run starts (term 1, elected before t = 0); the "
           "first replica's region when not given. The leader's region sets every write's latency: a write waits "
           "for the leader and its nearest follower");
    t.applies_when("consistency: cp");
    t.check(
        [](const Component& c, const ParamGiven& g) -> std::string {
          const StoreSpec& s = c.store;
          if (!g("leader")) return "";
          if (s.consistency != C::Cp)
            return "'leader' applies to `consistency: cp` only; this store is ap; remove it or set consistency: cp";
          if (s.cold_start) return "'leader' and 'cold_start: true' contradict: a cold start elects its leader; remove one";
          for (const auto& r : s.placement)
            if (r == s.leader) return "";
          return fmt::format("leader '{}' is not a region of this store's replicas ({}); name one of them", s.leader,
                             fmt::join(s.placement, ", "));
        },
        true);
    t.flag("cold_start", &S::cold_start,
           "cp: the replicas start as followers with no leader and elect one after an election timeout (uniform in "
           "[T, 2T]), as after a full restart; writes before it wait or fail. Default false: a leader from the start");
    only(t, C::Cp);
    t.flag("pre_vote", &S::pre_vote,
           "cp: a replica whose election timer fires first asks whether the others would vote for it, and raises its "
           "term only if a majority would; `false` lets a replica cut off by a partition come back with a higher "
           "term that deposes the leader");
    only(t, C::Cp);
    t.duration("log_sync", &S::log_sync,
               "each replica's log disk sync (fsync) time. cp: the leader counts an entry toward the majority, "
               "and a follower acknowledges it, once a sync holds it; ap: a replica applies and acknowledges a write "
               "(the coordinator counts its own toward `w`) once synced. Writes arriving during a sync go in the "
               "next (group commit), so a slower sync adds latency more than it costs throughput; a crash loses "
               "what is not yet synced. `none` (the default): the log is not modelled",
               false)
        .zero_word("none");
    t.bandwidth("log_bandwidth", &S::log_bandwidth,
                "the log disk's write bandwidth; a sync also takes the bytes it writes / this (entries of "
                "`value_size` + 32 B): what saturates a replica's disk. Default 1GB/s, the seed's sequential SSD");
    t.section("quorum", "`{n: all, r: 1, w: 1, sloppy: true}`",
              "ap: `n` home replicas per key (consecutive from a hash of the key), a read answers after `r` of them, "
              "a write after `w`; larger r and w buy fresher reads with more waiting; `sloppy: false` fails what "
              "cannot reach `r`/`w` in `request_timeout`, `sloppy: true` answers with what it has and keeps hints",
              "store_quorum", "{n: all, r: 1, w: 1, sloppy: true}");
    only(t, C::Ap);
    t.choice("conflict", &S::siblings, {{"lww", false}, {"siblings", true}},
             "ap: `lww` keeps the value with the largest timestamp (the coordinator's clock plus its `clock_skew`); "
             "`siblings` keeps concurrent values under version vectors and a read returns the newest of them");
    only(t, C::Ap);
    t.section("clock_skew", "a list of offsets, one per replica: `[0ms, 0ms, +50ms]`",
              "ap: each replica's clock offset; a clock ahead makes its writes win over later ones", "store_clock_skew",
              "none");
    only(t, C::Ap);
    t.duration("request_timeout", &S::request_timeout, "ap: how long a coordinator waits for replicas", false);
    only(t, C::Ap);
    t.flag("read_repair", &S::read_repair,
           "ap: a read asks every home replica and sends the newest value to those that answered with an older one");
    only(t, C::Ap);
    t.flag("hinted_handoff", &S::hinted_handoff,
           "ap: a write a home replica did not acknowledge in time (or refused because it is down) is kept as a hint "
           "and resent every `hint_retry` until acknowledged");
    only(t, C::Ap);
    t.duration("hint_retry", &S::hint_retry, "ap: seconds between hint deliveries", false);
    only(t, C::Ap);
    t.count("max_hints", &S::max_hints, 0, int64_t(1) << 32,
            "ap: hints kept per replica; beyond, they are dropped and left to anti-entropy");
    only(t, C::Ap);
    t.duration("anti_entropy_interval", &S::anti_entropy_interval,
               "ap: each replica sends every peer the keys it updated since their last exchange (what a Merkle-tree "
               "comparison would find), staggered across the replicas; shorter converges faster for more background "
               "traffic; `none` turns it off",
               false)
        .zero_word("none");
    only(t, C::Ap);
    return t;
  }();
  return t;
}

class ReplicatedStoreKind final : public Kind {
 public:
  const char* name() const override { return "replicated_store"; }
  const char* summary() const override {
    return "a key-value store replicated across regions: CP (Raft-style leader, quorum commits) or AP (Dynamo-style "
           "N, R, W quorums, hinted handoff, read repair)";
  }
  const ParamTable& params() const override { return store_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "replicated stores";
      k.can_crash = true;
      k.server = false;
      k.keeps_history = true;
      return k;
    }();
    return t;
  }
  // Clients of a multi-region store connect to their nearest replica: a caller reaches the
  // replicas in its own region, else all of them.
  // The others, nearest first (by the configured link's round trip), are where a call with
  // `failover: true` retries.
  void reach(const Component& c, const std::string& region, CallTarget& ct, BuildContext& b) const override {
    std::vector<NodeId> local;
    std::vector<std::pair<double, size_t>> others;
    for (size_t i = 0; i < ct.replicas.size(); ++i) {
      const std::string& at = c.store.placement[i];
      if (at == region) {
        local.push_back(ct.replicas[i]);
        continue;
      }
      double rtt = 1e9;  // no direct link: after every linked region
      for (const auto& l : b.topology().network.links)
        if ((l.a == region && l.b == at) || (l.b == region && l.a == at)) rtt = l.rtt;
      others.push_back({rtt, i});
    }
    if (local.empty()) return;
    std::stable_sort(others.begin(), others.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& o : others) ct.remote.push_back(ct.replicas[o.second]);
    ct.replicas = std::move(local);
  }
  const std::string& node_region(const Component& c, size_t i) const override { return c.store.placement[i]; }
  // Raft's timing requirement: a candidate must hear a majority's votes before its election timer
  // fires again, so the timeout must exceed its round trip to the nearest majority. Refused when no
  // replica could ever win (the timeout is below every replica's majority round trip): the store
  // would never have a leader, and its timers alone make events without bound (a 2 ns timeout:
  // gigabytes within a millisecond of simulated time).
  void check(const Topology& t, const Component& c, std::vector<std::string>& warnings) const override {
    const StoreSpec& s = c.store;
    size_t n = s.placement.size();
    if (s.consistency != StoreSpec::Consistency::Cp || n < 2) return;
    double best = INFINITY;  // the shortest round trip in which some replica reaches a majority
    std::string from, to;
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::pair<double, size_t>> rtts;
      for (size_t j = 0; j < n; ++j)
        if (j != i) {
          const std::string &x = s.placement[i], &y = s.placement[j];
          rtts.push_back({x == y ? t.network.intra_region_rtt : t.region_rtt(x, y), j});
        }
      std::sort(rtts.begin(), rtts.end());
      const auto& needed = rtts[n / 2 - 1];  // with its own vote, n / 2 others make a majority
      if (needed.first < best) best = needed.first, from = s.placement[i], to = s.placement[needed.second];
    }
    if (!std::isfinite(best)) return;
    // Two rounds in flight at once are common (etcd advises a heartbeat about the round trip);
    // more only cost messages.
    if (s.heartbeat_interval < best / 2)
      warnings.push_back(fmt::format(
          "{}: warning: heartbeat_interval ({}) is well below the round trip in which the leader of '{}' reaches a "
          "majority ({}): about {:.0f} heartbeat rounds are in flight at once, each a message to every follower, and "
          "no commit or read-index round completes sooner for it; make it about the round trip, e.g. {}",
          t.where(s.heartbeat_interval_loc.line ? s.heartbeat_interval_loc : c.loc), format_duration(s.heartbeat_interval),
          c.name, format_duration(best),
          std::ceil(best / s.heartbeat_interval), format_duration(best)));
    if (s.election_timeout > best) return;
    t.fail(s.election_timeout_loc.line ? s.election_timeout_loc : c.loc,
           fmt::format("election_timeout ({}) is not above the round trip in which any replica of '{}' reaches a "
                       "majority ({} to {}: {}): no candidate can gather the votes before its next timeout, so the "
                       "store never elects a leader; make it several round trips, e.g. {}",
                       format_duration(s.election_timeout), c.name, from, to, format_duration(best),
                       format_duration(std::max(0.15, 5 * best))));
  }
  void build(const Component& c, BuildContext& b) const override { b.add_store(c); }
  // cp: the leader's heartbeat rounds (an append to every follower, its answer, the follower's
  // election timer reset); ap: hint deliveries and anti-entropy exchanges on every replica.
  void background_events(const Topology& t, const Component& c, double,
                         std::vector<BackgroundEvents>& out) const override {
    const StoreSpec& s = c.store;
    double n = static_cast<double>(nodes(c)), d = t.run.duration;
    if (s.consistency == StoreSpec::Consistency::Cp) {
      out.push_back({fmt::format("heartbeats every {}", format_duration(s.heartbeat_interval)),
                     d / s.heartbeat_interval * (1 + 3 * (n - 1))});
      return;
    }
    if (s.hinted_handoff && s.hint_retry > 0)
      out.push_back({fmt::format("hint deliveries every {}", format_duration(s.hint_retry)), n * d / s.hint_retry});
    if (s.anti_entropy_interval > 0)
      out.push_back({fmt::format("anti-entropy every {}", format_duration(s.anti_entropy_interval)),
                     n * d / s.anti_entropy_interval * (1 + 2 * (n - 1))});
  }
};

}  // namespace

const Kind& replicated_store_kind() {
  static const ReplicatedStoreKind k;
  return k;
}

}  // namespace archsim
