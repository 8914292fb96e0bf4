// Who follows whom: the social graph a feed fans out over, in compressed sparse row form
// (Boost.Graph's compressed_sparse_row_graph), once in each direction: followers of an account
// (a post's fan-out on write) and followees of a reader (a feed's fan-out on read). Two CSR
// arrays of 32-bit ids cost about 8 bytes per edge each way, so a few million edges fit in tens
// of MB.
//
// Generated graphs give every ordinary user the configured mean number of followees (each user
// follows floor(mean) or ceil(mean) accounts) and pick whom to follow with probability
// proportional to a power-law weight (Chung-Lu): the i-th most followed account has about
// i^(-1 / (exponent - 1)) of the top one's followers, so follower counts have the tail
// P(followers >= k) ~ k^-(exponent - 1). Explicit celebrities are extra accounts followed by the
// given number of users drawn uniformly. Left out on purpose: reciprocity, communities, growth.
#pragma once

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace archsim {

struct FollowerGraphSpec {
  int64_t users = 10000;         // ordinary users
  double mean_followees = 200;   // accounts an ordinary user follows, on average (the seed: 200)
  double exponent = 2.1;         // power-law exponent of follower counts (> 1); lower = heavier tail
  std::vector<int64_t> celebrities;  // followers of each explicit celebrity (extra accounts after the users)
  std::string edges_file;        // instead of generating: CSV lines `follower,followee` of user ids
  uint64_t seed = 1;
};

class FollowerGraph {
 public:
  // Throws std::runtime_error naming the line when the edge file is unreadable or malformed.
  static FollowerGraph build(const FollowerGraphSpec& spec);
  // From (follower, followee) pairs over `accounts` ids; duplicates and self-follows are dropped.
  static FollowerGraph from_pairs(uint32_t accounts, std::vector<std::pair<uint32_t, uint32_t>> follows);

  uint32_t accounts() const { return accounts_; }
  uint64_t edges() const { return edges_; }
  uint32_t followers(uint32_t a) const { return static_cast<uint32_t>(boost::out_degree(a, forward_)); }
  uint32_t followees(uint32_t a) const { return static_cast<uint32_t>(boost::out_degree(a, reverse_)); }
  // Calls f(follower) for each follower of `a` from position `begin`, at most `count` of them.
  template <class F>
  void for_followers(uint32_t a, uint32_t begin, uint32_t count, F&& f) const {
    auto [it, end] = boost::adjacent_vertices(a, forward_);
    it += begin;
    for (uint32_t k = 0; k < count && it != end; ++k, ++it) f(static_cast<uint32_t>(*it));
  }
  template <class F>
  void for_followees(uint32_t a, F&& f) const {
    auto [it, end] = boost::adjacent_vertices(a, reverse_);
    for (; it != end; ++it) f(static_cast<uint32_t>(*it));
  }

 private:
  using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                 boost::no_property, uint32_t, uint32_t>;
  uint32_t accounts_ = 0;
  uint64_t edges_ = 0;
  Csr forward_;  // followee -> follower: a post's audience
  Csr reverse_;  // follower -> followee: a reader's sources
};

}  // namespace archsim
