// The users of the design: a source of requests with an arrival process and a mix of request
// types, each touching a key drawn from its popularity distribution.
//
// Open loop (`poisson`, `constant`, `trace`): requests arrive whatever the system does, as real
// users of a public service do. Closed loop (`closed`): `users` each send one request, wait for
// its answer (or the timeout), think, and send the next, so a slow system receives less load.
// A request not answered within `timeout` counts as failed once, even if its answer comes later.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sim/support/distribution.hpp"
#include "sim/support/id_map.hpp"
#include "models/common/message.hpp"
#include "sim/support/hash_ring.hpp"
#include "sim/support/key_distribution.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"
#include "models/common/station.hpp"

namespace archsim {

class Client : public ModelNode {
 public:
  enum class Process { Poisson, Constant, Closed, Trace };
  struct TypeParams {
    double weight = 1;
    bool is_write = false;
    KeyDistribution keys = KeyDistribution::uniform(1);
    double request_bytes = 0, response_bytes = 0;
  };
  struct Params {
    Process process = Process::Poisson;
    double rate = 0;
    int64_t users = 0;
    Distribution think_time;
    std::string trace_file;
    std::vector<TypeParams> types;
    CallTarget target;            // where requests go (models/common/routing.hpp)
    double timeout = 0;           // 0 = wait forever
  };
  Client(Params params, ClientStats* stats, Rng rng);

  void on_start(Context& ctx) override;
  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;
  // A load spike (NodeCondition::Kind::Spike): the rate times its factor while it holds.
  void on_condition(Context& ctx, const NodeCondition& c, bool active) override;

 private:
  struct InFlight {
    double sent = 0;
    uint16_t type = 0;
    int64_t user = -1;
    TimerId timeout = 0;
    bool measured = false;
  };
  void schedule_next_arrival(Context& ctx);
  void send_request(Context& ctx, int64_t user, int type = -1, int64_t key = -1);
  void user_done(Context& ctx, int64_t user);
  bool read_trace_line(double* t, int* type, int64_t* key);

  Params p_;
  double rate_factor_ = 1;               // a spike's factor while one holds
  uint64_t* spike_sent_ = nullptr;       // the spike's count of requests sent while it holds
  ClientStats* stats_;
  Rng rng_;
  std::vector<double> cumulative_;
  IdMap<InFlight> in_flight_;
  uint64_t next_id_ = 1;
  uint64_t rr_ = 0;
  std::ifstream trace_;
  double trace_next_t_ = 0;
  int trace_next_type_ = -1;
  int64_t trace_next_key_ = -1;
};

}  // namespace archsim
