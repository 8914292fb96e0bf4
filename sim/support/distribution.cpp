#include "sim/support/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "sim/support/units.hpp"

namespace archsim {

// z such that P(N(0,1) <= z) = 0.99.
static constexpr double kZ99 = 2.3263478740408408;

Distribution Distribution::constant(double v) {
  Distribution d;
  d.kind_ = Kind::Constant;
  d.a_ = v;
  return d;
}
Distribution Distribution::exponential(double mean) {
  Distribution d;
  d.kind_ = Kind::Exponential;
  d.a_ = mean;
  return d;
}
Distribution Distribution::lognormal(double median, double p99) {
  Distribution d;
  d.kind_ = Kind::Lognormal;
  d.a_ = std::log(median);
  d.b_ = std::log(p99 / median) / kZ99;
  return d;
}
Distribution Distribution::uniform(double min, double max) {
  Distribution d;
  d.kind_ = Kind::Uniform;
  d.a_ = min;
  d.b_ = max;
  return d;
}
Distribution Distribution::empirical(std::vector<std::pair<double, double>> points) {
  Distribution d;
  d.kind_ = Kind::Empirical;
  double c = 0;
  for (auto& [v, p] : points) {
    c += p;
    d.cumulative_.emplace_back(v, c);
  }
  d.cumulative_.back().second = 1.0;  // absorb rounding of the input probabilities
  return d;
}

Distribution Distribution::mixture(std::vector<std::pair<double, Distribution>> parts) {
  Distribution d;
  d.kind_ = Kind::Mixture;
  double c = 0;
  for (auto& [p, part] : parts) {
    c += p;
    d.cumulative_.emplace_back(static_cast<double>(d.parts_.size()), c);
    d.parts_.push_back(std::move(part));
  }
  d.cumulative_.back().second = 1.0;
  return d;
}

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Exponential:
      return rng.exponential(a_);
    case Kind::Lognormal:
      return std::exp(a_ + b_ * rng.standard_normal());
    case Kind::Uniform:
      return a_ + (b_ - a_) * rng.uniform();
    case Kind::Empirical: {
      double u = rng.uniform();
      for (const auto& [v, c] : cumulative_)
        if (u < c) return v;
      return cumulative_.back().first;
    }
    case Kind::Mixture: {
      double u = rng.uniform();
      for (const auto& [i, c] : cumulative_)
        if (u < c) return parts_[static_cast<size_t>(i)].sample(rng);
      return parts_.back().sample(rng);
    }
  }
  return 0;
}

double Distribution::sample_residual(Rng& rng) const { return sample_length_biased(rng) * rng.uniform(); }

double Distribution::sample_length_biased(Rng& rng) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Exponential:  // Gamma(2, mean)
      return rng.exponential(a_) + rng.exponential(a_);
    case Kind::Lognormal:  // lognormal(mu + sigma^2, sigma)
      return std::exp(a_ + b_ * b_ + b_ * rng.standard_normal());
    case Kind::Uniform:  // density 2x / (b^2 - a^2) on [a, b]
      return std::sqrt(a_ * a_ + (b_ * b_ - a_ * a_) * rng.uniform());
    case Kind::Empirical:
    case Kind::Mixture: {  // each point or part weighted by probability x its mean
      std::vector<double> weight;
      double prev = 0, total = 0;
      for (const auto& [v, c] : cumulative_) {
        double m = kind_ == Kind::Empirical ? v : parts_[static_cast<size_t>(v)].mean();
        weight.push_back((c - prev) * m);
        total += weight.back();
        prev = c;
      }
      if (total <= 0) return 0;
      double u = rng.uniform() * total;
      size_t i = 0;
      for (; i + 1 < weight.size(); ++i) {
        if (u < weight[i]) break;
        u -= weight[i];
      }
      if (kind_ == Kind::Empirical) return cumulative_[i].first;
      return parts_[static_cast<size_t>(cumulative_[i].first)].sample_length_biased(rng);
    }
  }
  return 0;
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Exponential:
      return a_;
    case Kind::Lognormal:
      return std::exp(a_ + b_ * b_ / 2);
    case Kind::Uniform:
      return (a_ + b_) / 2;
    case Kind::Empirical: {
      double m = 0, prev = 0;
      for (const auto& [v, c] : cumulative_) {
        m += v * (c - prev);
        prev = c;
      }
      return m;
    }
    case Kind::Mixture: {
      double m = 0, prev = 0;
      for (const auto& [i, c] : cumulative_) {
        m += parts_[static_cast<size_t>(i)].mean() * (c - prev);
        prev = c;
      }
      return m;
    }
  }
  return 0;
}

double Distribution::scv() const {
  double m = mean();
  if (m == 0) return 0;
  switch (kind_) {
    case Kind::Constant:
      return 0;
    case Kind::Exponential:
      return 1;
    case Kind::Lognormal:
      return std::exp(b_ * b_) - 1;
    case Kind::Uniform:
      return (b_ - a_) * (b_ - a_) / 12 / (m * m);
    case Kind::Empirical: {
      double m2 = 0, prev = 0;
      for (const auto& [v, c] : cumulative_) {
        m2 += v * v * (c - prev);
        prev = c;
      }
      return (m2 - m * m) / (m * m);
    }
    case Kind::Mixture: {
      // E[X^2] of each part is (scv + 1) mean^2.
      double m2 = 0, prev = 0;
      for (const auto& [i, c] : cumulative_) {
        const Distribution& d = parts_[static_cast<size_t>(i)];
        m2 += (d.scv() + 1) * d.mean() * d.mean() * (c - prev);
        prev = c;
      }
      return (m2 - m * m) / (m * m);
    }
  }
  return 0;
}

std::string Distribution::describe() const {
  switch (kind_) {
    case Kind::Constant:
      return format_duration(a_);
    case Kind::Exponential:
      return fmt::format("exp(mean {})", format_duration(a_));
    case Kind::Lognormal:
      return fmt::format("lognormal(median {}, p99 {})", format_duration(std::exp(a_)),
                         format_duration(std::exp(a_ + b_ * kZ99)));
    case Kind::Uniform:
      return fmt::format("uniform({}, {})", format_duration(a_), format_duration(b_));
    case Kind::Empirical:
      return fmt::format("empirical(mean {})", format_duration(mean()));
    case Kind::Mixture:
      return fmt::format("mixture(mean {})", format_duration(mean()));
  }
  return "";
}

}  // namespace archsim
