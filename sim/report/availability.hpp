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

struct Availability {
  AvailabilityRow overall;
  std::vector<AvailabilityRow> by_type;    // in the run's request type order
  std::vector<AvailabilityRow> by_region;  // client regions, sorted by name
  // What the yearly figures extrapolate: the measured window and the faults injected in the run.
  // archsim models no failure rates (mtbf, mttr), so the rows say what that window implies, no more.
  double window_s = 0;
  size_t faults = 0;
};
// "these rows describe the measured window only (...)": the scope sentence of the SLA rows.
std::string availability_scope(const Availability& a);

Availability availability(const RunResult& r);
nlohmann::ordered_json availability_json(const Availability& a);
std::string availability_terminal(const Availability& a);

// The failover records of a database (`components.<db>.failovers`).
nlohmann::ordered_json failovers_json(const FailoverStats& f);
std::string failovers_terminal(const std::string& db, const FailoverStats& f);

}  // namespace archsim
