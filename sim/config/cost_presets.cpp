#include "sim/config/cost_presets.hpp"

namespace archsim {

const std::vector<CostPreset>& cost_presets() {
  static const std::vector<CostPreset> presets = {
      {"object_storage", 0, 0.023, 0,
       "the seed: storing 1 TB in S3 costs roughly $23/month, so $0.023 per GB-month (set stored_gb)"},
      {"managed_db_16core", 400, 0, 0, "the seed: a 16-core RDS instance costs roughly $400/month, per replica"},
      {"managed_kafka", 2500, 0, 0,
       "the seed: a managed Kafka cluster runs $2-3K/month at minimum; the midpoint, $2,500, per replica"},
  };
  return presets;
}

}  // namespace archsim
