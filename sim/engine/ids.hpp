// The names the engine gives to nodes and timers.
#pragma once

#include <cstdint>

namespace archsim {

using NodeId = uint32_t;
using TimerId = uint64_t;

}  // namespace archsim
