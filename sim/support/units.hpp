// Parsing of the unit-carrying quantities of a topology file.
//
// Every duration, size, rate and bandwidth in a topology carries a unit; a bare number is refused
// (except 0 for a duration) because "timeout: 5" means nothing to a reader. Results are in base
// units: seconds, bytes, events per second, bits per second. Parsing never throws: it returns
// std::nullopt and fills `why` with a sentence the loader turns into a file:line:col error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace archsim {

// The engines' clock resolution, in seconds (SimGrid's; the native engine keeps the same): a
// duration given in a topology is 0 or at least this.
constexpr double kTimeResolution = 1e-9;

// "500us", "1.5ms", "2s", "3min", "4h", "0". REQUIRES nothing; returns seconds.
std::optional<double> parse_duration(std::string_view text, std::string* why);
// "4KiB", "1.5MB", "512B". Returns bytes (KiB = 1024 B, KB = 1000 B).
std::optional<double> parse_size(std::string_view text, std::string* why);
// "20k/s", "500/s", "1.5M/s", "100/min". Returns events per second.
std::optional<double> parse_rate(std::string_view text, std::string* why);
// "10Gbps", "100Mbps", "1.25GB/s". Returns bits per second.
std::optional<double> parse_bandwidth(std::string_view text, std::string* why);
// A plain decimal number without unit ("0.95", "1e-3"); refuses nan/inf.
std::optional<double> parse_number(std::string_view text, std::string* why);

// Human-readable forms used in the terminal summary and the latency table.
std::string format_duration(double seconds);
std::string format_rate(double per_second);

}  // namespace archsim
