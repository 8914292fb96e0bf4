#include "models/service.hpp"

namespace archsim {

Service::Service(Params params, ComponentStats* stats, Rng rng)
    : Station(params.station, stats, rng), p_(std::move(params)) {}

void Service::step(Context& ctx, Job& job) {
  switch (job.phase) {
    case 0:
      job.phase = 1;
      run_cpu(ctx, job, p_.cpu.sample(rng()));
      return;
    case 1:
      job.phase = 2;
      run_delay(ctx, job, p_.delay.sample(rng()));
      return;
    default: {
      if (job.status != Status::Ok) {
        finish(ctx, job, job.status);
        return;
      }
      size_t type = job.request->type;
      static const std::vector<ResolvedCall> kNone;
      const auto& calls = type < p_.calls_by_type.size() ? p_.calls_by_type[type] : kNone;
      if (job.next_call < calls.size()) {
        call(ctx, job, calls[job.next_call++]);
        return;
      }
      finish(ctx, job, Status::Ok);
    }
  }
}

}  // namespace archsim
