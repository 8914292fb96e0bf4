// The summary's sections for rate limits and queues (docs/outputs.md): kept apart from report.cpp,
// which calls them for the components that carry these statistics.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/support/metrics.hpp"

namespace archsim {

// `components.<name>.rate_limit`. REQUIRES: s.rate_limit.
nlohmann::ordered_json rate_limit_json(const ComponentStats& s);
// `components.<name>.queue`; `window_s` is the measured window. REQUIRES: s.queue.
nlohmann::ordered_json queue_json(const ComponentStats& s, double window_s);
// The lines under a component's row in the terminal summary ("" when it has neither).
std::string edge_summary_lines(const ComponentStats& s, double window_s);

}  // namespace archsim
