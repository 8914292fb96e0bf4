#include "models/client/client.hpp"

#include <cstdlib>
#include <sstream>

#include "sim/support/critical_path.hpp"

namespace archsim {

namespace {
constexpr uint64_t kKindShift = 56;
constexpr uint64_t kIdMask = (uint64_t(1) << kKindShift) - 1;
constexpr uint64_t kArrival = 1, kTimeout = 2, kThink = 3;
}  // namespace

Client::Client(Params params, ClientStats* stats, Rng rng) : p_(std::move(params)), stats_(stats), rng_(rng) {
  double c = 0;
  for (const auto& t : p_.types) {
    c += t.weight;
    cumulative_.push_back(c);
  }
  cumulative_.back() = 1.0;
  stats_->generated_by_type.resize(p_.types.size());
  stats_->completed_by_type.resize(p_.types.size());
  stats_->in_flight_by_type.resize(p_.types.size());
}

void Client::on_start(Context& ctx) {
  switch (p_.process) {
    case Process::Poisson:
    case Process::Constant:
      schedule_next_arrival(ctx);
      break;
    case Process::Trace:
      trace_.open(p_.trace_file);
      schedule_next_arrival(ctx);
      break;
    case Process::Closed:
      // Every user starts thinking, at a random phase of its think time (the equilibrium residual),
      // so the users together start at their steady rate N / Z instead of in a burst of about 2N / Z
      // lasting one think time. (At the steady state a share R / (Z + R) of them would be waiting
      // for a response instead; with R much shorter than Z that share is small.)
      for (int64_t u = 0; u < p_.users; ++u)
        ctx.start_timer(p_.think_time.sample_residual(rng_), (kThink << kKindShift) | static_cast<uint64_t>(u));
      break;
  }
}

bool Client::read_trace_line(double* t, int* type, int64_t* key) {
  std::string line;
  while (std::getline(trace_, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string f0, f1, f2;
    std::getline(ss, f0, ',');
    std::getline(ss, f1, ',');
    std::getline(ss, f2, ',');
    char* end = nullptr;
    double v = std::strtod(f0.c_str(), &end);
    if (end == f0.c_str()) continue;  // a header line
    *t = v;
    *type = -1;
    *key = -1;
    if (!f1.empty()) {
      char* e1 = nullptr;
      long ti = std::strtol(f1.c_str(), &e1, 10);
      if (e1 != f1.c_str() && ti >= 0 && static_cast<size_t>(ti) < p_.types.size()) *type = static_cast<int>(ti);
    }
    if (!f2.empty()) *key = std::strtoll(f2.c_str(), nullptr, 10);
    return true;
  }
  return false;
}

void Client::on_condition(Context& ctx, const NodeCondition& c, bool active) {
  if (c.kind != NodeCondition::Kind::Spike) return;
  rate_factor_ = active ? c.factor : 1;
  spike_sent_ = active ? c.affected : nullptr;
  (void)ctx;  // the arrival already drawn keeps its time; the next ones follow the new rate
}

void Client::schedule_next_arrival(Context& ctx) {
  double gap = 0;
  switch (p_.process) {
    case Process::Poisson:
      gap = rng_.exponential(1.0 / (p_.rate * rate_factor_));
      break;
    case Process::Constant:
      gap = 1.0 / (p_.rate * rate_factor_);
      break;
    case Process::Trace: {
      double t;
      if (!read_trace_line(&t, &trace_next_type_, &trace_next_key_)) return;
      gap = t > ctx.now() ? t - ctx.now() : 0;
      break;
    }
    case Process::Closed:
      return;
  }
  ctx.start_timer(gap, kArrival << kKindShift);
}

void Client::send_request(Context& ctx, int64_t user, int type, int64_t key) {
  double t = ctx.now();
  if (type < 0) {
    double u = rng_.uniform();
    type = 0;
    while (u >= cumulative_[static_cast<size_t>(type)]) ++type;
  }
  const TypeParams& tp = p_.types[static_cast<size_t>(type)];
  uint64_t id = next_id_++;
  auto m = std::make_unique<Message>();
  m->type = static_cast<uint16_t>(type);
  m->is_write = tp.is_write;
  m->request_id = id;
  m->call_id = id;
  m->origin = ctx.self();
  m->key = key >= 0 ? static_cast<uint64_t>(key) : tp.keys.sample(rng_);
  m->request_bytes = tp.request_bytes;
  m->response_bytes = tp.response_bytes;
  InFlight& f = in_flight_.insert(id);
  stats_->outstanding.add(t, 1);
  if (spike_sent_) ++*spike_sent_;
  f.sent = t;
  f.type = static_cast<uint16_t>(type);
  f.user = user;
  f.measured = t >= stats_->window_start;
  if (f.measured) {
    ++stats_->generated;
    ++stats_->generated_by_type[f.type];
  }
  if (p_.timeout > 0) f.timeout = ctx.start_timer(p_.timeout, (kTimeout << kKindShift) | id);
  NodeId to = route(p_.target, m->key, m->is_write, rr_);
  ctx.send(to, std::move(m));
}

void Client::user_done(Context& ctx, int64_t user) {
  if (user < 0) return;
  ctx.start_timer(p_.think_time.sample(rng_), (kThink << kKindShift) | static_cast<uint64_t>(user));
}

void Client::on_message(Context& ctx, MessagePtr msg) {
  InFlight* found = in_flight_.find(msg->call_id);
  if (!found) return;  // answered after its timeout: already counted as failed
  InFlight f = *found;
  in_flight_.erase(msg->call_id);
  if (f.timeout) ctx.cancel_timer(f.timeout);
  double t = ctx.now();
  stats_->outstanding.add(t, -1);
  double latency = t - f.sent;
  bool ok = msg->status == Status::Ok;
  if (f.measured) {
    if (ok) {
      ++stats_->completed;
      stats_->all.record(latency);
      stats_->by_type[f.type].record(latency);
      ++stats_->completed_by_type[f.type];
      // The answer's hop back closes the critical path; the pieces then add up to the latency.
      if (t > msg->sent_at) msg->path.push_back({msg->from, cause::kNetwork, t - msg->sent_at});
      stats_->critical.record(latency, msg->path);
    } else if (msg->status == Status::Rejected) {
      ++stats_->rejected;
    } else {
      ++stats_->failed_downstream;
      FailReason why = msg->status == Status::Timeout       ? FailReason::Timeout
                       : msg->status == Status::CircuitOpen ? FailReason::CircuitOpen
                                                            : FailReason::Unavailable;
      ++stats_->failed_by[static_cast<size_t>(why)];
    }
  }
  stats_->series.record(t, latency, ok);
  stats_->record_type_second(t, f.type, ok);
  user_done(ctx, f.user);
}

void Client::on_timer(Context& ctx, uint64_t tag) {
  uint64_t kind = tag >> kKindShift;
  uint64_t id = tag & kIdMask;
  if (kind == kArrival) {
    send_request(ctx, -1, trace_next_type_, trace_next_key_);
    schedule_next_arrival(ctx);
  } else if (kind == kThink) {
    send_request(ctx, static_cast<int64_t>(id));
  } else if (kind == kTimeout) {
    InFlight* found = in_flight_.find(id);
    if (!found) return;
    InFlight f = *found;
    in_flight_.erase(id);
    stats_->outstanding.add(ctx.now(), -1);
    if (f.measured) ++stats_->timed_out;
    stats_->series.record(ctx.now(), p_.timeout, false);
    stats_->record_type_second(ctx.now(), f.type, false);
    user_done(ctx, f.user);
  }
}

void Client::on_end(Context& ctx) {
  in_flight_.for_each([&](uint64_t, const InFlight& f) {
    if (f.measured) {
      ++stats_->in_flight_at_end;
      ++stats_->in_flight_by_type[f.type];
      stats_->in_flight_age.record(ctx.now() - f.sent);
    }
  });
  stats_->outstanding.close(ctx.now());
  stats_->series.finish(ctx.now());
}

}  // namespace archsim
