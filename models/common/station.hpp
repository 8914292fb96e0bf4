// The common shape of every server-side component replica: a worker pool in front of a queue,
// CPU cores shared by processor sharing, an optional disk, and synchronous downstream calls.
//
// A request that finds a free worker starts at once; otherwise it waits in the queue (that wait
// is *contention*), and is rejected when the queue is full. A worker is held for the whole
// request, downstream calls included (thread-per-request). What a request does once it holds a
// worker is the subclass's `step()`: a small state machine built from the primitives below, each
// of which calls `step()` again when it is done.
//
// Left out on purpose: CPU affinity, context-switch overhead, memory pressure, garbage-collection
// pauses, priorities within the queue (it is FIFO).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/common/processor_sharing.hpp"
#include "models/common/resilience.hpp"
#include "models/common/routing.hpp"
#include "sim/support/hash_ring.hpp"
#include "sim/support/id_map.hpp"
#include "models/common/message.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"
#include "sim/support/sharding.hpp"

namespace archsim {

class Station : public ModelNode {
 public:
  Station(const StationParams& params, ComponentStats* stats, Rng rng);

  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;
  // Which replica of its component this node is: per-replica load is counted under it when the
  // stats keep per-replica counters (ComponentStats::replica_arrivals).
  void set_replica_index(size_t i) { replica_index_ = i; }
  // The replica's process died: its queued and running requests fail (their callers' connections
  // break), its workers, cores and disk are free again. A late answer from downstream is ignored.
  void on_crash(Context& ctx) override;
  // A `slow` fault (sim/topology/faults.hpp): while it holds, cpu, io and delay times of the phases that
  // start are multiplied by its factor, and every request that gets a worker first waits its
  // added latency (holding the worker, as a stalled dependency would).
  void on_condition(Context& ctx, const NodeCondition& c, bool active) override;
  // The receiver's write ledger (shared by the component's replicas): counts writes applied again
  // and answers idempotency keys. Null: writes are not tracked.
  void set_write_ledger(std::shared_ptr<WriteLedger> ledger) { ledger_ = std::move(ledger); }

 protected:
  struct Job {
    uint64_t id = 0;
    MessagePtr request;   // the request being served; becomes the response
    double arrived = 0;
    double started = 0;   // when it got a worker
    int phase = 0;        // the subclass's state
    int pending = 0;      // outstanding downstream calls
    Status status = Status::Ok;
    bool measured = false;
    size_t next_call = 0;  // for subclasses walking a call list
    bool flag = false;     // for subclasses (e.g. a cache hit)
    int sub = 0;           // for subclasses: a step within a call (cache-aside)
    bool cache_miss = false;  // a cache_aside cache answered "not there"
    // Critical path (sim/support/critical_path.hpp): the pieces so far, and the phase under way.
    Path path;
    double phase_at = 0;
    uint8_t phase_cause = 0;
    // The call under way: its generation (answers of earlier calls are late), and for a hedged
    // call which slots have their answer, where the originals went and the backup timer.
    uint32_t call_gen = 0;
    std::vector<uint8_t> slot_done;
    std::vector<NodeId> slot_target;
    const ResolvedCall* hedge_call = nullptr;
    TimerId hedge_timer = 0;
    // A guarded call under way (ResolvedCall::guarded()): its retries so far, and the timer of its
    // timeout or of the backoff before the next attempt.
    const ResolvedCall* guarded = nullptr;
    int64_t retries = 0;
    uint8_t guarded_cache_op = 0;
    bool probe = false;  // the attempt under way is the half-open breaker's probe
    TimerId call_timer = 0;
    // Receiver side of an idempotent write: it reserved the key, or it answers a key seen before.
    bool idem_reserved = false, idem_replay = false;
  };

  // Advances `job`: called when the job gets a worker and after each primitive completes.
  virtual void step(Context& ctx, Job& job) = 0;

  // Primitives. Each eventually calls step(job) again, except finish().
  void run_cpu(Context& ctx, Job& job, double seconds);
  void run_io(Context& ctx, Job& job, double seconds);
  void run_delay(Context& ctx, Job& job, double seconds);
  void call(Context& ctx, Job& job, const ResolvedCall& c, uint8_t cache_op = 0);
  // Sends the response, frees the worker and starts the next queued request.
  void finish(Context& ctx, Job& job, Status status);

  Rng& rng() { return rng_; }
  int64_t busy_workers() const { return busy_workers_; }
  size_t replica_index() const { return replica_index_; }
  ComponentStats& stats() { return *stats_; }
  // The replica of `t` that a call about `key` goes to (a write: its shard's primary).
  NodeId pick(const CallTarget& t, uint64_t key, bool write = false);
  // The job with this id, or null (it finished, or the replica crashed since).
  Job* find_job(uint64_t id) {
    Job** j = jobs_.find(id);
    return j ? *j : nullptr;
  }

 private:
  void admit(Context& ctx, MessagePtr msg);
  // Notes the time since the phase began as its cause, then steps. REQUIRES: a phase was started.
  void resume(Context& ctx, Job& job);
  void send_backups(Context& ctx, Job& job);
  void on_answer(Context& ctx, MessagePtr msg);
  void on_cancel(Context& ctx, const Message& cancel);
  // The hedge delay for `c` now; 0 while too few answers have been seen to know the quantile.
  double hedge_delay(const ResolvedCall& c);
  struct HedgeTracker {
    LatencyHistogram answers;
    uint64_t since_update = 0;
    double delay = 0;
  };
  std::unordered_map<const ResolvedCall*, HedgeTracker> hedge_trackers_;
  void start(Context& ctx, Job& job);
  // Guarded calls (models/common/resilience.hpp).
  struct EdgeRuntime {
    std::unique_ptr<RetryBudget> budget;
    std::unique_ptr<CircuitBreaker> breaker;
    std::unique_ptr<StaleCache> stale;
  };
  EdgeRuntime& edge_runtime(const ResolvedCall& c);
  void start_guarded(Context& ctx, Job& job, const ResolvedCall& c, uint8_t cache_op);
  void send_attempt(Context& ctx, Job& job);
  // The attempt failed with `s`: retry after the backoff if allowed, else the call fails.
  void retry_or_fail(Context& ctx, Job& job, Status s);
  // The call failed for good: the fallback decides what the job sees.
  void guarded_failed(Context& ctx, Job& job, Status s);
  void note_breaker(const ResolvedCall& c, EdgeRuntime& er);
  void on_idempotency_lookup(Context& ctx, Job& job);
  std::unordered_map<const ResolvedCall*, EdgeRuntime> edges_;
  std::shared_ptr<WriteLedger> ledger_;
  void reschedule_ps(Context& ctx, bool disk);
  void complete_ps(Context& ctx, bool disk);
  void note_replica_busy(bool disk, double t, double delta);

  StationParams params_;
  ComponentStats* stats_;
  Rng rng_;
  // The jobs by id. A Job stays where it is while it lives (primitives and subclasses hold Job&
  // across other jobs' arrivals and departures); freed ones are reused.
  IdMap<Job*> jobs_;
  std::vector<std::unique_ptr<Job>> job_store_;
  std::vector<Job*> free_jobs_;
  Job& new_job(uint64_t id);
  void drop_job(Job& job);
  std::deque<uint64_t> waiting_;
  int64_t busy_workers_ = 0;
  uint64_t next_job_ = 1;
  ProcessorSharing cpu_, disk_;
  TimerId cpu_timer_ = 0, disk_timer_ = 0;
  double cpu_timer_at_ = -1, disk_timer_at_ = -1;
  uint64_t round_robin_ = 0;
  std::vector<uint64_t> done_;
  size_t replica_index_ = 0;
  bool crashed_ = false;  // answers for jobs lost in a crash may still arrive
  NodeCondition slow_;    // the slow fault now in force (factor 1 and latency 0: none)
  void wait(Context& ctx, Job& job, double seconds);  // run_delay without the slow factor
};

}  // namespace archsim
