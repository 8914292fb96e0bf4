#include "sim/support/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace archsim {
namespace {

struct Unit {
  std::string_view name;
  double factor;
};

// The text quoted for a message; a long one (a 400-digit number) is cut short.
std::string quoted(std::string_view text) {
  if (text.size() <= 40) return fmt::format("'{}'", text);
  return fmt::format("'{}...' ({} characters)", text.substr(0, 20), text.size());
}

// Why a number is not finite: too large for a double (1e400, 400 digits), or a spelled-out inf or nan.
std::string not_finite(std::string_view what, std::string_view text) {
  bool spelled = text.find_first_of("iInN") != std::string_view::npos && text.find_first_of("eE") == std::string_view::npos;
  std::string subject = what.empty() ? quoted(text) : fmt::format("{} {}", what, quoted(text));
  return fmt::format("{} {}", subject, spelled ? "is not a finite number" : "is too large");
}

// Splits "1.5ms" into 1.5 and "ms". Returns false when no number leads the text.
bool split_number(std::string_view text, double* value, std::string_view* unit) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string s(text);
  if (s.empty()) return false;
  // strtod accepts "nan", "inf" and hex floats; refuse them by checking the first character.
  char c = s[0];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+')) return false;
  if (s.size() > 1 && (s[1] == 'x' || s[1] == 'X')) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return false;
  *value = v;
  std::string_view rest = text.substr(static_cast<size_t>(end - s.c_str()));
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  *unit = rest;
  return true;
}

std::optional<double> parse_with_units(std::string_view text, std::string* why, const Unit* units, size_t n,
                                       std::string_view what, std::string_view example, bool zero_without_unit) {
  double value = 0;
  std::string_view unit;
  if (!split_number(text, &value, &unit)) {
    if (why) *why = fmt::format("expected a {} such as {}, got {}", what, example, quoted(text));
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    if (why) *why = not_finite(what, text);
    return std::nullopt;
  }
  if (unit.empty()) {
    if (zero_without_unit && value == 0) return 0.0;
    if (why) *why = fmt::format("{} {} has no unit; write it with one, e.g. {}", what, quoted(text), example);
    return std::nullopt;
  }
  for (size_t i = 0; i < n; ++i) {
    if (units[i].name == unit) {
      double r = value * units[i].factor;
      if (!std::isfinite(r)) {
        if (why) *why = fmt::format("{} {} is too large", what, quoted(text));
        return std::nullopt;
      }
      return r;
    }
  }
  std::string known;
  for (size_t i = 0; i < n; ++i) {
    if (!known.empty()) known += ", ";
    known += units[i].name;
  }
  // A prefix alone ("20k" for a rate, "5m" for a duration): the known units it begins.
  std::string hint;
  int offered = 0;
  for (size_t i = 0; i < n && offered < 3; ++i) {
    std::string_view name = units[i].name;
    if (name.size() <= unit.size() || name.substr(0, unit.size()) != unit) continue;
    hint += fmt::format("{}{}", offered++ ? " or " : "; did you mean ",
                        quoted(std::string(text) + std::string(name.substr(unit.size()))));
  }
  if (offered) hint += "?";
  if (why) *why = fmt::format("unknown unit {} in {} {}; known units: {}{}", quoted(unit), what, quoted(text), known, hint);
  return std::nullopt;
}

constexpr Unit kDurationUnits[] = {
    {"ns", 1e-9}, {"us", 1e-6}, {"\xC2\xB5s", 1e-6}, {"ms", 1e-3}, {"s", 1.0},
    {"min", 60.0}, {"h", 3600.0}, {"d", 86400.0},
};
constexpr Unit kSizeUnits[] = {
    {"B", 1.0},        {"KB", 1e3},  {"MB", 1e6},  {"GB", 1e9},  {"TB", 1e12},
    {"KiB", 1024.0},   {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
};
constexpr Unit kRateUnits[] = {
    {"/s", 1.0},     {"k/s", 1e3},      {"M/s", 1e6},      {"G/s", 1e9},
    {"/min", 1 / 60.0}, {"k/min", 1e3 / 60}, {"/h", 1 / 3600.0}, {"k/h", 1e3 / 3600},
    {"/d", 1 / 86400.0}, {"k/d", 1e3 / 86400}, {"M/d", 1e6 / 86400},
};
constexpr Unit kBandwidthUnits[] = {
    {"bps", 1.0},   {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}, {"Tbps", 1e12},
    {"B/s", 8.0},   {"KB/s", 8e3}, {"MB/s", 8e6}, {"GB/s", 8e9}, {"TB/s", 8e12},
    {"KiB/s", 8.0 * 1024}, {"MiB/s", 8.0 * 1048576}, {"GiB/s", 8.0 * 1073741824},
};

}  // namespace

std::optional<double> parse_duration(std::string_view text, std::string* why) {
  return parse_with_units(text, why, kDurationUnits, std::size(kDurationUnits), "duration", "500us, 1.5ms or 2s", true);
}
std::optional<double> parse_size(std::string_view text, std::string* why) {
  return parse_with_units(text, why, kSizeUnits, std::size(kSizeUnits), "size", "512B, 4KiB or 1MB", true);
}
std::optional<double> parse_rate(std::string_view text, std::string* why) {
  return parse_with_units(text, why, kRateUnits, std::size(kRateUnits), "rate", "500/s or 20k/s", true);
}
std::optional<double> parse_bandwidth(std::string_view text, std::string* why) {
  return parse_with_units(text, why, kBandwidthUnits, std::size(kBandwidthUnits), "bandwidth", "10Gbps or 125MB/s",
                          false);
}
std::optional<double> parse_number(std::string_view text, std::string* why) {
  double value = 0;
  std::string_view unit;
  if (!split_number(text, &value, &unit) || !unit.empty()) {
    if (why) *why = fmt::format("expected a number, got {}", quoted(text));
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    if (why) *why = not_finite("", text);
    return std::nullopt;
  }
  return value;
}

std::string format_duration(double s) {
  double a = std::fabs(s);
  if (a == 0) return "0";
  if (a < 1e-6) return fmt::format("{:g}ns", s * 1e9);
  if (a < 1e-3) return fmt::format("{:g}us", s * 1e6);
  if (a < 1) return fmt::format("{:g}ms", s * 1e3);
  return fmt::format("{:g}s", s);
}

std::string format_rate(double r) {
  if (r >= 1e6) return fmt::format("{:.3g}M/s", r / 1e6);
  if (r >= 1e3) return fmt::format("{:.3g}k/s", r / 1e3);
  return fmt::format("{:.3g}/s", r);
}

}  // namespace archsim
