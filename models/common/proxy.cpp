#include "models/common/proxy.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

#include "sim/support/critical_path.hpp"

namespace archsim {

uint64_t Proxy::accept(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  uint64_t id = next_id_++;
  Held& h = held_.insert(id);
  h.caller = msg->from;
  h.caller_call = msg->call_id;
  h.arrived = t;
  h.network_in = t - msg->sent_at;
  h.measured = stats_->in_window(t);
  h.request = std::move(msg);
  if (h.measured) ++stats_->arrivals;
  stats_->in_system.add(t, 1);
  stats_->busy_workers.add(t, 1);
  return id;
}

void Proxy::send(Context& ctx, uint64_t id, NodeId to, size_t target) {
  Held& h = *held_.find(id);
  h.target = target;
  h.forwarded = ctx.now();
  MessagePtr m = std::move(h.request);
  m->call_id = id;
  ctx.send(to, std::move(m));
}

std::optional<size_t> Proxy::reply(Context& ctx, MessagePtr msg) {
  Held* found = held_.find(msg->call_id);
  if (!found) return std::nullopt;
  Held& h = *found;
  double t = ctx.now();
  bool ok = msg->status == Status::Ok;
  if (h.measured) {
    if (ok) {
      ++stats_->completed;
      stats_->residence.record(t - h.arrived);
    } else {
      ++stats_->failed;
    }
  }
  stats_->series.record(t, t - h.arrived, ok);
  stats_->in_system.add(t, -1);
  stats_->busy_workers.add(t, -1);
  NodeId self = ctx.self();
  if (h.network_in > 0) msg->path.push_back({self, cause::kNetwork, h.network_in});
  if (h.forwarded > h.arrived) msg->path.push_back({self, cause::kDelay, h.forwarded - h.arrived});
  if (t > msg->sent_at) msg->path.push_back({msg->from, cause::kNetwork, t - msg->sent_at});
  uint64_t id = msg->call_id;
  msg->call_id = h.caller_call;
  NodeId caller = h.caller;
  size_t target = h.target;
  held_.erase(id);
  ctx.send(caller, std::move(msg));
  return target;
}

void Proxy::fail_all(Context& ctx) {
  double t = ctx.now();
  std::vector<std::tuple<uint64_t, NodeId, uint64_t>> held;  // id, caller, its call id
  held_.for_each([&](uint64_t id, const Held& h) {
    if (h.measured) ++stats_->failed;
    stats_->in_system.add(t, -1);
    stats_->busy_workers.add(t, -1);
    held.emplace_back(id, h.caller, h.caller_call);
  });
  std::sort(held.begin(), held.end());
  for (auto [id, caller, call] : held) {
    auto m = std::make_unique<Message>();
    m->call_id = call;
    m->is_response = true;
    m->status = Status::Failed;
    ctx.send(caller, std::move(m));
  }
  held_.clear();
}

}  // namespace archsim
