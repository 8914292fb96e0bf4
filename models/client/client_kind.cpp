// kind: client (models/client/client.hpp): the workload's source.
#include "models/common/kind.hpp"

namespace archsim {
namespace {

const ParamTable& client_table() {
  static const ParamTable t =
      ParamTable()
          .section("arrival", "`{process: poisson | constant, rate}`, `{process: closed, users, think_time}` or "
                   "`{process: trace, file}`",
                   "how requests start: open loop at a rate (a Poisson process or evenly spaced), closed loop (each of "
                   "`users` sends its next request `think_time` after its last answer, so a slow system gets fewer "
                   "requests; each user's first request comes at a random phase of its think time, so the users "
                   "start at their steady rate N / (Z + R) rather than in a burst), or a CSV trace `t_s[,type_index[,key]]` relative to the topology",
                   "arrival")
          .required()
          .section("requests", "`{<type>: {weight, op: read | write, keys, request_size, response_size}}`",
                   "the request types and their mix (weights are normalised); a type named `write` is a write; "
                   "`keys: {count, distribution: uniform | zipf | hotset | sequential, s, hot_fraction, hot_share, "
                   "start}` is which keys they touch; sizes default to 1KiB",
                   "requests")
          .required()
          .text("target", &Component::target, &Component::target_loc, "the component every request is sent to")
          .required()
          .duration("timeout", &Component::timeout,
                    "a request not answered within it counts failed, once (its answer is dropped when it comes); 0 "
                    "waits for ever",
                    false);
  return t;
}

class ClientKind final : public Kind {
 public:
  const char* name() const override { return "client"; }
  const char* summary() const override {
    return "sends requests (open loop at a rate, closed loop with think times, or a trace) to one target";
  }
  const ParamTable& params() const override { return client_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "clients";
      k.dot_shape = "ellipse";
      k.client = true;
      k.server = false;
      k.single_node = true;
      return k;
    }();
    return t;
  }
  void references(const Component& c, std::vector<Reference>& out) const override {
    Reference r;
    r.target = c.target;
    r.loc = c.target_loc;
    r.role = "target";
    out.push_back(std::move(r));
  }
  void build(const Component& c, BuildContext& b) const override { b.add_client(c); }
};

}  // namespace

const Kind& client_kind() {
  static const ClientKind k;
  return k;
}

}  // namespace archsim
