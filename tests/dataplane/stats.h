// Goodness-of-fit helpers for the sampling tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace ebpfaas::dataplane::testing {

// Pearson's chi-square statistic of observed counts against probabilities.
inline double chi_square(const std::vector<uint64_t>& observed, const std::vector<double>& p) {
  uint64_t n = 0;
  for (uint64_t o : observed) n += o;
  double x2 = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double e = p[i] * static_cast<double>(n);
    const double d = static_cast<double>(observed[i]) - e;
    x2 += d * d / e;
  }
  return x2;
}

// The chi-square value exceeded with probability 0.001 for `dof` degrees of
// freedom (Wilson-Hilferty approximation; within 1% for dof >= 10).
inline double chi_square_critical_001(double dof) {
  const double z = 3.090232306;  // standard normal 0.999 quantile
  const double a = 2.0 / (9.0 * dof);
  return dof * std::pow(1 - a + z * std::sqrt(a), 3);
}

}  // namespace ebpfaas::dataplane::testing
