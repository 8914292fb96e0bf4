// What the models say to each other: a request or its answer (the engine's Envelope plus the
// models' protocol fields), and the Node base every model derives from, which hands it its own
// Message type.
//
// The engine (sim/engine/engine.hpp) moves Envelopes; a protocol field added here recompiles the
// models, not the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/engine/engine.hpp"
#include "sim/support/critical_path.hpp"

namespace archsim {

// A model's own contents for messages between the replicas of one component (a replication
// protocol), opaque to the engine. Shared, so that a message stays copyable.
struct MessageBody {
  virtual ~MessageBody() = default;
};

struct Message : Envelope {
  bool is_write = false;
  uint16_t type = 0;          // request type index
  uint64_t request_id = 0;    // end-to-end id given by the client
  uint64_t call_id = 0;       // the caller's handle, echoed in the response
  uint64_t key = 0;           // the key the request touches
  NodeId origin = 0;          // the client node the request started from (rate limits `per: client`)
  uint64_t version = 0;       // a replicated write: the version the primary gave it (databases)
  uint8_t cache_op = 0;       // to a cache: 0 = the request itself, kCacheFill = a cache-aside fill
  bool cache_miss = false;    // from a cache_aside cache: the key was not there; the caller reads the backend
  Path path;  // responses: the critical path of the answering subtree
  // Tied requests: a request sent to two replicas at once carries `tied` and the other replica in
  // `tie_peer`; the copy that gets a worker first sends the other a `cancel` (whose `tie_peer`
  // then names the caller, and `call_id` the caller's handle), which drops it if it still waits.
  bool tied = false;
  bool cancel = false;
  NodeId tie_peer = 0;
  std::shared_ptr<const MessageBody> body;  // protocol messages only; null for requests and their answers
  // A call made under a failure-handling policy (models/common/resilience.hpp): `op` names the logical
  // call (the same on every retry of it, 0 = none), so the receiver can tell a write it applied
  // before; `idempotent`: the write carries an idempotency key, looked up before applying it.
  uint32_t op = 0;
  bool idempotent = false;
  // A load balancer's health check (models/load_balancer/load_balancer.hpp): every live node
  // answers it at once, whatever its kind; a crashed or cut-off one does not answer at all.
  bool probe = false;

  // A message is made and freed on every hop: freed blocks are kept on a free list and reused
  // (models/common/message.cpp), so the allocator is not on the hot path. What the list holds is
  // bounded by the most messages ever alive at once, not by the number of requests.
  static void* operator new(size_t size);
  static void operator delete(void* p, size_t size) noexcept;
};
using MessagePtr = std::unique_ptr<Message>;

// Turns request `msg` into its answer with `status` and sends it back to whoever sent it.
inline void answer(Context& ctx, MessagePtr msg, Status status) {
  msg->is_response = true;
  msg->status = status;
  NodeId to = msg->from;
  ctx.send(to, std::move(msg));
}
inline constexpr uint8_t kCacheFill = 1;

// A model's node: the engine delivers Envelopes, and every Envelope a model receives is a Message
// a model sent.
class ModelNode : public Node {
 public:
  void on_message(Context& ctx, EnvelopePtr msg) final {
    MessagePtr m(static_cast<Message*>(msg.release()));
    if (m->probe && !m->is_response) {
      m->is_response = true;
      m->status = Status::Ok;
      NodeId to = m->from;
      ctx.send(to, std::move(m));
      return;
    }
    on_message(ctx, std::move(m));
  }
  virtual void on_message(Context& ctx, MessagePtr msg) = 0;
};

}  // namespace archsim
