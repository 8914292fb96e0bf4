// Estimates without simulating: the back-of-envelope capacity calculator of the seed lesson, the
// analytic (queueing) view of a topology, and what a run costs in money.
//
// The calculator reproduces the seed's worked examples with their own conventions: a size unit
// system (decimal, 1 GB = 1e9 B, or binary, 1 GiB = 1024^3 B) is an explicit input and is named in
// every printed unit. The analytic view propagates the clients' offered rates through the call
// graph and applies open-network queueing formulas per resource (utilization, Erlang C); it leaves
// out on purpose the network, worker pools held across downstream calls, timeouts and the cold
// start, which only the simulation sees. See docs/estimates.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config/cost_presets.hpp"
#include "sim/support/key_distribution.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

struct RunResult;

// ---------------------------------------------------------------------------------------------
// The back-of-envelope calculator (`archsim estimate --dau ...`).

enum class UnitSystem { Decimal, Binary };  // 1 GB = 1e9 B, or 1 GiB = 1024^3 B

struct CapacityInputs {
  double dau = 0;               // daily active users
  double reads_per_user = 0;    // reads per user per day
  double writes_per_user = 0;   // writes per user per day
  double payload_bytes = 0;     // bytes stored per write and returned per read
  double peak_multiplier = 3;   // peak over average traffic (the seed's 3x spike)
  double retention_days = 365;  // how long writes are kept
  double replication = 1;       // copies of every stored byte
  double media_fraction = 0;    // share of writes carrying a media object (0.1 = 10%)
  double media_bytes = 0;       // bytes per media object
  double viral_views = 0;       // views of one hot media object...
  double viral_window_s = 3600; // ...within this window (the seed's "1M users in an hour")
  UnitSystem units = UnitSystem::Decimal;
};

struct CapacityEstimate {
  CapacityInputs in;
  double reads_per_day = 0, writes_per_day = 0;
  double avg_read_qps = 0, avg_write_qps = 0, peak_read_qps = 0, peak_write_qps = 0;
  double daily_bytes = 0;      // writes x payload (one copy)
  double retention_bytes = 0;  // daily x retention days x replication
  double media_per_day = 0;    // media objects written per day
  double media_daily_bytes = 0, media_retention_bytes = 0;
  double peak_in_bytes_per_s = 0;   // peak writes x payload
  double peak_out_bytes_per_s = 0;  // peak reads x payload
  double media_peak_in_bytes_per_s = 0;   // peak writes x media fraction x media size
  double media_peak_out_bytes_per_s = 0;  // peak reads x media fraction x media size
  double viral_bytes_per_s = 0;           // viral views x media size / window
};

CapacityEstimate estimate_capacity(const CapacityInputs& in);
std::string capacity_text(const CapacityEstimate& e);
nlohmann::ordered_json capacity_json(const CapacityEstimate& e);

// "100M", "1.5k", "20B" (billion), "3e6": a count. nullopt (with `why`) when malformed.
std::optional<double> parse_count(const std::string& text, std::string* why);
// "5y" (365 days each), "90d", "12w": a retention in days.
std::optional<double> parse_retention_days(const std::string& text, std::string* why);
// A value in the largest unit of `units` below it (B, KB, MB, GB, TB, PB or B, KiB, ... PiB).
std::pair<double, std::string> scale_bytes(double bytes, UnitSystem units);
// `x` rounded to `digits` significant figures (the seed's "~3.5 MB/s").
double round_significant(double x, int digits);

// ---------------------------------------------------------------------------------------------
// The analytic view of a topology (`archsim estimate FILE`).

struct ResourceLoad {
  std::string resource;     // "cpu", "io", or "consumers" (a queue's consumer group)
  double servers = 0;       // over all replicas: cores x replicas, io_parallelism x replicas
  double demand_s = 0;      // mean seconds of this resource per request of the component
  double utilization = 0;   // rho = lambda x demand / servers
  // Mean wait per request from Erlang C, per replica as M/M/c with c = cores (or io_parallelism)
  // and lambda / replicas; nullopt when rho >= 1 or the resource is unused.
  std::optional<double> erlang_c_wait_s;
};

struct ComponentLoad {
  std::string name;
  const Kind* kind = nullptr;
  int64_t replicas = 1;
  double lambda = 0;                      // requests per second arriving, all types
  std::map<std::string, double> by_type;  // requests per second by request type
  double response_bytes = 0;              // mean response size of what arrives, bytes
  std::optional<double> hit_ratio;        // cache only
  std::string hit_ratio_method;           // how it was obtained
  std::vector<ResourceLoad> resources;
};

struct AnalyticModel {
  std::string topology;
  double client_rate = 0;  // requests per second offered by the open-loop clients
  std::vector<ComponentLoad> components;  // every non-client component, file order
  // The first resource to reach rho = 1 when every client rate is scaled by the same factor.
  std::string saturates_component, saturates_resource;
  double saturation_client_rate = 0;  // total client rate at which it reaches rho = 1; 0 = never
  std::vector<std::string> notes;     // the assumptions this estimate made
};

// REQUIRES: validate_topology(t) passed.
AnalyticModel analyze_topology(const Topology& t);
std::string analytic_text(const AnalyticModel& m);
nlohmann::ordered_json analytic_json(const AnalyticModel& m);

// The bandwidth side of the analytic view, for `--network auto` (NetworkPlan::predicted_nic): by
// component, the offered utilization of one replica's NIC in its busier direction. A server's
// answers leave it (arrival rate x mean response size / replicas); a client's answers reach it
// (its open-loop rate x mean response size / replicas). Requests, usually small, are left out.
std::vector<std::pair<std::string, double>> predicted_nic_utilization(const Topology& t);
// The same from an analytic model of `t` already at hand.
std::vector<std::pair<std::string, double>> predicted_nic_utilization(const Topology& t, const AnalyticModel& m);

// `archsim run --analytic`: adds `analytic` (utilization per resource) to every component of a
// summary and flags the ones whose simulated utilization differs by more than 10%.
void add_analytic_comparison(nlohmann::ordered_json& summary, const Topology& t);

// ---------------------------------------------------------------------------------------------
// Money. A month is 730 hours (365 x 24 / 12); a GB is 1e9 bytes, as cloud bills count them.

constexpr double kHoursPerMonth = 730;

// Whether any component of `t` declares a cost.
bool has_costs(const Topology& t);
// `cost: {monthly_usd, per_million_requests_usd, by_component}` for a finished run.
nlohmann::ordered_json cost_json(const RunResult& r);
// One terminal line: "cost: $X/month, $Y per million requests (...)".
std::string cost_line(const RunResult& r);

}  // namespace archsim
