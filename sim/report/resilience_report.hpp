// The summary's sections for the callers' failure handling (docs/outputs.md): per call edge
// (`components.<caller>.calls_to.<callee>`), the receivers' write ledger, and the failure reasons
// per client. report.cpp calls them.
#pragma once

#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/support/metrics.hpp"

namespace archsim {

// `components.<name>.calls_to`: one entry per callee with a policy. REQUIRES: !s.edges.empty().
nlohmann::ordered_json calls_to_json(const ComponentStats& s);
// `failed_by_reason` of one client, or summed over `clients`.
nlohmann::ordered_json failed_by_reason_json(const std::deque<ClientStats>& clients);
nlohmann::ordered_json failed_by_reason_json(const ClientStats& c);
// The lines under a component's row in the terminal summary ("" when it has no policy and tracks
// no writes).
std::string resilience_lines(const ComponentStats& s);

}  // namespace archsim
