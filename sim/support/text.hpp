// Small helpers on text shared by everything that reads input: suggesting the word that was meant,
// and checking UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace archsim {

// The closest candidate to `word` by edit distance, or "" when none is close.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// The length of the UTF-8 sequence starting at text[i] (1 for ASCII), or 0 when it is not valid UTF-8.
size_t utf8_sequence_length(const std::string& text, size_t i);

// Up to two decimals, trailing zeros dropped, thousands separated: 93.13, 36.5, 585,937.5.
std::string grouped_number(double x);

}  // namespace archsim
