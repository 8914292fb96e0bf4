#include "sim/support/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace archsim {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  // Nothing is suggested for absurdly long words: the edit distance costs their product of lengths.
  if (word.size() > 100) return "";
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  size_t limit = std::max<size_t>(2, word.size() / 3);
  for (const auto& c : candidates) {
    if (c.size() > word.size() + limit || word.size() > c.size() + limit) continue;  // too far apart anyway
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  if (best_d <= limit && best_d < word.size()) return best;  // "k0" is not a typo of "op"
  // A prefix match ("repl" for "replicas") also counts.
  for (const auto& c : candidates)
    if (word.size() >= 3 && c.rfind(word, 0) == 0) return c;
  return "";
}

size_t utf8_sequence_length(const std::string& text, size_t i) {
  auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  unsigned c = byte(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  unsigned c1 = byte(i + 1);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
    return 0;  // overlong, a UTF-16 surrogate, or beyond U+10FFFF
  return n;
}

// Up to two decimals, trailing zeros dropped, thousands separated: 93.13, 36.5, 585,937.5.
std::string grouped_number(double x) {
  std::string s = fmt::format("{:.2f}", x);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  auto dot = s.find('.');
  std::string whole = s.substr(0, dot == std::string::npos ? s.size() : dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot);
  std::string sign = whole[0] == '-' ? "-" : "";
  if (!sign.empty()) whole.erase(0, 1);
  for (int i = static_cast<int>(whole.size()) - 3; i > 0; i -= 3) whole.insert(static_cast<size_t>(i), ",");
  return sign + whole + frac;
}

}  // namespace archsim
