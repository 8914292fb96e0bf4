// What goes wrong during a run: the `faults:` list at the top level of a topology.
//
// Each entry has a kind with its target, when it starts (`at`) and when it ends (`for` a while,
// `until` a time, or, with neither, at the end of the run). The kinds:
//   crash: comp[/replica]       the process dies: in-memory state is lost, held requests fail,
//                               requests sent to it are refused, answers to it are lost; it
//                               restarts empty at the end of the window.
//   partition: [[a], [b, c]]    the region links between the groups go down: messages on them are
//                               lost (in flight or sent during the window); callers learn only by
//                               their timeouts.
//   link_down: [a, b]           one region link down, the same way.
//   slow: {component: c[/r], factor: 10 | latency: +200ms}
//                               a gray failure: the replica's service times (cpu, io, delay) are
//                               multiplied, or every request it serves waits the added latency.
//   slow: {link: [a, b], factor | latency}
//                               the region link's one-way latency multiplied, or increased.
//   disk_full: db[/replica]     writes on the database replica fail; reads work.
//   region_down: us-east        the region's data centre is lost: every node placed there of a kind
//                               that can crash crashes, and comes back empty at the end. Its
//                               clients (users are outside it) and global load balancers (DNS and
//                               anycast run outside any region) stay up.
// Any of them may say how often it happens and how long it lasts in reality, `mtbf:` and `mttr:`:
// the run measures what one occurrence costs (the requests failing while it holds, and the
// transient around it) and the SLA rows count it at that rate for a year (sim/report/availability.hpp).
// Left out on purpose: packet loss rates, asymmetric (one-way) partitions, clock skew.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/support/location.hpp"

namespace archsim {

struct Topology;
struct Component;

struct Fault {
  enum class Kind { Crash, Partition, LinkDown, Slow, DiskFull, RegionDown, Spike };
  Kind kind = Kind::Crash;
  // crash, disk_full, slow of a component: the target component and replica (-1 = every replica).
  std::string component;
  int64_t replica = -1;
  std::string region;  // region_down
  // partition: the groups of regions; link_down and slow of a link: the link's two regions.
  std::vector<std::vector<std::string>> groups;
  std::vector<Location> group_locs;  // each group's list (partition)
  std::string link_a, link_b;
  // slow: service times (component) or the link's latency are multiplied by `factor`, then
  // `latency` seconds are added (per request served, or per message over the link).
  // spike: the client `component` sends at `factor` times its rate (a load spike, a retry wave from
  // outside, a marketing push).
  double factor = 1;
  double latency = 0;
  double at = 0;          // seconds from the start of the run
  double duration = -1;   // seconds; -1 = until the end of the run
  double mtbf = 0;        // seconds between occurrences in reality; 0 = not given
  double mttr = 0;        // seconds one occurrence lasts in reality
  Location loc;           // the entry
  Location target_loc;    // the kind's value
  Location at_loc;

  bool on_link() const { return kind == Kind::Partition || kind == Kind::LinkDown || (kind == Kind::Slow && !link_a.empty()); }
  // When it ends; `run_end` when it lasts to the end.
  double end(double run_end) const { return duration < 0 ? run_end : at + duration; }
  // "db/0", "us-east<->eu-west", "[us-east] | [eu-west, ap-south]": what it hits, as the summary names it.
  std::string target() const;
  // A short name for the time series: "crash db/0", "slow app x10 +200ms".
  std::string name() const;
};

const char* to_string(Fault::Kind k);

// Fails (ConfigError naming file:line:col) when a fault names a component, replica, region or
// link that does not exist, applies to a kind of component it cannot (disk_full on a cache), has
// a partition whose groups overlap, are fewer than two or cut no link, overlaps another fault of
// the same kind on the same target, or starts after the run ends.
void validate_faults(const Topology& t);

// The region links (indices into t.network.links) a partition, link_down or slow link fault acts on.
std::vector<size_t> fault_links(const Topology& t, const Fault& f);

// The nodes a region_down of `region` crashes: (component, node index), in file order.
std::vector<std::pair<const Component*, size_t>> region_nodes(const Topology& t, const std::string& region);

}  // namespace archsim
