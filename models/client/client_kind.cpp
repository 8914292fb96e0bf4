// kind: client (models/client/client.hpp): the workload's source.
#include "models/common/kind.hpp"

namespace archsim {
namespace {

class ClientKind final : public Kind {
 public:
  const char* name() const override { return "client"; }
  const char* summary() const override {
    return "sends requests (open loop at a rate, closed loop with think times, or a trace) to one target";
  }
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
