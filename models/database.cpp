#include "models/database.hpp"

namespace archsim {

Database::Database(Params params, ComponentStats* stats, Rng rng)
    : Station(params.station, stats, rng), p_(std::move(params)) {}

void Database::step(Context& ctx, Job& job) {
  bool write = job.request->is_write;
  switch (job.phase) {
    case 0:
      job.phase = 1;
      run_io(ctx, job, (write ? p_.write_io : p_.read_io).sample(rng()));
      return;
    case 1:
      job.phase = 2;
      run_cpu(ctx, job, (write ? p_.write_cpu : p_.read_cpu).sample(rng()));
      return;
    default:
      finish(ctx, job, Status::Ok);
  }
}

}  // namespace archsim
