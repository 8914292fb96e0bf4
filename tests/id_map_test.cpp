// IdMap (sim/support/id_map.hpp), the flat table behind the models' per-request state and the
// LRU caches' index: against std::map on random insert / erase / find sequences, including the
// dense key ranges that pile up in a table without a mixing hash.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>

#include "sim/support/id_map.hpp"
#include "sim/support/random.hpp"

using namespace archsim;

namespace {

template <typename M>
void check_same(M& m, const std::map<uint64_t, int>& ref) {
  REQUIRE(m.size() == ref.size());
  for (const auto& [k, v] : ref) {
    int* got = m.find(k);
    REQUIRE(got);
    CHECK(*got == v);
  }
  size_t seen = 0;
  m.for_each([&](uint64_t k, int v) {
    ++seen;
    auto it = ref.find(k);
    REQUIRE(it != ref.end());
    CHECK(it->second == v);
  });
  CHECK(seen == ref.size());
}

}  // namespace

TEST_CASE("IdMap: agrees with std::map through random inserts and erases", "[id_map]") {
  for (uint64_t range : {uint64_t(64), uint64_t(5000), uint64_t(1) << 40}) {
    INFO("keys below " << range);
    IdMap<int> m;
    std::map<uint64_t, int> ref;
    Rng rng(range);
    for (int step = 0; step < 200000; ++step) {
      uint64_t k = 1 + rng.below(range);
      int* found = m.find(k);
      REQUIRE((found != nullptr) == (ref.count(k) == 1));
      if (found) {
        CHECK(*found == ref[k]);
        if (rng.uniform() < 0.6) {
          CHECK(m.erase(k));
          ref.erase(k);
        }
      } else {
        m.insert(k) = step;
        ref[k] = step;
      }
      if (step % 20000 == 0) check_same(m, ref);
    }
    check_same(m, ref);
    CHECK_FALSE(m.erase(range + 1));
    m.clear();
    CHECK(m.empty());
    CHECK(m.find(1) == nullptr);
  }
}

TEST_CASE("IdMap: a dense hot range and a chosen empty marker", "[id_map]") {
  // Key 0 is a key when the marker is another value (a cache's keys start at 0).
  IdMap<int, UINT64_MAX> m;
  for (uint64_t k = 0; k < 9000; ++k) m.insert(k) = static_cast<int>(k);
  for (uint64_t k = 40000; k < 45000; ++k) m.insert(k) = static_cast<int>(k);
  CHECK(m.size() == 14000);
  for (uint64_t k = 0; k < 9000; k += 2) CHECK(m.erase(k));
  CHECK(m.size() == 9500);
  for (uint64_t k = 0; k < 9000; ++k) CHECK((m.find(k) != nullptr) == (k % 2 == 1));
  for (uint64_t k = 40000; k < 45000; ++k) REQUIRE(m.find(k));
  CHECK(*m.find(44999) == 44999);
  CHECK(m.contains(1));
  CHECK_FALSE(m.contains(0));
}
