#include "models/service/service.hpp"

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
      if (job.sub != 0 && continue_cache_aside(ctx, job, calls[job.next_call - 1])) return;
      if (job.next_call < calls.size()) {
        const ResolvedCall& c = calls[job.next_call++];
        if (c.aside_backend) {
          // Cache-aside: a read asks the cache first; a write goes to the backend first.
          job.sub = job.request->is_write ? 4 : 1;
          call(ctx, job, job.request->is_write ? *c.aside_backend : c);
          return;
        }
        call(ctx, job, c);
        return;
      }
      finish(ctx, job, Status::Ok);
    }
  }
}

}  // namespace archsim

namespace archsim {

// The caller's side of cache-aside, one step per answer:
//   read:  1 the cache answered: on a miss read the backend (2), then write the value back (3);
//   write: 4 the backend took the write: invalidate the key in the cache (5).
// Returns false when the call is complete and the next call may start.
bool Service::continue_cache_aside(Context& ctx, Job& job, const ResolvedCall& c) {
  switch (job.sub) {
    case 1:
      if (!job.cache_miss) break;
      job.cache_miss = false;
      job.sub = 2;
      call(ctx, job, *c.aside_backend);
      return true;
    case 2:
      job.sub = 3;
      call(ctx, job, c, kCacheFill);
      return true;
    case 4:
      job.sub = 5;
      call(ctx, job, c);
      return true;
    default:
      break;
  }
  job.sub = 0;
  return false;
}

}  // namespace archsim
