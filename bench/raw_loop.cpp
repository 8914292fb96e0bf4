// raw_loop: the "raw limit" benchmark.
//
// The same four-tier model as bench/s4u_floor.cpp,
//   client -> load balancer -> app (R replicas) -> cache -> db
// run by a plain C++ priority-queue event loop without SimGrid: the least any sequential
// discrete-event program must pay for this model. Events are message deliveries and timers (plus
// processor-sharing completions, re-planned when a CPU's job set changes). A message sent at t is
// delivered at t + 250 us (two 125 us NIC links) + 1024*8/10e9 s transmission.
//
// The model: Poisson client (rate lambda, stops after N requests); load balancer with zero service
// time, round robin, proxying responses; app replicas with C cores processor sharing (rate
// min(1, C/n) per request), W workers held per request until the cache answers, unbounded FIFO
// for the excess, CPU demand exponential with mean 1 ms; cache is a 100 us pure delay, hit with
// probability h, a miss calls the db; db is a 150 us I/O pure delay then 200 us CPU on 8 cores PS.
// The model classes (Rng .. Db) are textually the same as in s4u_floor.cpp; only Node's transport
// and the loop differ.
//
// Deliberately left out: network contention (every transfer takes the same fixed time, where
// SimGrid shares link bandwidth between concurrent transfers), and everything that makes a
// simulator a simulator: no configuration files, no topology description, no metrics beyond the
// mean latency, no timeouts, retries, failures, keys or cache contents, no generic component
// framework, no validation of inputs beyond what is needed to run. Per-request state exists only
// while a request is in flight.
//
// Build: g++ -O2 -std=c++20 bench/raw_loop.cpp -o /tmp/raw_loop
// Usage: raw_loop N [rate_per_s=20000] [replicas=8] [hit_ratio=0.9] [seed=1] [cores=4] [workers=32]
// Output: one JSON line {"requests", "sim_time_s", "wall_s", "rss_kb", "mean_latency_ms"}.
// sim_time_s is the simulated time of the last response; wall_s covers setup and the run.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <vector>

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kAppCpuMean = 1e-3;       // s, exponential
constexpr double kCacheDelay = 100e-6;     // s, constant, infinite concurrency
constexpr double kDbIoDelay = 150e-6;      // s, constant, infinite concurrency
constexpr double kDbCpu = 200e-6;          // s, constant
constexpr int kDbCores = 8;
constexpr uint64_t kMessageBytes = 1024;   // both requests and responses
constexpr double kLinkBandwidth = 10e9 / 8;  // bytes/s (10 Gbps)
constexpr double kLinkLatency = 125e-6;    // s per NIC link; a route crosses two
constexpr double kOneWay = 2 * kLinkLatency + kMessageBytes / kLinkBandwidth;

// Host indices; the app replicas follow kFirstApp.
constexpr int kClient = 0;
constexpr int kBalancer = 1;
constexpr int kCache = 2;
constexpr int kDb = 3;
constexpr int kFirstApp = 4;

struct Config {
  uint64_t requests = 0;
  double rate = 20000;
  int replicas = 8;
  double hit_ratio = 0.9;
  uint64_t seed = 1;
  int cores = 4;
  int workers = 32;
};

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
  }
  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in (0, 1].
  double uniform_pos() { return (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53; }
  double exponential(double mean) { return -mean * std::log(uniform_pos()); }
  bool bernoulli(double p) { return uniform_pos() <= p; }

  // An independent stream for component `stream` under the run seed.
  static Rng stream(uint64_t seed, uint64_t stream) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + stream;
    return Rng(splitmix64(s));
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

enum class Kind : uint8_t { Request, Response };

// One message object per call: the caller allocates it, the callee turns it into the response
// and sends it back, the caller deletes it. `parent` is the caller's own pending request.
struct Message {
  Kind kind = Kind::Request;
  int reply_to = 0;     // host index of the caller
  double created = 0;   // client send time, carried down the call chain
  Message* parent = nullptr;
};

// Processor sharing on `cores` cores in virtual time: with n jobs each progresses at
// min(1, cores/n); a job finishes when the virtual clock reaches its start + demand.
class PsCpu {
 public:
  explicit PsCpu(int cores) : cores_(cores) {}

  bool idle() const { return jobs_.empty(); }

  void add(double now, double demand, Message* job) {
    advance(now);
    jobs_.push(Job{vtime_ + demand, seq_++, job});
  }

  double next_completion() const {
    if (jobs_.empty()) return kInf;
    return last_ + std::max(0.0, jobs_.top().vfinish - vtime_) / rate();
  }

  // Removes the job with the earliest finish. REQUIRES: !idle().
  Message* pop(double now) {
    advance(now);
    Message* job = jobs_.top().message;
    jobs_.pop();
    if (jobs_.empty()) vtime_ = 0;  // keep the virtual clock small
    return job;
  }

 private:
  struct Job {
    double vfinish;
    uint64_t seq;
    Message* message;
    bool operator>(const Job& o) const { return vfinish != o.vfinish ? vfinish > o.vfinish : seq > o.seq; }
  };

  double rate() const {
    const auto n = static_cast<double>(jobs_.size());
    return n <= cores_ ? 1.0 : cores_ / n;
  }
  void advance(double now) {
    if (!jobs_.empty()) vtime_ += (now - last_) * rate();
    last_ = now;
  }

  int cores_;
  double vtime_ = 0;
  double last_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Job, std::vector<Job>, std::greater<>> jobs_;
};

class Node;

enum class EventType : uint8_t { Delivery, Timer, CpuDone };

struct Event {
  double at;
  uint64_t seq;
  Message* message;
  uint64_t generation;  // CpuDone only: stale when the CPU was re-planned since
  int node;
  EventType type;
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

// The simulated world: one global event queue over all hosts.
class World {
 public:
  void schedule(double at, EventType type, int node, Message* m, uint64_t generation = 0) {
    events_.push(Event{at, seq_++, m, generation, node, type});
  }
  double now() const { return now_; }
  void run(std::vector<std::unique_ptr<Node>>& nodes);

 private:
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t seq_ = 0;
  double now_ = 0;
};

// One host: handlers for its messages, its timers and its CPU.
class Node {
 public:
  Node(World& world, int index) : index_(index), world_(world) {}
  virtual ~Node() = default;

  void start(double now) { on_start(now); }
  void deliver(double now, Message* m) { on_message(now, m); }
  void fire_timer(double now, Message* m) { on_timer(now, m); }
  void fire_cpu(double now, uint64_t generation) {
    if (generation != cpu_generation_) return;  // re-planned since
    planned_ = kInf;
    Message* m = cpu_->pop(now);
    replan_cpu();
    on_cpu_done(now, m);
  }

 protected:
  void send(int dst, Message* m) { world_.schedule(world_.now() + kOneWay, EventType::Delivery, dst, m); }
  void call(int dst, Message* parent) {
    send(dst, new Message{Kind::Request, index_, parent ? parent->created : 0, parent});
  }
  void respond(Message* m) {
    m->kind = Kind::Response;
    send(m->reply_to, m);
  }
  void set_timer(double at, Message* m) { world_.schedule(at, EventType::Timer, index_, m); }
  void use_cpu(int cores) { cpu_ = std::make_unique<PsCpu>(cores); }
  void cpu_add(double now, double demand, Message* m) {
    cpu_->add(now, demand, m);
    replan_cpu();
  }

  virtual void on_start(double now) {}
  virtual void on_message(double now, Message* m) = 0;
  virtual void on_timer(double now, Message* m) {}
  virtual void on_cpu_done(double now, Message* m) {}

  int index_;

 private:
  // Keeps exactly one live CpuDone event, at the CPU's next completion.
  void replan_cpu() {
    const double next = cpu_->next_completion();
    if (next == planned_) return;
    planned_ = next;
    ++cpu_generation_;
    if (next < kInf) world_.schedule(next, EventType::CpuDone, index_, nullptr, cpu_generation_);
  }

  World& world_;
  std::unique_ptr<PsCpu> cpu_;
  uint64_t cpu_generation_ = 0;
  double planned_ = kInf;
};

void World::run(std::vector<std::unique_ptr<Node>>& nodes) {
  for (auto& node : nodes) node->start(now_);
  while (!events_.empty()) {
    const Event e = events_.top();
    events_.pop();
    now_ = e.at;
    Node& node = *nodes[e.node];
    switch (e.type) {
      case EventType::Delivery: node.deliver(now_, e.message); break;
      case EventType::Timer: node.fire_timer(now_, e.message); break;
      case EventType::CpuDone: node.fire_cpu(now_, e.generation); break;
    }
  }
}

class Client : public Node {
 public:
  Client(World& world, const Config& config)
      : Node(world, kClient), rng_(Rng::stream(config.seed, 1)), mean_gap_(1.0 / config.rate),
        limit_(config.requests) {}

  uint64_t completed() const { return completed_; }
  double mean_latency() const { return completed_ ? latency_sum_ / completed_ : 0; }
  double last_completion() const { return last_completion_; }

 protected:
  void on_start(double now) override {
    if (limit_ > 0) set_timer(now + rng_.exponential(mean_gap_), nullptr);
  }
  void on_timer(double now, Message*) override {
    send(kBalancer, new Message{Kind::Request, kClient, now, nullptr});
    if (++sent_ < limit_) set_timer(now + rng_.exponential(mean_gap_), nullptr);
  }
  void on_message(double now, Message* m) override {
    latency_sum_ += now - m->created;
    last_completion_ = now;
    ++completed_;
    delete m;
  }

 private:
  Rng rng_;
  double mean_gap_;
  uint64_t limit_;
  uint64_t sent_ = 0;
  uint64_t completed_ = 0;
  double latency_sum_ = 0;
  double last_completion_ = 0;
};

class LoadBalancer : public Node {
 public:
  LoadBalancer(World& world, const Config& config) : Node(world, kBalancer), replicas_(config.replicas) {}

 protected:
  void on_message(double now, Message* m) override {
    if (m->kind == Kind::Request) {
      call(kFirstApp + next_, m);
      next_ = (next_ + 1) % replicas_;
    } else {
      Message* upstream = m->parent;
      delete m;
      respond(upstream);
    }
  }

 private:
  int replicas_;
  int next_ = 0;
};

class App : public Node {
 public:
  App(World& world, const Config& config, int replica)
      : Node(world, kFirstApp + replica), rng_(Rng::stream(config.seed, 100 + replica)),
        workers_(config.workers) {
    use_cpu(config.cores);
  }

 protected:
  void on_message(double now, Message* m) override {
    if (m->kind == Kind::Request) {
      if (busy_ < workers_) {
        start(now, m);
      } else {
        waiting_.push_back(m);
      }
    } else {  // the cache answered: the request is done and frees its worker
      Message* request = m->parent;
      delete m;
      respond(request);
      --busy_;
      if (!waiting_.empty()) {
        Message* next = waiting_.front();
        waiting_.pop_front();
        start(now, next);
      }
    }
  }
  void on_cpu_done(double now, Message* m) override { call(kCache, m); }

 private:
  void start(double now, Message* m) {
    ++busy_;
    cpu_add(now, rng_.exponential(kAppCpuMean), m);
  }

  Rng rng_;
  int workers_;
  int busy_ = 0;
  std::deque<Message*> waiting_;
};

class Cache : public Node {
 public:
  Cache(World& world, const Config& config)
      : Node(world, kCache), rng_(Rng::stream(config.seed, 2)), hit_ratio_(config.hit_ratio) {}

 protected:
  void on_message(double now, Message* m) override {
    if (m->kind == Kind::Request) {
      set_timer(now + kCacheDelay, m);
    } else {  // the db answered a miss
      Message* request = m->parent;
      delete m;
      respond(request);
    }
  }
  void on_timer(double now, Message* m) override {
    if (rng_.bernoulli(hit_ratio_)) {
      respond(m);
    } else {
      call(kDb, m);
    }
  }

 private:
  Rng rng_;
  double hit_ratio_;
};

class Db : public Node {
 public:
  Db(World& world, const Config&) : Node(world, kDb) { use_cpu(kDbCores); }

 protected:
  void on_message(double now, Message* m) override { set_timer(now + kDbIoDelay, m); }
  void on_timer(double now, Message* m) override { cpu_add(now, kDbCpu, m); }
  void on_cpu_done(double now, Message* m) override { respond(m); }
};

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s N [rate_per_s=20000] [replicas=8] [hit_ratio=0.9] [seed=1] [cores=4] [workers=32]\n",
                 argv[0]);
    return 2;
  }
  Config config;
  config.requests = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) config.rate = std::atof(argv[2]);
  if (argc > 3) config.replicas = std::atoi(argv[3]);
  if (argc > 4) config.hit_ratio = std::atof(argv[4]);
  if (argc > 5) config.seed = std::strtoull(argv[5], nullptr, 10);
  if (argc > 6) config.cores = std::atoi(argv[6]);
  if (argc > 7) config.workers = std::atoi(argv[7]);

  World world;
  std::vector<std::unique_ptr<Node>> nodes;
  auto client = std::make_unique<Client>(world, config);
  const Client* client_view = client.get();
  nodes.push_back(std::move(client));
  nodes.push_back(std::make_unique<LoadBalancer>(world, config));
  nodes.push_back(std::make_unique<Cache>(world, config));
  nodes.push_back(std::make_unique<Db>(world, config));
  for (int r = 0; r < config.replicas; ++r) nodes.push_back(std::make_unique<App>(world, config, r));

  world.run(nodes);  // until no event is left: the client stops after N arrivals
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::printf("{\"requests\": %llu, \"sim_time_s\": %.6f, \"wall_s\": %.3f, \"rss_kb\": %ld, \"mean_latency_ms\": %.6f}\n",
              static_cast<unsigned long long>(client_view->completed()), client_view->last_completion(), wall,
              peak_rss_kb(), client_view->mean_latency() * 1e3);
  if (client_view->completed() != config.requests) {
    std::fprintf(stderr, "raw_loop: only %llu of %llu requests completed\n",
                 static_cast<unsigned long long>(client_view->completed()),
                 static_cast<unsigned long long>(config.requests));
    return 1;
  }
  return 0;
}
