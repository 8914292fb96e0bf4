// libFuzzer target: the topology loader and validator must turn any byte string into either a
// Topology or a ConfigError, never a crash, a hang or unbounded memory. Built and run by
// scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/config/loader.hpp"
#include "sim/config/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    archsim::Topology t = archsim::load_topology_text(text, "fuzz.yaml");
    archsim::validate_topology(t);
  } catch (const archsim::ConfigError&) {
    // Bad input, reported as it should be.
  }
  return 0;
}
