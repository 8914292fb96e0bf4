#include "sim/report/availability.hpp"
#include "sim/report/document.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "sim/report/json_number.hpp"
#include "sim/scenario/scenario.hpp"

namespace archsim {

namespace {
nlohmann::json time_or_null(double t) { return t < 0 ? nlohmann::json(nullptr) : nlohmann::json(d6(t)); }

std::string human(double seconds) {
  if (seconds >= 3600) return fmt::format("{:.2f} h", seconds / 3600);
  if (seconds >= 60) return fmt::format("{:.1f} min", seconds / 60);
  return fmt::format("{:.1f} s", seconds);
}

nlohmann::ordered_json row_json(const AvailabilityRow& row) {
  double a = row.availability();
  return {{"attempted", row.attempted},
          {"successful", row.successful},
          {"availability", d6(a)},
          {"downtime_per_year_h", d6(downtime_per_year(a) / 3600)}};
}
}  // namespace

double downtime_per_year(double availability) { return (1 - availability) * kSecondsPerYear; }

const std::vector<SlaRow>& sla_table() {
  static const std::vector<SlaRow> rows = {
      {0.99, "99%", "", ""},
      {0.999, "99.9%", "~8.7 hours of downtime per year", "Single-region, active-passive failover OK"},
      {0.9999, "99.99%", "~52 minutes", "Multi-region active-active required"},
      {0.99999, "99.999%", "", ""},
  };
  return rows;
}

namespace {

constexpr double kRecoveryTail = 30;  // seconds after a fault in which its transient is looked for

// The clients' outcomes per second of the run, summed, and what each rated fault costs.
void rate_faults(const RunResult& r, Availability& a) {
  std::vector<const FaultOutcome*> rated;
  for (const auto& f : r.faults)
    if (f.spec && f.spec->mtbf > 0) rated.push_back(&f);
  if (rated.empty()) return;
  std::vector<double> total, errors;
  for (const auto& cs : r.clients) {
    const auto& rows = cs.series.rows();
    if (rows.size() > total.size()) total.resize(rows.size(), 0), errors.resize(rows.size(), 0);
    for (size_t i = 0; i < rows.size(); ++i) {
      total[i] += static_cast<double>(rows[i].completed + rows[i].errors);
      errors[i] += static_cast<double>(rows[i].errors);
    }
  }
  size_t n = total.size();
  size_t first = static_cast<size_t>(std::ceil(r.window_start));
  auto second = [&](double t) { return std::min(n, static_cast<size_t>(std::max(0.0, std::floor(t)))); };
  // Seconds some fault (any, rated or not) touches: its window and the tail after it.
  std::vector<char> touched(n, 0);
  for (const auto& f : r.faults) {
    double end = f.end < 0 ? r.window_end : f.end;
    for (size_t i = second(f.start); i < second(end + kRecoveryTail + 1); ++i) touched[i] = 1;
  }
  auto fraction = [&](size_t from, size_t to, bool untouched) {
    double tot = 0, err = 0;
    for (size_t i = std::max(from, first); i < to && i < n; ++i)
      if (!untouched || !touched[i]) tot += total[i], err += errors[i];
    return tot > 0 ? err / tot : 0.0;
  };
  a.baseline = fraction(first, n, true);
  for (const FaultOutcome* f : rated) {
    FailureRate fr;
    fr.fault = f->spec->name();
    fr.mtbf = f->spec->mtbf;
    fr.mttr = f->spec->mttr;
    double end = f->end;
    // Whole seconds inside the window: the second half is where it has settled.
    size_t w0 = second(std::ceil(f->start)), w1 = second(end);
    size_t half = second(std::ceil(f->start + (end - f->start) / 2));
    fr.degraded = std::max(0.0, fraction(half, w1, false) - a.baseline);
    double tail_end = end + kRecoveryTail;
    for (const auto& g : r.faults)
      if (g.start >= end) tail_end = std::min(tail_end, g.start);
    size_t t1 = second(tail_end);
    double excess = 0, window_requests = 0, all = 0;
    for (size_t i = second(f->start); i < t1; ++i) {
      excess += errors[i] - a.baseline * total[i];
      all += total[i];
      if (i >= w0 && i < w1) window_requests += total[i];
    }
    double rate = t1 > second(f->start) ? all / static_cast<double>(t1 - second(f->start)) : 0;
    double transient = std::max(0.0, excess - fr.degraded * window_requests);
    fr.transient_s = rate > 0 ? transient / rate : 0;
    a.rates.push_back(fr);
  }
}

}  // namespace

Availability availability(const RunResult& r) {
  Availability a;
  a.overall.name = "overall";
  a.by_type.resize(r.type_names.size());
  for (size_t i = 0; i < r.type_names.size(); ++i) a.by_type[i].name = r.type_names[i];
  std::map<std::string, AvailabilityRow> regions;
  for (const auto& cs : r.clients) {
    uint64_t attempted = cs.generated - cs.in_flight_at_end;
    a.overall.attempted += attempted;
    a.overall.successful += cs.completed;
    std::string region = "default";
    if (r.topology)
      if (const Component* c = r.topology->find(cs.name)) region = c->region;
    AvailabilityRow& reg = regions[region];
    reg.name = region;
    reg.attempted += attempted;
    reg.successful += cs.completed;
    for (size_t i = 0; i < a.by_type.size() && i < cs.generated_by_type.size(); ++i) {
      a.by_type[i].attempted += cs.generated_by_type[i] - cs.in_flight_by_type[i];
      a.by_type[i].successful += cs.completed_by_type[i];
    }
  }
  for (auto& [name, row] : regions) a.by_region.push_back(row);
  a.window_s = r.window();
  a.faults = r.faults.size();
  rate_faults(r, a);
  return a;
}

double Availability::downtime_per_year_s() const {
  double d = baseline * kSecondsPerYear;
  for (const auto& f : rates) d += kSecondsPerYear / f.mtbf * f.per_occurrence_s();
  return std::min(d, kSecondsPerYear);
}

double Availability::yearly() const {
  return rated() ? 1 - downtime_per_year_s() / kSecondsPerYear : overall.availability();
}

std::string availability_scope(const Availability& a) {
  if (a.rated())
    return fmt::format("the SLA rows count the faults with mtbf/mttr at their rates for a year (per year from failure "
                       "rates, above); the 'down per year' of the rows above them extrapolate the {:g} s window",
                       a.window_s);
  if (a.faults == 0)
    return fmt::format(
        "these rows describe the measured window only ({:g} s, no fault injected): how the design behaves while "
        "everything works, not how often it fails in a year; add faults (crash, partition) to measure what a failure "
        "costs",
        a.window_s);
  return fmt::format(
      "these rows describe the measured window only ({:g} s with {} fault{}): 'per year' assumes failures like "
      "these, at this rate, all year",
      a.window_s, a.faults, a.faults == 1 ? "" : "s");
}

nlohmann::ordered_json availability_json(const Availability& a) {
  nlohmann::ordered_json j = row_json(a.overall);
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  for (const auto& row : a.by_type) types[row.name] = row_json(row);
  j["by_type"] = types;
  nlohmann::ordered_json regions = nlohmann::ordered_json::object();
  for (const auto& row : a.by_region) regions[row.name] = row_json(row);
  j["by_client_region"] = regions;
  nlohmann::ordered_json sla = nlohmann::ordered_json::array();
  double avail = a.yearly();
  for (const auto& s : sla_table()) {
    nlohmann::ordered_json row = {{"sla", s.name},
                                  {"target", s.target},
                                  {"allowed_downtime_per_year_h", d6(downtime_per_year(s.target) / 3600)},
                                  {"met", avail >= s.target}};
    if (*s.seed_says) row["seed"] = s.seed_says;
    if (*s.architecture) row["architecture"] = s.architecture;
    sla.push_back(row);
  }
  j["sla"] = sla;
  if (a.rated()) {
    nlohmann::ordered_json faults = nlohmann::ordered_json::array();
    for (const auto& f : a.rates)
      faults.push_back({{"fault", f.fault},
                        {"mtbf_h", d6(f.mtbf / 3600)},
                        {"mttr_h", d6(f.mttr / 3600)},
                        {"degraded_fraction", d6(f.degraded)},
                        {"transient_s", d6(f.transient_s)},
                        {"downtime_per_occurrence_s", d6(f.per_occurrence_s())},
                        {"occurrences_per_year", d6(kSecondsPerYear / f.mtbf)}});
    j["per_year_from_failure_rates"] = {{"baseline_failure_fraction", d6(a.baseline)},
                                        {"faults", faults},
                                        {"downtime_per_year_h", d6(a.downtime_per_year_s() / 3600)},
                                        {"availability", std::round(a.yearly() * 1e9) / 1e9}};
  }
  j["scope"] = {{"window_s", d6(a.window_s)}, {"faults", a.faults}, {"note", availability_scope(a)}};
  return j;
}

void add_availability(ReportSection& sec, const Availability& a) {
  ReportTable rows{{"requests", "availability", "ok of attempted", "down per year"}, "lrrr", {}};
  std::string text = "availability (successful / attempted requests; downtime per year = (1 - a) x 365.25 d)\n";
  auto line = [&](const std::string& label, const AvailabilityRow& row) {
    double av = row.availability();
    ReportTable::Row cells{{label, fmt::format("{:.5f}%", 100 * av), fmt::format("{} of {}", row.successful, row.attempted),
                            human(downtime_per_year(av))},
                           ""};
    text += fmt::format("  {:<20} {:>10}  {} ok, {} down per year\n", cells.cells[0], cells.cells[1], cells.cells[2],
                        cells.cells[3]);
    rows.rows.push_back(std::move(cells));
  };
  line("overall", a.overall);
  for (const auto& row : a.by_type) line("type " + row.name, row);
  for (const auto& row : a.by_region) line("region " + row.name, row);
  sec.table(text, rows);
  double av = a.yearly();
  if (a.rated()) {
    std::string out = fmt::format("  per year from failure rates: {:.5f}% of requests fail outside the faults", 100 * a.baseline);
    for (const auto& f : a.rates)
      out += fmt::format("; {} once per {} for {}: {:.2f}% fail while it holds, plus a {:.2f} s transient = {} per "
                         "occurrence",
                         f.fault, f.mtbf >= 86400 ? fmt::format("{:g} d", f.mtbf / 86400) : human(f.mtbf), human(f.mttr),
                         100 * f.degraded, f.transient_s, human(f.per_occurrence_s()));
    out += fmt::format(" -> {} down per year ({:.6f}%)\n", human(a.downtime_per_year_s()), 100 * av);
    sec.text(out);
  }
  ReportTable sla{{"SLA", "allows per year", "the seed", "met"}, "lrll", {}};
  text.clear();
  for (const auto& s : sla_table()) {
    ReportTable::Row cells{{s.name, human(downtime_per_year(s.target)),
                            *s.seed_says ? fmt::format("{}; {}", s.seed_says, s.architecture) : std::string(),
                            av >= s.target ? "met" : "not met"},
                           ""};
    text += fmt::format("  SLA {:<8} allows {:>9} per year{}: {}\n", cells.cells[0], cells.cells[1],
                        cells.cells[2].empty() ? std::string() : " (seed: " + cells.cells[2] + ")", cells.cells[3]);
    sla.rows.push_back(std::move(cells));
  }
  sec.table(text, sla);
  sec.text("  " + availability_scope(a) + "\n");
}

nlohmann::ordered_json failovers_json(const FailoverStats& f) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& rec : f.records) {
    list.push_back({{"shard", rec.shard},
                    {"crashed_at", d6(rec.crashed_at)},
                    {"detected_at", time_or_null(rec.detected_at)},
                    {"promoted_at", time_or_null(rec.promoted_at)},
                    {"new_primary", rec.new_primary < 0 ? nlohmann::json(nullptr) : nlohmann::json(rec.new_primary)},
                    {"rto_s", time_or_null(rec.rto)},
                    {"rpo_writes", rec.lost_writes},
                    {"rpo_span_s", rec.lost_writes ? d6(rec.lost_newest_at - rec.lost_oldest_at) : 0.0},
                    {"rpo_oldest_at", time_or_null(rec.lost_oldest_at)},
                    {"rpo_newest_at", time_or_null(rec.lost_newest_at)},
                    {"unreplicated_at_crash", rec.unreplicated_at_crash}});
  }
  return list;
}

std::string failovers_terminal(const std::string& db, const FailoverStats& f) {
  std::string out;
  for (const auto& rec : f.records) {
    out += fmt::format("{:<14} failover ({}) shard {}: crashed {:.3f} s", db, f.mode, rec.shard, rec.crashed_at);
    if (rec.detected_at >= 0) out += fmt::format(", detected {:.3f} s", rec.detected_at);
    if (rec.promoted_at >= 0) out += fmt::format(", primary {}/{} at {:.3f} s", db, rec.new_primary, rec.promoted_at);
    out += rec.rto >= 0 ? fmt::format(", RTO {:.3f} s", rec.rto) : std::string(", no write succeeded after it");
    out += fmt::format(", RPO {} writes", rec.lost_writes);
    if (rec.lost_writes) out += fmt::format(" over {:.3f} s", rec.lost_newest_at - rec.lost_oldest_at);
    out += "\n";
  }
  return out;
}

}  // namespace archsim
