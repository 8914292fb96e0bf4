// Units and the latency table: every quantity in a topology carries a unit, and the built-in
// table holds the seed's numbers.
#include <catch2/catch.hpp>

#include "sim/support/latency_table.hpp"
#include "sim/support/units.hpp"

using namespace archsim;

TEST_CASE("Units: durations parse to seconds", "[units]") {
  std::string why;
  CHECK(*parse_duration("500us", &why) == Approx(500e-6));
  CHECK(*parse_duration("1.5ms", &why) == Approx(1.5e-3));
  CHECK(*parse_duration("2s", &why) == Approx(2.0));
  CHECK(*parse_duration("3min", &why) == Approx(180.0));
  CHECK(*parse_duration("4h", &why) == Approx(14400.0));
  CHECK(*parse_duration("250ns", &why) == Approx(250e-9));
  CHECK(*parse_duration("0", &why) == 0.0);

  SECTION("a bare number other than 0 is refused, naming the fix") {
    CHECK_FALSE(parse_duration("5", &why));
    CHECK(why.find("has no unit") != std::string::npos);
  }
  SECTION("an unknown unit is refused, listing the known ones") {
    CHECK_FALSE(parse_duration("5 parsecs", &why));
    CHECK(why.find("unknown unit 'parsecs'") != std::string::npos);
    CHECK(why.find("ms") != std::string::npos);
  }
  SECTION("a unit's prefix alone is refused with the units it begins") {
    CHECK_FALSE(parse_rate("20k", &why));
    CHECK(why.find("unknown unit 'k' in rate '20k'") != std::string::npos);
    CHECK(why.find("did you mean '20k/s' or '20k/min' or '20k/h'?") != std::string::npos);
    CHECK_FALSE(parse_duration("5m", &why));
    CHECK(why.find("did you mean '5ms' or '5min'?") != std::string::npos);
  }
  SECTION("nan, inf and hex are not numbers") {
    CHECK_FALSE(parse_duration("nan", &why));
    CHECK_FALSE(parse_duration("inf s", &why));
    CHECK_FALSE(parse_duration("0x10s", &why));
  }
}

TEST_CASE("Units: sizes, rates and bandwidths use their own units", "[units]") {
  std::string why;
  CHECK(*parse_size("4KiB", &why) == 4096.0);
  CHECK(*parse_size("1MB", &why) == 1e6);
  CHECK(*parse_size("512B", &why) == 512.0);
  CHECK(*parse_rate("20k/s", &why) == Approx(20000.0));
  CHECK(*parse_rate("500/s", &why) == Approx(500.0));
  CHECK(*parse_rate("1.5M/s", &why) == Approx(1.5e6));
  CHECK(*parse_rate("120/min", &why) == Approx(2.0));
  CHECK(*parse_bandwidth("10Gbps", &why) == Approx(10e9));
  CHECK(*parse_bandwidth("125MB/s", &why) == Approx(1e9));
  SECTION("a rate overflowing a double is refused") { CHECK_FALSE(parse_rate("1e400/s", &why)); }
  SECTION("a size given as a duration is refused") { CHECK_FALSE(parse_size("10ms", &why)); }
}

TEST_CASE("Latency table: the built-in entries are the seed's numbers", "[units]") {
  LatencyTable t;
  CHECK(*t.lookup("l1_cache_ref") == Approx(0.5e-9));
  CHECK(*t.lookup("l2_cache_ref") == Approx(7e-9));
  CHECK(*t.lookup("mutex_lock") == Approx(25e-9));
  CHECK(*t.lookup("main_memory_ref") == Approx(100e-9));
  CHECK(*t.lookup("ssd_random_read") == Approx(150e-6));
  CHECK(*t.lookup("hdd_seek") == Approx(10e-3));
  CHECK(*t.lookup("same_dc_rtt") == Approx(500e-6));
  CHECK(*t.lookup("cross_continent_rtt") == Approx(150e-3));
  CHECK(*t.lookup("read_1mb_memory") == Approx(250e-6));
  CHECK(*t.lookup("read_1mb_ssd") == Approx(1e-3));
  CHECK(*t.lookup("read_1mb_hdd") == Approx(20e-3));
  CHECK(t.entries().size() == 11);
  CHECK_FALSE(t.lookup("warp_drive"));
}
