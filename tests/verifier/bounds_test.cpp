// Soundness of the abstract arithmetic: for random abstract values and
// random concrete values they contain, the concrete result of every ALU
// operation is contained in the abstract result (tnums, signed/unsigned
// 64- and 32-bit bounds, after Linux's bounds synchronisation).
#include <gtest/gtest.h>

#include <random>

#include "verifier/reg_state.h"

namespace ebpfaas::verifier {
namespace {

bool contains(const RegState& r, uint64_t v) {
  const auto v32 = static_cast<uint32_t>(v);
  return r.var_off.contains(Tnum::constant(v)) && v >= r.umin && v <= r.umax &&
         static_cast<int64_t>(v) >= r.smin && static_cast<int64_t>(v) <= r.smax &&
         v32 >= r.u32_min && v32 <= r.u32_max && static_cast<int32_t>(v32) >= r.s32_min &&
         static_cast<int32_t>(v32) <= r.s32_max;
}

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  uint64_t u64() { return rng_(); }
  uint64_t interesting() {
    switch (rng_() % 8) {
      case 0:
        return rng_() % 16;
      case 1:
        return static_cast<uint64_t>(-static_cast<int64_t>(rng_() % 16));
      case 2:
        return rng_() % 0x10000;
      case 3:
        return 0x7fffffffull + rng_() % 3 - 1;
      case 4:
        return 0xffffffffull - rng_() % 3;
      case 5:
        return (1ull << 63) + rng_() % 3 - 1;
      default:
        return rng_();
    }
  }

  // An abstract value built the way the verifier builds them: from a
  // constant, a masked unknown, a range learned from comparisons...
  RegState abstract(uint64_t& witness) {
    RegState r;
    mark_unknown(r);
    witness = interesting();
    switch (rng_() % 5) {
      case 0:
        mark_known(r, witness);
        return r;
      case 1: {  // unknown & mask
        const uint64_t mask = interesting();
        witness &= mask;
        r.var_off = Tnum{0, mask};
        break;
      }
      case 2: {  // umin <= x <= umax
        uint64_t a = interesting(), b = interesting();
        if (a > b) std::swap(a, b);
        witness = b - a == UINT64_MAX ? rng_() : a + (b - a ? rng_() % (b - a + 1) : 0);
        r.umin = a;
        r.umax = b;
        break;
      }
      case 3: {  // smin <= x <= smax
        int64_t a = static_cast<int64_t>(interesting()), b = static_cast<int64_t>(interesting());
        if (a > b) std::swap(a, b);
        const uint64_t span = static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
        witness = span == UINT64_MAX ? rng_()
                                     : static_cast<uint64_t>(a) + (span ? rng_() % (span + 1) : 0);
        r.smin = a;
        r.smax = b;
        break;
      }
      default: {  // 32-bit range
        uint32_t a = static_cast<uint32_t>(interesting()), b = static_cast<uint32_t>(interesting());
        if (a > b) std::swap(a, b);
        const uint32_t lo =
            a + (b - a ? static_cast<uint32_t>(rng_() % (static_cast<uint64_t>(b) - a + 1)) : 0);
        witness = (rng_() & ~0xffffffffull) | lo;
        r.u32_min = a;
        r.u32_max = b;
        break;
      }
    }
    bounds_sync(r);
    return r;
  }

  // Another value of the abstract state, or the witness.
  uint64_t member(const RegState& r, uint64_t witness) {
    for (int tries = 0; tries < 20; ++tries) {
      uint64_t v = (r.var_off.value | (u64() & r.var_off.mask));
      if (contains(r, v)) return v;
      const uint64_t span = r.umax - r.umin;
      v = span == UINT64_MAX ? u64() : r.umin + (span ? u64() % (span + 1) : 0);
      v = r.var_off.value | (v & r.var_off.mask);
      if (contains(r, v)) return v;
    }
    return witness;
  }

 private:
  std::mt19937_64 rng_;
};

uint64_t concrete(AluOp op, uint64_t a, uint64_t b, bool alu32) {
  if (alu32) {
    const uint32_t x = static_cast<uint32_t>(a), y = static_cast<uint32_t>(b);
    switch (op) {
      case AluOp::kAdd:
        return static_cast<uint32_t>(x + y);
      case AluOp::kSub:
        return static_cast<uint32_t>(x - y);
      case AluOp::kMul:
        return static_cast<uint32_t>(x * y);
      case AluOp::kDiv:
        return y ? x / y : 0;
      case AluOp::kMod:
        return y ? x % y : x;
      case AluOp::kOr:
        return x | y;
      case AluOp::kAnd:
        return x & y;
      case AluOp::kXor:
        return x ^ y;
      case AluOp::kLsh:
        return static_cast<uint32_t>(x << (y & 31));
      case AluOp::kRsh:
        return x >> (y & 31);
      case AluOp::kArsh:
        return static_cast<uint32_t>(static_cast<int32_t>(x) >> (y & 31));
      case AluOp::kNeg:
        return static_cast<uint32_t>(0u - x);
      default:
        return 0;
    }
  }
  switch (op) {
    case AluOp::kAdd:
      return a + b;
    case AluOp::kSub:
      return a - b;
    case AluOp::kMul:
      return a * b;
    case AluOp::kDiv:
      return b ? a / b : 0;
    case AluOp::kMod:
      return b ? a % b : a;
    case AluOp::kOr:
      return a | b;
    case AluOp::kAnd:
      return a & b;
    case AluOp::kXor:
      return a ^ b;
    case AluOp::kLsh:
      return a << (b & 63);
    case AluOp::kRsh:
      return a >> (b & 63);
    case AluOp::kArsh:
      return static_cast<uint64_t>(static_cast<int64_t>(a) >> (b & 63));
    case AluOp::kNeg:
      return 0 - a;
    default:
      return 0;
  }
}

TEST(Bounds, SyncKeepsEveryMember) {
  Random rnd(1);
  for (int i = 0; i < 200000; ++i) {
    uint64_t w;
    const RegState r = rnd.abstract(w);
    ASSERT_TRUE(contains(r, w)) << r.str() << " lost " << w;
    ASSERT_TRUE(bounds_sane(r)) << r.str();
  }
}

TEST(Bounds, AluResultsContainConcreteResults) {
  Random rnd(2);
  const AluOp ops[] = {AluOp::kAdd, AluOp::kSub, AluOp::kMul,  AluOp::kDiv,
                       AluOp::kMod, AluOp::kOr,  AluOp::kAnd,  AluOp::kXor,
                       AluOp::kLsh, AluOp::kRsh, AluOp::kArsh, AluOp::kNeg};
  int checked = 0;
  for (int i = 0; i < 400000; ++i) {
    const AluOp op = ops[rnd.u64() % std::size(ops)];
    const bool alu32 = rnd.u64() & 1;
    uint64_t wa, wb;
    RegState a = rnd.abstract(wa);
    RegState b = rnd.abstract(wb);
    if (op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) {
      wb = rnd.u64() % (alu32 ? 32 : 64);
      mark_known(b, wb);
    }
    if (!scalar_range_computable(op, b, alu32)) continue;
    for (int k = 0; k < 4; ++k) {
      const uint64_t x = rnd.member(a, wa), y = op == AluOp::kNeg ? x : rnd.member(b, wb);
      RegState r = a;
      scalar_alu(r, op == AluOp::kNeg ? a : b, op, alu32);
      const uint64_t want = concrete(op, x, y, alu32);
      ++checked;
      ASSERT_TRUE(contains(r, want)) << "op " << static_cast<int>(op) << (alu32 ? " (32-bit)" : "")
                                     << "\n a=" << a.str() << " x=" << x << "\n b=" << b.str()
                                     << " y=" << y << "\n result " << r.str() << " misses " << want;
    }
  }
  EXPECT_GT(checked, 100000);
}

TEST(Bounds, CoercionAndSignExtension) {
  Random rnd(3);
  for (int i = 0; i < 200000; ++i) {
    uint64_t w;
    const RegState a = rnd.abstract(w);
    const uint64_t x = rnd.member(a, w);
    const int size = 1 << (rnd.u64() % 3);  // 1, 2, 4 bytes
    RegState z = a;
    coerce_to_size(z, size);
    const uint64_t mask = (1ull << (size * 8)) - 1;
    ASSERT_TRUE(contains(z, x & mask)) << a.str() << " size " << size;
    RegState s = a;
    coerce_to_size_sx(s, size);
    const int shift = 64 - size * 8;
    const uint64_t sx = static_cast<uint64_t>(static_cast<int64_t>(x << shift) >> shift);
    ASSERT_TRUE(contains(s, sx)) << a.str() << " sx size " << size << " x " << x;
  }
}

TEST(Bounds, ByteSwaps) {
  Random rnd(4);
  for (int i = 0; i < 100000; ++i) {
    uint64_t w;
    const RegState a = rnd.abstract(w);
    const uint64_t x = rnd.member(a, w);
    RegState r16 = a, r32 = a, r64 = a, le16 = a;
    scalar_byte_swap(r16, true, 16);
    scalar_byte_swap(r32, true, 32);
    scalar_byte_swap(r64, true, 64);
    scalar_byte_swap(le16, false, 16);
    ASSERT_TRUE(contains(r16, __builtin_bswap16(static_cast<uint16_t>(x))));
    ASSERT_TRUE(contains(r32, __builtin_bswap32(static_cast<uint32_t>(x))));
    ASSERT_TRUE(contains(r64, __builtin_bswap64(x)));
    ASSERT_TRUE(contains(le16, static_cast<uint16_t>(x)));
  }
}

TEST(Tnum, KnownAnswers) {
  EXPECT_EQ(Tnum::range(0, 7), (Tnum{0, 7}));
  EXPECT_EQ(Tnum::range(8, 15), (Tnum{8, 7}));
  EXPECT_TRUE(Tnum::range(0, UINT64_MAX).is_unknown());
  EXPECT_EQ(tnum_add(Tnum::constant(3), Tnum{0, 1}),
            (Tnum{0, 7}));  // carries make 3 + {0,1} imprecise, as in Linux
  EXPECT_EQ(tnum_and(Tnum::unknown(), Tnum::constant(0xf0)), (Tnum{0, 0xf0}));
  EXPECT_EQ((Tnum{0x10, 0xf}).str(), "(0x10; 0xf)");
  EXPECT_TRUE((Tnum{0, 0xff}).contains(Tnum::constant(0x42)));
  EXPECT_FALSE((Tnum{0, 0xf}).contains(Tnum::constant(0x42)));
}

}  // namespace
}  // namespace ebpfaas::verifier
