// The named cost presets a component's `cost:` may start from (docs/estimates.md).
#pragma once

#include <vector>

namespace archsim {

// The `cost: {preset: ...}` values (the seed's figures).
struct CostPreset {
  const char* name;
  double per_replica_month, per_gb_month, per_gb_egress;
  const char* source;
};
const std::vector<CostPreset>& cost_presets();

}  // namespace archsim
