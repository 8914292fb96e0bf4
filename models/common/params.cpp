#include "models/common/params.hpp"

#include <cmath>

#include <fmt/format.h>

#include "sim/support/units.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

const ParamDecl* ParamTable::find(const std::string& key) const {
  for (const auto& d : decls_)
    if (d.key == key) return &d;
  return nullptr;
}

ParamTable& ParamTable::station_keys() {
  return count("replicas", &Component::replicas, 1, kMaxReplicas,
               "copies of the component, each on its own host; callers spread their requests over them (by key "
               "where the kind says so)")
      .count("cores", &Component::cores, 1, kMaxCores,
             "CPU cores per replica; more requests than cores share them (processor sharing), so a request's cpu "
             "stretches under load")
      .count("workers", &Component::workers, 1, kMaxWorkers,
             "concurrent requests per replica, each held to the end of the request, downstream calls included "
             "(thread per request); fewer bound the work in progress, more let a slow callee tie up more")
      .unbounded()
      .count("queue", &Component::queue, 0, kMaxWorkers,
             "requests per replica waiting for a worker; when full, a request is rejected at once: a short queue "
             "sheds load early, a long one turns overload into latency")
      .unbounded()
      .distribution("cpu", &Component::cpu, "CPU demand per request, processor-shared over the cores")
      .distribution("delay", &Component::delay,
                    "time per request holding a worker without CPU (an external call that is not modelled)");
}

std::string ParamTable::show_number(double x) { return fmt::format("{:g}", x); }

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
    case ParamType::Text: return "name";
    case ParamType::Section: return "map";
  }
  return "?";
}

}  // namespace archsim
