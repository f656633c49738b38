// The pseudo-random numbers behind generated traffic. Reproducibility is a
// feature (same seed and options -> byte-identical pcap files, on any machine
// and standard library), so ebpfaas does not use <random>'s distributions,
// whose output is implementation-defined. xoshiro256** (Blackman and Vigna,
// 2018) seeded through splitmix64, and Lemire's nearly divisionless method for
// unbiased bounded integers (ACM TOMACS 2019), are both fully specified.
#pragma once

#include <cstdint>

namespace ebpfaas::dataplane {

class Random {
 public:
  explicit Random(uint64_t seed) {
    // splitmix64 spreads any seed (0 included) over the whole state.
    for (uint64_t& word : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, range), exactly (no modulo bias). range must be > 0.
  uint64_t below(uint64_t range) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * range;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < range) {
      const uint64_t threshold = (0 - range) % range;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * range;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi], both inclusive; the whole 64-bit range is allowed.
  uint64_t between(uint64_t lo, uint64_t hi) {
    if (lo == 0 && hi == UINT64_MAX) return next();
    return lo + below(hi - lo + 1);
  }

  // Uniform in [0, 2^53): the resolution of a double in [0, 1).
  uint64_t next53() { return next() >> 11; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace ebpfaas::dataplane
