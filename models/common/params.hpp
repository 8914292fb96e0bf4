// A kind's parameters, declared once: each key with its type and unit, its default (the initial
// value of the member it sets) and the sentence that says what it trades off, as LevelDB's
// options.h does. The loader reads every component through its kind's table
// (sim/config/loader.cpp, `load_declared`); `archsim schema` prints the same tables into
// docs/topology.md, and tests/kinds_test.cpp compares the two.
//
//   static const ParamTable t = ParamTable()
//       .in(&Component::queue_spec)
//       .count("partitions", &QueueSpec::partitions, 1, 100000, "the message's key picks ...")
//       .section("calls", "as a service's `calls`", "the consumer's downstream calls ...", "calls");
//
// A kind with its own Params block starts from `ParamTable::of<Params>()`. Structures (maps,
// lists) and keys whose reading depends on each other are `section`s or `read_by` a named reader of
// the configuration, which is where YAML is parsed; models never see YAML.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <memory>
#include <string>
#include <utility>
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

struct Component;  // sim/topology/topology.hpp: what a table's setters fill

enum class ParamType { Duration, Size, Rate, Bandwidth, Count, Number, Flag, Distribution, Choice, Text, Section };

// One value as read from the file, in SI units (seconds, bytes, per second, bits per second).
struct ParamValue {
  double number = 0;
  int64_t count = 0;
  bool flag = false;
  Distribution distribution;
  std::string choice;  // Choice and Text
};

// Which keys the file gave, for checks that relate several of them.
using ParamGiven = std::function<bool(const std::string& key)>;

struct ParamDecl {
  std::string key;
  ParamType type = ParamType::Number;
  std::string doc;                   // what it is and what it trades off
  double min = 0, max = 1e18;        // Count and Number: the accepted range
  bool allow_zero = true;            // Duration: 0 accepted
  bool required = false;             // the component needs it
  bool unbounded = false;            // Count: `unbounded` is accepted (stored as -1)
  bool suffixed = false;             // Count: may be written 20k, 1M, 2B
  std::string zero_word;             // Duration: this word stands for 0 (`none`)
  std::vector<std::string> choices;  // Choice
  // Section: a structure (a map or list) or a key read together with others, by the configuration's
  // reader of that name (sim/config/loader.cpp), called once, where its first key is declared.
  std::string shape;   // Section: what the value looks like, for the docs
  std::string reader;  // the reader; set on typed keys too when a reader reads them (`read_by`)
  std::function<void(Component&, const ParamValue&)> set;
  std::function<void(Component&, const Location&)> locate;  // where the value was, for later messages
  std::function<std::string(const Component&)> show;        // the current value as the file would write it
  // After every key was read: "" or what is wrong with this given key's value (reported at the
  // value, or at the key when `check_at_key`).
  std::function<std::string(const Component&, const ParamGiven&)> check;
  bool check_at_key = false;
  // "consistency: ap": the key is refused unless the component says so (its check says why);
  // empty = no such condition. Tools that rewrite a component (review's stricter consistency) read it.
  std::string applies_when;
};

// A kind's keys in the order the loader reads them (the order matters where one key's default or
// check depends on another: a database's `preset` first). Each typed key sets a member of the
// component, of one of its specs (`in(&Component::queue_spec)`) or of the kind's own Params block
// (`of<Params>()`); the member's initial value is the default the docs show.
class ParamTable {
 public:
  ParamTable() { where_[tag<Component>()] = [](Component& c) -> void* { return &c; }; }

  // A table whose keys (also) fill the kind's own Params block, which the loader creates.
  template <typename P, typename C = Component>
  static ParamTable of(bool station = false) {
    ParamTable t;
    t.make_ = [] { return std::make_shared<P>(); };
    t.where_[tag<P>()] = [](Component& c) -> void* {
      return static_cast<P*>(const_cast<ParamBlock*>(static_cast<C&>(c).params.get()));
    };
    if (station) t.station_keys();
    return t;
  }
  // The keys declared after this fill `c.*spec`.
  template <typename S, typename C = Component>
  ParamTable& in(S C::*spec) {
    where_[tag<S>()] = [spec](Component& c) -> void* { return &(static_cast<C&>(c).*spec); };
    return *this;
  }
  // replicas, cores, workers, queue, cpu, delay: the keys of a station's replicas.
  ParamTable& station_keys();

  // Duration in seconds (`20ms`, a latency-table name); `allow_zero` false refuses 0.
  template <typename S, typename T>
  ParamTable& duration(const char* key, T S::*m, std::string doc, bool allow_zero = true) {
    return add<S>(key, ParamType::Duration, std::move(doc), m, [](const ParamValue& v) { return T(v.number); },
                  &ParamTable::show_duration)
        .zero(allow_zero);
  }
  template <typename S, typename T>
  ParamTable& size(const char* key, T S::*m, std::string doc) {
    return add<S>(key, ParamType::Size, std::move(doc), m, [](const ParamValue& v) { return T(v.number); },
                  &ParamTable::show_size);
  }
  template <typename S>
  ParamTable& rate(const char* key, double S::*m, std::string doc) {
    return add<S>(key, ParamType::Rate, std::move(doc), m, [](const ParamValue& v) { return v.number; },
                  &ParamTable::show_rate);
  }
  template <typename S>
  ParamTable& bandwidth(const char* key, double S::*m, std::string doc) {
    return add<S>(key, ParamType::Bandwidth, std::move(doc), m, [](const ParamValue& v) { return v.number; },
                  &ParamTable::show_bandwidth);
  }
  template <typename S, typename T>
  ParamTable& count(const char* key, T S::*m, int64_t min, int64_t max, std::string doc) {
    add<S>(key, ParamType::Count, std::move(doc), m, [](const ParamValue& v) { return T(v.count); },
           [](T x) { return x < 0 ? std::string("unbounded") : std::to_string(static_cast<int64_t>(x)); });
    decls_.back().min = static_cast<double>(min);
    decls_.back().max = static_cast<double>(max);
    return *this;
  }
  template <typename S>
  ParamTable& number(const char* key, double S::*m, double min, double max, std::string doc) {
    add<S>(key, ParamType::Number, std::move(doc), m, [](const ParamValue& v) { return v.number; }, &show_number);
    decls_.back().min = min;
    decls_.back().max = max;
    return *this;
  }
  template <typename S>
  ParamTable& flag(const char* key, bool S::*m, std::string doc) {
    return add<S>(key, ParamType::Flag, std::move(doc), m, [](const ParamValue& v) { return v.flag; },
                  [](bool x) { return std::string(x ? "true" : "false"); });
  }
  template <typename S>
  ParamTable& distribution(const char* key, Distribution S::*m, std::string doc) {
    return add<S>(key, ParamType::Distribution, std::move(doc), m,
                  [](const ParamValue& v) { return v.distribution; }, [](const Distribution& d) { return d.describe(); });
  }
  template <typename S>
  ParamTable& choice(const char* key, std::string S::*m, std::vector<std::string> choices, std::string doc) {
    add<S>(key, ParamType::Choice, std::move(doc), m, [](const ParamValue& v) { return v.choice; },
           [](const std::string& s) { return s; });
    decls_.back().choices = std::move(choices);
    return *this;
  }
  // One of several words, each standing for a value of the member (an enum, a bool).
  template <typename S, typename E>
  ParamTable& choice(const char* key, E S::*m, std::vector<std::pair<std::string, E>> words, std::string doc) {
    auto get = [words](const ParamValue& v) {
      for (const auto& [w, e] : words)
        if (w == v.choice) return e;
      return words.front().second;  // the loader accepts only the listed words
    };
    auto show = [words](const E& e) {
      for (const auto& [w, x] : words)
        if (x == e) return w;
      return std::string("?");
    };
    add<S>(key, ParamType::Choice, std::move(doc), m, get, show);
    for (const auto& w : words) decls_.back().choices.push_back(w.first);
    return *this;
  }
  // A name (a component, a file); `loc` records where it was written.
  template <typename S>
  ParamTable& text(const char* key, std::string S::*m, Location S::*loc, std::string doc) {
    add<S>(key, ParamType::Text, std::move(doc), m, [](const ParamValue& v) { return v.choice; },
           [](const std::string& s) { return s.empty() ? std::string("none") : s; });
    if (loc) at(loc);
    return *this;
  }
  // A structure read by the configuration's reader `reader` (see ParamDecl::reader).
  ParamTable& section(const char* key, std::string shape, std::string doc, std::string reader, std::string shown = "") {
    ParamDecl d;
    d.key = key;
    d.type = ParamType::Section;
    d.shape = std::move(shape);
    d.doc = std::move(doc);
    d.reader = std::move(reader);
    d.show = [shown](const Component&) { return shown; };
    decls_.push_back(std::move(d));
    return *this;
  }

  // Modifiers of the key declared last.
  ParamTable& required() {
    decls_.back().required = true;
    return *this;
  }
  ParamTable& unbounded() {
    decls_.back().unbounded = true;
    return *this;
  }
  ParamTable& suffixed() {
    decls_.back().suffixed = true;
    return *this;
  }
  ParamTable& zero_word(std::string w) {
    decls_.back().zero_word = std::move(w);
    return *this;
  }
  // Read by the configuration's reader `reader` with the keys it belongs with, not on its own.
  ParamTable& read_by(std::string reader) {
    decls_.back().reader = std::move(reader);
    return *this;
  }
  template <typename S>
  ParamTable& at(Location S::*loc) {
    auto w = where_of<S>();
    decls_.back().locate = [w, loc](Component& c, const Location& l) { static_cast<S*>(w(c))->*loc = l; };
    return *this;
  }
  ParamTable& check(std::function<std::string(const Component&, const ParamGiven&)> f, bool at_key = false) {
    decls_.back().check = std::move(f);
    decls_.back().check_at_key = at_key;
    return *this;
  }
  ParamTable& applies_when(std::string condition) {
    decls_.back().applies_when = std::move(condition);
    return *this;
  }
  // What the kind derives from its keys once they are read (a cache's entries from its bytes).
  ParamTable& finish(std::function<void(Component&)> f) {
    finish_ = std::move(f);
    return *this;
  }

  const std::vector<ParamDecl>& decls() const { return decls_; }
  const ParamDecl* find(const std::string& key) const;
  // The kind's own Params block, fresh; null when its keys fill only the component and its specs.
  std::shared_ptr<ParamBlock> make() const { return make_ ? make_() : nullptr; }
  void finish(Component& c) const {
    if (finish_) finish_(c);
  }

  static std::string show_duration(double s);
  static std::string show_size(double bytes);
  static std::string show_rate(double per_s);
  static std::string show_bandwidth(double bits_per_s);
  static std::string show_number(double x);
  static const char* type_name(ParamType t);  // "duration", "size", ...

 private:
  using Where = std::function<void*(Component&)>;
  template <typename S>
  static const void* tag() {
    static const char t = 0;
    return &t;
  }
  template <typename S>
  Where where_of() const {
    auto it = where_.find(tag<S>());
    if (it == where_.end()) throw std::logic_error("ParamTable: declare in(&Component::spec) before its keys");
    return it->second;
  }
  template <typename S, typename T, typename Get, typename Show>
  ParamTable& add(const char* key, ParamType type, std::string doc, T S::*m, Get get, Show show) {
    Where w = where_of<S>();
    ParamDecl d;
    d.key = key;
    d.type = type;
    d.doc = std::move(doc);
    d.set = [w, m, get](Component& c, const ParamValue& v) { static_cast<S*>(w(c))->*m = get(v); };
    d.show = [w, m, show](const Component& c) { return show(static_cast<const S*>(w(const_cast<Component&>(c)))->*m); };
    decls_.push_back(std::move(d));
    return *this;
  }
  ParamTable& zero(bool allow) {
    decls_.back().allow_zero = allow;
    return *this;
  }

  std::vector<ParamDecl> decls_;
  std::map<const void*, Where> where_;
  std::function<std::shared_ptr<ParamBlock>()> make_;
  std::function<void(Component&)> finish_;
};

}  // namespace archsim
