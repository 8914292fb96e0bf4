// The feed part of a run's report (models/feed/feed.hpp).
#include <fmt/format.h>

#include <cmath>

#include "sim/report/json_number.hpp"
#include "sim/report/report.hpp"

namespace archsim {

namespace {


// Writes per post over all posts: unpushed posts count zero writes.
double amplification_quantile(const FeedStats& f, double q) {
  if (f.posts == 0 || f.posts_pushed == 0) return 0;
  double zero = static_cast<double>(f.posts - f.posts_pushed) / static_cast<double>(f.posts);
  if (q <= zero) return 0;
  return std::round(f.write_amplification.quantile((q - zero) / (1 - zero)) * 1e3);
}

}  // namespace

nlohmann::ordered_json feeds_json(const RunResult& r) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& f : r.feeds) {
    nlohmann::ordered_json j;
    j["strategy"] = f.strategy;
    j["graph"] = {{"accounts", f.accounts}, {"follow_edges", f.edges},
                  {"mean_followers", f.accounts ? r6(static_cast<double>(f.edges) / static_cast<double>(f.accounts)) : 0.0}};
    j["posts"] = {{"total", f.posts}, {"pushed", f.posts_pushed}, {"pulled", f.posts_pulled}};
    j["timeline_writes"] = f.timeline_writes;
    j["write_amplification"] = {
        {"mean", f.posts ? r6(static_cast<double>(f.timeline_writes + 0) / static_cast<double>(f.posts)) : 0.0},
        {"mean_pushed", f.posts_pushed ? r6(f.write_amplification.mean() * 1e3) : 0.0},
        {"p99", r6(amplification_quantile(f, 0.99))},
        {"max", f.max_writes_per_post},
        {"min_pushed", f.posts_pushed ? f.min_writes_per_post : 0}};
    const LatencyHistogram& lag = f.delivery_lag;
    j["delivery_lag_s"] = {{"delivered", lag.count()},
                           {"p50", r6(lag.quantile(0.5))},
                           {"p99", r6(lag.quantile(0.99))},
                           {"max", r6(lag.max())},
                           {"undelivered_at_end", f.undelivered_at_end}};
    j["fanout_backlog"] = {{"mean_writes", r6(f.backlog.mean())}, {"max_writes", r6(f.backlog.max())}};
    const LatencyHistogram& rl = f.read_latency;
    j["reads"] = {{"total", f.reads},
                  {"calls", f.read_calls},
                  {"calls_per_read", f.reads ? r6(static_cast<double>(f.read_calls) / static_cast<double>(f.reads)) : 0.0},
                  {"min_calls", f.reads ? f.min_calls_per_read : 0},
                  {"max_calls", f.max_calls_per_read},
                  {"pulled_fetches", f.celebrity_fetches},
                  {"latency_ms", {{"mean", r6(rl.mean() * 1e3)}, {"p50", r6(rl.quantile(0.5) * 1e3)},
                                  {"p99", r6(rl.quantile(0.99) * 1e3)}, {"max", r6(rl.max() * 1e3)}}}};
    j["timeline_memory_bytes"] = {{"at_end", r6(f.timeline_bytes)}, {"when_full", r6(f.timeline_full_bytes)}};
    out[f.name] = j;
  }
  return out;
}

std::string feeds_terminal(const RunResult& r) {
  std::string out;
  for (const auto& f : r.feeds) {
    out += fmt::format("\nfeed {} ({}): {} accounts, {} follow edges\n", f.name, f.strategy, f.accounts, f.edges);
    out += fmt::format("  posts {} ({} pushed), write amplification mean {:.1f}, p99 {:.0f}, max {}\n", f.posts,
                       f.posts_pushed, f.posts ? static_cast<double>(f.timeline_writes) / static_cast<double>(f.posts) : 0.0,
                       amplification_quantile(f, 0.99), f.max_writes_per_post);
    out += fmt::format("  delivery lag p50 {:.3f} s, p99 {:.3f} s, max {:.3f} s ({} undelivered at the end); fan-out backlog max {:.0f} writes\n",
                       f.delivery_lag.quantile(0.5), f.delivery_lag.quantile(0.99), f.delivery_lag.max(),
                       f.undelivered_at_end, f.backlog.max());
    out += fmt::format("  reads {}: {:.1f} calls per read, latency p50 {:.3f} ms, p99 {:.3f} ms; timeline memory {} when full\n",
                       f.reads, f.reads ? static_cast<double>(f.read_calls) / static_cast<double>(f.reads) : 0.0,
                       f.read_latency.quantile(0.5) * 1e3, f.read_latency.quantile(0.99) * 1e3,
                       fmt::format("{:.3g} GB", f.timeline_full_bytes / 1e9));
  }
  return out;
}

}  // namespace archsim
