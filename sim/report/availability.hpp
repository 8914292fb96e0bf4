// Availability over a run, failover records, and the invariant that synchronous replication loses
// no acknowledged write.
//
// Availability is successful / attempted requests in the measured window, where attempted counts
// the requests whose outcome is known by the end (completed, rejected, timed out or failed; those
// still in flight are left out). The downtime per year it implies is (1 - availability) x 365.25
// days: what the run's failure rate would cost if it held all year. The run is compared with the
// SLA rows of the seed's NFR table ("A 99.9% availability SLA ("three nines") allows ~8.7 hours of
// downtime per year. A 99.99% SLA allows ~52 minutes.") and the 99% and 99.999% rows on either
// side of them, worked out with the same formula.
//
// When faults declare how often they happen (`mtbf`) and how long they last (`mttr`), the SLA
// rows use failure rates instead ("per year from failure rates"). From the clients' per-second
// outcomes, for each such fault:
//   baseline   b: the failure fraction of the measured seconds no fault touches (a fault's window
//                 and the 30 s after it);
//   degraded   d: the failure fraction above b over the second half of the fault's window (the
//                 level it settles at while it holds);
//   transient  T: the failures above b in the window and the tail after it (up to 30 s, or the next
//                 fault), less d's share of the window: detection, failover and recovery, in
//                 seconds of full outage (divided by the requests per second);
//   per occurrence: d x mttr + T seconds of downtime.
// Downtime per year = b x 365.25 d + sum over the faults of (365.25 d / mtbf) x (d x mttr + T).
// The transient is measured once; a real mttr longer than the simulated window only stretches d.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/support/metrics.hpp"

namespace archsim {

struct RunResult;

inline constexpr double kSecondsPerYear = 365.25 * 24 * 3600;

// Seconds of downtime per year that `availability` (a fraction) implies.
double downtime_per_year(double availability);

struct SlaRow {
  double target;            // a fraction, e.g. 0.999
  const char* name;         // "99.9%"
  const char* seed_says;    // the seed's wording of the allowance, or "" for a row worked out here
  const char* architecture; // the seed's architectural implication, or ""
};
// The SLA rows, loosest first.
const std::vector<SlaRow>& sla_table();

struct AvailabilityRow {
  std::string name;  // "overall", a request type, or a client region
  uint64_t attempted = 0, successful = 0;
  double availability() const { return attempted ? static_cast<double>(successful) / static_cast<double>(attempted) : 1.0; }
};

// One fault with `mtbf`/`mttr`, and what one occurrence of it costs (see the top of this file).
struct FailureRate {
  std::string fault;  // Fault::name()
  double mtbf = 0, mttr = 0;  // seconds
  double degraded = 0;        // fraction of requests failing above the baseline while it holds
  double transient_s = 0;     // seconds of full outage around it (detection, failover, recovery)
  double per_occurrence_s() const { return degraded * mttr + transient_s; }
};

struct Availability {
  AvailabilityRow overall;
  std::vector<AvailabilityRow> by_type;    // in the run's request type order
  std::vector<AvailabilityRow> by_region;  // client regions, sorted by name
  // What the yearly figures extrapolate: the measured window and the faults injected in the run.
  // Without faults that declare mtbf and mttr the rows say what that window implies, no more.
  double window_s = 0;
  size_t faults = 0;
  // Faults with mtbf/mttr: the yearly figures come from them (empty: from the window).
  std::vector<FailureRate> rates;
  double baseline = 0;  // failure fraction outside every fault's reach
  bool rated() const { return !rates.empty(); }
  double downtime_per_year_s() const;  // rated: b x year + the faults' share
  double yearly() const;               // the availability the SLA rows compare: rated or the window's
};
// "these rows describe the measured window only (...)": the scope sentence of the SLA rows.
std::string availability_scope(const Availability& a);

Availability availability(const RunResult& r);
nlohmann::ordered_json availability_json(const Availability& a);
struct ReportSection;
// The availability rows, the rated line when faults declare mtbf/mttr, the SLA rows and their scope.
void add_availability(ReportSection& section, const Availability& a);

// The failover records of a database (`components.<db>.failovers`).
nlohmann::ordered_json failovers_json(const FailoverStats& f);
std::string failovers_terminal(const std::string& db, const FailoverStats& f);

}  // namespace archsim
