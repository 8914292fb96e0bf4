#include "models/common/params.hpp"

#include <cmath>

#include <fmt/format.h>

#include "sim/support/units.hpp"

namespace archsim {

const ParamDecl* ParamTable::find(const std::string& key) const {
  for (const auto& d : decls_)
    if (d.key == key) return &d;
  return nullptr;
}

std::string ParamTable::show_duration(double s) { return format_duration(s); }

std::string ParamTable::show_size(double bytes) {
  if (bytes == 0) return "0B";
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (u < 4 && std::fabs(bytes) >= 1000) {
    bytes /= 1000;
    ++u;
  }
  return fmt::format("{:g}{}", bytes, units[u]);
}

std::string ParamTable::show_rate(double r) {
  if (r >= 1e6) return fmt::format("{:g}M/s", r / 1e6);
  if (r >= 1e3) return fmt::format("{:g}k/s", r / 1e3);
  return fmt::format("{:g}/s", r);
}

std::string ParamTable::show_bandwidth(double b) {
  if (b >= 1e9) return fmt::format("{:g}Gbps", b / 1e9);
  if (b >= 1e6) return fmt::format("{:g}Mbps", b / 1e6);
  return fmt::format("{:g}kbps", b / 1e3);
}

const char* ParamTable::type_name(ParamType t) {
  switch (t) {
    case ParamType::Duration: return "duration";
    case ParamType::Size: return "size";
    case ParamType::Rate: return "rate";
    case ParamType::Bandwidth: return "bandwidth";
    case ParamType::Count: return "integer";
    case ParamType::Number: return "number";
    case ParamType::Flag: return "true/false";
    case ParamType::Distribution: return "distribution";
    case ParamType::Choice: return "one of";
  }
  return "?";
}

}  // namespace archsim
