#include "models/feed/follower_graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sim/support/random.hpp"

namespace archsim {

FollowerGraph FollowerGraph::from_pairs(uint32_t accounts, std::vector<std::pair<uint32_t, uint32_t>> follows) {
  std::sort(follows.begin(), follows.end());
  follows.erase(std::unique(follows.begin(), follows.end()), follows.end());
  follows.erase(std::remove_if(follows.begin(), follows.end(), [](const auto& e) { return e.first == e.second; }),
                follows.end());
  FollowerGraph g;
  g.accounts_ = accounts;
  g.edges_ = follows.size();
  // reverse_: follower -> followee, already sorted by source.
  g.reverse_ = Csr(boost::edges_are_sorted, follows.begin(), follows.end(), accounts);
  for (auto& e : follows) std::swap(e.first, e.second);
  std::sort(follows.begin(), follows.end());
  g.forward_ = Csr(boost::edges_are_sorted, follows.begin(), follows.end(), accounts);
  return g;
}

namespace {

FollowerGraph read_edges(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the follower edge list", file));
  std::vector<std::pair<uint32_t, uint32_t>> follows;
  uint32_t max_id = 0;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string a, b;
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    char *ea = nullptr, *eb = nullptr;
    long long x = std::strtoll(a.c_str(), &ea, 10), y = std::strtoll(b.c_str(), &eb, 10);
    if (ea == a.c_str() || eb == b.c_str()) {
      if (n == 1) continue;  // a header
      throw std::runtime_error(fmt::format("{}:{}: expected `follower,followee` user ids, got '{}'", file, n, line));
    }
    if (x < 0 || y < 0 || x >= (1LL << 31) || y >= (1LL << 31))
      throw std::runtime_error(fmt::format("{}:{}: user ids must be between 0 and 2^31", file, n));
    follows.emplace_back(static_cast<uint32_t>(x), static_cast<uint32_t>(y));
    max_id = std::max({max_id, static_cast<uint32_t>(x), static_cast<uint32_t>(y)});
  }
  uint32_t accounts = follows.empty() ? 0 : max_id + 1;  // before `follows` is moved from
  return FollowerGraph::from_pairs(accounts, std::move(follows));
}

}  // namespace

FollowerGraph FollowerGraph::build(const FollowerGraphSpec& spec) {
  if (!spec.edges_file.empty()) return read_edges(spec.edges_file);
  Rng rng = Rng::derive(spec.seed, "follower-graph");
  uint32_t n = static_cast<uint32_t>(spec.users);
  uint32_t accounts = n + static_cast<uint32_t>(spec.celebrities.size());
  // Chung-Lu weights: rank i (from 0) has weight (i + 1)^(-1 / (exponent - 1)).
  std::vector<double> cumulative(n);
  double c = 0, beta = 1.0 / (spec.exponent - 1);
  for (uint32_t i = 0; i < n; ++i) {
    c += std::pow(static_cast<double>(i) + 1, -beta);
    cumulative[i] = c;
  }
  std::vector<std::pair<uint32_t, uint32_t>> follows;
  follows.reserve(static_cast<size_t>(spec.mean_followees * n) + 16);
  double whole = std::floor(spec.mean_followees), frac = spec.mean_followees - whole;
  std::vector<uint32_t> mine;
  for (uint32_t u = 0; u < n; ++u) {
    uint32_t d = static_cast<uint32_t>(whole) + (rng.uniform() < frac ? 1 : 0);
    d = std::min(d, n - 1);
    mine.clear();
    // Rejection of self and repeats; with very popular accounts it may take a few more draws.
    for (uint64_t tries = 0; mine.size() < d && tries < 50ull * d + 1000; ++tries) {
      double x = rng.uniform() * c;
      uint32_t v = static_cast<uint32_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
      if (v >= n) v = n - 1;
      if (v == u || std::find(mine.begin(), mine.end(), v) != mine.end()) continue;
      mine.push_back(v);
    }
    for (uint32_t v : mine) follows.emplace_back(u, v);
  }
  // Celebrities: followed by `followers` distinct users drawn uniformly (a partial shuffle).
  std::vector<uint32_t> pool;
  for (size_t k = 0; k < spec.celebrities.size(); ++k) {
    uint32_t celeb = n + static_cast<uint32_t>(k);
    uint32_t f = static_cast<uint32_t>(std::min<int64_t>(spec.celebrities[k], n));
    pool.resize(n);
    for (uint32_t i = 0; i < n; ++i) pool[i] = i;
    for (uint32_t i = 0; i < f; ++i) {
      uint32_t j = i + static_cast<uint32_t>(rng.below(n - i));
      std::swap(pool[i], pool[j]);
      follows.emplace_back(pool[i], celeb);
    }
  }
  return from_pairs(accounts, std::move(follows));
}

}  // namespace archsim
