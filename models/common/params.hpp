// A kind's parameters, declared once: each with its YAML key, its unit, its default (the value
// the Params struct is constructed with) and the sentence that says what it trades off, as
// LevelDB's options.h does. The loader reads a component's keys into a fresh Params through this
// table (sim/config/loader.cpp); `archsim schema` prints the same table into docs/topology.md, and a
// test compares the two.
//
//   struct Params : ParamBlock { double first_byte = 0.02; ... };
//   static const ParamTable& table() {
//     static const auto t = ParamTable::of<Params>()
//         .duration("first_byte", &Params::first_byte, "time to the first byte of every request ...");
//     return t;
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"

namespace archsim {

// The base of every kind's Params: where each given key was, for the kind's own checks.
struct ParamBlock {
  virtual ~ParamBlock() = default;
  std::map<std::string, Location> given;
  bool has(const std::string& key) const { return given.count(key) != 0; }
  Location at(const std::string& key) const {
    auto it = given.find(key);
    return it == given.end() ? Location{} : it->second;
  }
};

enum class ParamType { Duration, Size, Rate, Bandwidth, Count, Number, Flag, Distribution, Choice };

// One value as read from the file, in SI units (seconds, bytes, per second, bits per second).
struct ParamValue {
  double number = 0;
  int64_t count = 0;
  bool flag = false;
  Distribution distribution;
  std::string choice;
};

struct ParamDecl {
  std::string key;
  ParamType type = ParamType::Number;
  std::string doc;                   // what it is and what it trades off
  double min = 0, max = 1e18;        // Count and Number: the accepted range
  bool allow_zero = true;            // Duration: 0 accepted
  std::vector<std::string> choices;  // Choice
  std::function<void(ParamBlock&, const ParamValue&)> set;
  std::function<std::string(const ParamBlock&)> show;  // the current value as the file would write it
};

class ParamTable {
 public:
  template <typename P>
  static ParamTable of(bool station = false) {
    ParamTable t;
    t.make_ = [] { return std::make_shared<P>(); };
    t.station_ = station;
    return t;
  }

  // Duration in seconds (`20ms`, a latency-table name); `allow_zero` false refuses 0.
  template <typename P>
  ParamTable& duration(const char* key, double P::*m, std::string doc, bool allow_zero = true) {
    return add<P>(key, ParamType::Duration, std::move(doc), m, [](const ParamValue& v) { return v.number; },
                  &ParamTable::show_duration)
        .zero(allow_zero);
  }
  template <typename P>
  ParamTable& size(const char* key, double P::*m, std::string doc) {
    return add<P>(key, ParamType::Size, std::move(doc), m, [](const ParamValue& v) { return v.number; },
                  &ParamTable::show_size);
  }
  template <typename P>
  ParamTable& rate(const char* key, double P::*m, std::string doc) {
    return add<P>(key, ParamType::Rate, std::move(doc), m, [](const ParamValue& v) { return v.number; },
                  &ParamTable::show_rate);
  }
  template <typename P>
  ParamTable& bandwidth(const char* key, double P::*m, std::string doc) {
    return add<P>(key, ParamType::Bandwidth, std::move(doc), m, [](const ParamValue& v) { return v.number; },
                  &ParamTable::show_bandwidth);
  }
  template <typename P>
  ParamTable& count(const char* key, int64_t P::*m, int64_t min, int64_t max, std::string doc) {
    add<P>(key, ParamType::Count, std::move(doc), m, [](const ParamValue& v) { return v.count; },
           [](int64_t x) { return std::to_string(x); });
    decls_.back().min = static_cast<double>(min);
    decls_.back().max = static_cast<double>(max);
    return *this;
  }
  template <typename P>
  ParamTable& flag(const char* key, bool P::*m, std::string doc) {
    return add<P>(key, ParamType::Flag, std::move(doc), m, [](const ParamValue& v) { return v.flag; },
                  [](bool x) { return std::string(x ? "true" : "false"); });
  }
  template <typename P>
  ParamTable& distribution(const char* key, Distribution P::*m, std::string doc) {
    return add<P>(key, ParamType::Distribution, std::move(doc), m,
                  [](const ParamValue& v) { return v.distribution; }, [](const Distribution& d) { return d.describe(); });
  }
  template <typename P>
  ParamTable& choice(const char* key, std::string P::*m, std::vector<std::string> choices, std::string doc) {
    add<P>(key, ParamType::Choice, std::move(doc), m, [](const ParamValue& v) { return v.choice; },
           [](const std::string& s) { return s; });
    decls_.back().choices = std::move(choices);
    return *this;
  }

  const std::vector<ParamDecl>& decls() const { return decls_; }
  const ParamDecl* find(const std::string& key) const;
  std::shared_ptr<ParamBlock> make() const { return make_(); }
  // The component also takes the station keys (replicas, cores, workers, queue, cpu, delay).
  bool station() const { return station_; }

  static std::string show_duration(double s);
  static std::string show_size(double bytes);
  static std::string show_rate(double per_s);
  static std::string show_bandwidth(double bits_per_s);
  static const char* type_name(ParamType t);  // "duration", "size", ...

 private:
  template <typename P, typename T, typename Get, typename Show>
  ParamTable& add(const char* key, ParamType type, std::string doc, T P::*m, Get get, Show show) {
    ParamDecl d;
    d.key = key;
    d.type = type;
    d.doc = std::move(doc);
    d.set = [m, get](ParamBlock& b, const ParamValue& v) { static_cast<P&>(b).*m = get(v); };
    d.show = [m, show](const ParamBlock& b) { return show(static_cast<const P&>(b).*m); };
    decls_.push_back(std::move(d));
    return *this;
  }
  ParamTable& zero(bool allow) {
    decls_.back().allow_zero = allow;
    return *this;
  }

  std::vector<ParamDecl> decls_;
  std::function<std::shared_ptr<ParamBlock>()> make_;
  bool station_ = false;
};

}  // namespace archsim
