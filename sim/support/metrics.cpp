#include "sim/support/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace archsim {

void TimeWeighted::configure(double ws, double we, int bins) {
  ws_ = ws;
  we_ = we;
  bins_.assign(bins > 0 && we > ws ? static_cast<size_t>(bins) : 0, 0.0);
  bin_width_ = bins_.empty() ? 0 : (we - ws) / static_cast<double>(bins);
}

void TimeWeighted::add_to_bins(double a, double b) {
  size_t last = bins_.size() - 1;
  auto bin_of = [&](double t) { return std::min(last, static_cast<size_t>((t - ws_) / bin_width_)); };
  for (size_t i = bin_of(a), end = bin_of(b); i <= end; ++i) {
    double lo = std::max(a, ws_ + static_cast<double>(i) * bin_width_);
    double hi = i == last ? b : std::min(b, ws_ + static_cast<double>(i + 1) * bin_width_);
    if (hi > lo) bins_[i] += value_ * (hi - lo);
  }
}

std::vector<double> TimeWeighted::window_means() const {
  std::vector<double> m(bins_.size());
  for (size_t i = 0; i < bins_.size(); ++i) m[i] = bins_[i] / bin_width_;
  return m;
}

void TimeWeighted::integrate_to(double t) {
  if (t <= last_) return;
  if (value_ != 0) {
    double a = std::max(last_, ws_), b = std::min(t, we_);
    if (b > a) {
      integral_ += value_ * (b - a);
      if (!bins_.empty()) add_to_bins(a, b);
    }
    // Per-second integrals, split at whole seconds. The common case, both ends within the second
    // last seen, adds what the loop below would.
    double top = static_cast<double>(sec_ + 1);
    if (sec_ >= 0 && last_ >= static_cast<double>(sec_) && last_ < top && t <= top) {
      per_second_[static_cast<size_t>(sec_)] += value_ * (t - last_);
      last_ = t;
      return;
    }
    double s = last_;
    while (s < t) {
      long sec = static_cast<long>(std::floor(s));
      double e = std::min(t, static_cast<double>(sec + 1));
      if (static_cast<size_t>(sec) >= per_second_.size()) per_second_.resize(static_cast<size_t>(sec) + 1, 0.0);
      per_second_[static_cast<size_t>(sec)] += value_ * (e - s);
      sec_ = sec;
      s = e;
    }
  }
  last_ = t;
}

void TimeWeighted::add(double t, double delta) {
  integrate_to(t);
  value_ += delta;
  if (std::fabs(value_) < 1e-9) value_ = 0;
  if (t >= ws_ && t <= we_) max_ = std::max(max_, value_);
  else if (t < ws_) max_ = std::max(0.0, max_);
}

double TimeWeighted::mean() const {
  double len = we_ - ws_;
  return len > 0 ? integral_ / len : 0;
}

void SecondSeries::roll_to(long second) {
  while (current_ < second) {
    row_.p50 = hist_.quantile(0.5);
    row_.p99 = hist_.quantile(0.99);
    rows_.push_back(row_);
    row_ = SecondRow{};
    hist_.reset();
    ++current_;
  }
}

void SecondSeries::record(double t, double latency, bool ok) {
  roll_to(static_cast<long>(std::floor(t)));
  if (ok) {
    ++row_.completed;
    hist_.record(latency);
  } else {
    ++row_.errors;
  }
}

void SecondSeries::finish(double end) { roll_to(static_cast<long>(std::ceil(end - 1e-9))); }

void ComponentStats::configure(double ws, double we) {
  window_start = ws;
  window_end = we;
  for (TimeWeighted* tw : {&busy_workers, &in_system, &busy_cores, &busy_io}) tw->configure(ws, we);
  queue_len.configure(ws, we, kTrendBins);
}

void ComponentStats::close(double end) {
  for (TimeWeighted* tw : {&busy_workers, &queue_len, &in_system, &busy_cores, &busy_io}) tw->close(end);
  if (queue) queue->lag.close(end);
  series.finish(end);
}

const char* to_string(FailReason r) {
  switch (r) {
    case FailReason::Rejected:
      return reason::kRejected;
    case FailReason::Timeout:
      return reason::kTimeout;
    case FailReason::Unavailable:
      return reason::kUnavailable;
    case FailReason::CircuitOpen:
      return reason::kCircuitOpen;
    case FailReason::Count:
      break;
  }
  return "?";
}

void check_retry_budget(const std::string& caller, const std::string& callee, const EdgeStats& e) {
  if (static_cast<double>(e.budget_retries_total) > e.budget_deposits_total + 1e-6)
    throw std::runtime_error(fmt::format(
        "invariant broken: retries exceed their budget on {} -> {}: {} retries where the first attempts allowed {:g} "
        "(max_retry_ratio x first attempts)",
        caller, callee, e.budget_retries_total, e.budget_deposits_total));
}

}  // namespace archsim
