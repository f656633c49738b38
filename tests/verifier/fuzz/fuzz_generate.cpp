// The program generator: blocks of instructions shaped like what compilers
// emit for XDP parsers (bounds checks against data_end, header loads,
// variable offsets, stack spills, map lookups with null checks, helper
// calls, bounded loops), with the fuzzer's bytes choosing shapes, registers
// and constants, and occasionally a raw instruction.
#include <linux/bpf.h>

#include <cstddef>

#include "ebpf/opcode.h"
#include "tests/verifier/fuzz/fuzz_program.h"

namespace ebpfaas::verifier::fuzz {
namespace {

using namespace ebpf;  // NOLINT: opcode constants

constexpr uint8_t kCtx = 6, kData = 7, kEnd = 8, kVal = 9;

Insn make(uint8_t opcode, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  Insn i;
  i.opcode = opcode;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

class Generator {
 public:
  explicit Generator(FuzzedDataProvider& in) : in_(in) {}

  std::vector<Insn> run() {
    emit(make(kClsAlu64 | kAluMov | kSrcX, kCtx, 1, 0, 0));
    reload_packet();
    // r9 starts as a scalar so that early uses are not uninitialized reads.
    emit(make(kClsAlu64 | kAluMov | kSrcK, kVal, 0, 0, 0));
    init_scratch(0);
    const int blocks = in_.ConsumeIntegralInRange<int>(1, 24);
    for (int b = 0; b < blocks && in_.remaining_bytes() > 0; ++b) {
      block_start_.push_back(out_.size());
      block();
    }
    block_start_.push_back(out_.size());  // "out": the epilogue
    const uint8_t pick = in_.ConsumeIntegral<uint8_t>();
    const int32_t ret = pick < 240 ? pick % 5 : static_cast<int32_t>(pick) - 250;
    emit(make(kClsAlu64 | kAluMov | kSrcK, 0, 0, 0, ret));
    emit(make(kClsJmp | kJmpExit, 0, 0, 0, 0));
    for (const Fixup& f : fixups_) {
      const size_t target = block_start_[std::min(f.block, block_start_.size() - 1)];
      const int64_t rel = static_cast<int64_t>(target) - static_cast<int64_t>(f.at) - 1;
      out_[f.at].off = static_cast<int16_t>(rel);
    }
    return out_;
  }

 private:
  struct Fixup {
    size_t at;
    size_t block;  // index into block_start_
  };

  void emit(Insn i) { out_.push_back(i); }
  // Helpers clobber r1-r5: programs usually set them again before use.
  void init_scratch(int first) {
    for (int r = first; r <= 5; ++r)
      emit(make(kClsAlu64 | kAluMov | kSrcK, static_cast<uint8_t>(r), 0, 0, interesting_imm()));
  }
  void after_call() {
    if (in_.ConsumeIntegralInRange<int>(0, 9) != 0) init_scratch(1);
  }
  // Offsets a program would use after checking `checked_` bytes.
  int16_t packet_off(int size) {
    if (checked_ >= size && in_.ConsumeIntegralInRange<int>(0, 7) != 0)
      return static_cast<int16_t>(in_.ConsumeIntegralInRange<int>(0, checked_ - size));
    return small_off();
  }
  static int bytes_of(uint8_t size_code) {
    return size_code == kSizeB ? 1 : size_code == kSizeH ? 2 : size_code == kSizeW ? 4 : 8;
  }
  int16_t stack_off(int size) {
    int off = -in_.ConsumeIntegralInRange<int>(1, 64);
    if (in_.ConsumeIntegralInRange<int>(0, 7) != 0) off = off / size * size - size;
    return static_cast<int16_t>(std::max(off, -64));
  }
  uint8_t scratch() { return in_.ConsumeIntegralInRange<uint8_t>(0, 5); }
  uint8_t any_reg() { return in_.ConsumeIntegralInRange<uint8_t>(0, 10); }
  uint8_t size_code() {
    static const uint8_t kSizes[] = {kSizeB, kSizeH, kSizeW, kSizeDW};
    return kSizes[in_.ConsumeIntegralInRange<int>(0, 3)];
  }
  int32_t interesting_imm() {
    static const int32_t kImms[] = {0,  1,  2,    3,      4,  7,  8,          14, 15,
                                    16, 20, 31,   32,     34, 42, 54,         63, 64,
                                    -1, -8, 0xff, 0xffff, 60, 12, 0x7fffffff, -64};
    if (in_.ConsumeBool())
      return kImms[in_.ConsumeIntegralInRange<size_t>(0, std::size(kImms) - 1)];
    return in_.ConsumeIntegral<int32_t>();
  }
  int16_t small_off() { return in_.ConsumeIntegralInRange<int16_t>(-4, 80); }

  // A forward jump to a later block (or to the epilogue).
  void jump_forward(Insn j) {
    const size_t here = block_start_.size() - 1;
    const size_t ahead = to_epilogue_ ? 1000 : in_.ConsumeIntegralInRange<size_t>(1, 4);
    to_epilogue_ = false;
    fixups_.push_back({out_.size(), here + ahead});
    emit(j);
  }

  void reload_packet() {
    emit(make(kClsLdx | kModeMem | kSizeW, kData, kCtx, 0, 0));
    emit(make(kClsLdx | kModeMem | kSizeW, kEnd, kCtx, 4, 0));
  }

  // r = data + K; if r > data_end goto later (several equivalent forms).
  void bounds_check(uint8_t base) {
    const uint8_t r = scratch();
    const int32_t k = in_.ConsumeIntegralInRange<int32_t>(1, 80);
    if (base == kData) checked_ = std::max(checked_, static_cast<int>(k));
    to_epilogue_ = in_.ConsumeIntegralInRange<int>(0, 7) != 0;
    emit(make(kClsAlu64 | kAluMov | kSrcX, r, base, 0, 0));
    emit(make(kClsAlu64 | kAluAdd | kSrcK, r, 0, 0, k));
    switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        jump_forward(make(kClsJmp | kJmpJgt | kSrcX, r, kEnd, 0, 0));
        break;
      case 1:
        jump_forward(make(kClsJmp | kJmpJlt | kSrcX, kEnd, r, 0, 0));
        break;
      case 2:
        jump_forward(make(kClsJmp | kJmpJge | kSrcX, r, kEnd, 0, 0));
        break;
      default:
        jump_forward(make(kClsJmp | kJmpJle | kSrcX, kEnd, r, 0, 0));
        break;
    }
  }

  void alu(bool reg_source) {
    static const uint8_t kOps[] = {kAluAdd, kAluSub, kAluMul, kAluDiv, kAluOr,  kAluAnd, kAluLsh,
                                   kAluRsh, kAluNeg, kAluMod, kAluXor, kAluMov, kAluArsh};
    const uint8_t op = kOps[in_.ConsumeIntegralInRange<size_t>(0, std::size(kOps) - 1)];
    const uint8_t cls = in_.ConsumeBool() ? kClsAlu64 : kClsAlu;
    const uint8_t dst = scratch();
    if (op == kAluNeg) {
      emit(make(cls | op, dst, 0, 0, 0));
    } else if (reg_source) {
      emit(make(cls | op | kSrcX, dst, any_reg(), 0, 0));
    } else {
      int32_t imm = interesting_imm();
      if (op == kAluLsh || op == kAluRsh || op == kAluArsh)
        imm = in_.ConsumeIntegralInRange<int32_t>(0, cls == kClsAlu64 ? 63 : 31);
      emit(make(cls | op | kSrcK, dst, 0, 0, imm));
    }
  }

  void cond_jump() {
    static const uint8_t kConds[] = {kJmpJeq,  kJmpJgt, kJmpJge, kJmpJset, kJmpJne, kJmpJsgt,
                                     kJmpJsge, kJmpJlt, kJmpJle, kJmpJslt, kJmpJsle};
    const uint8_t op = kConds[in_.ConsumeIntegralInRange<size_t>(0, std::size(kConds) - 1)];
    const uint8_t cls = in_.ConsumeIntegralInRange<int>(0, 3) == 0 ? kClsJmp32 : kClsJmp;
    if (in_.ConsumeBool())
      jump_forward(make(cls | op | kSrcK, scratch(), 0, 0, interesting_imm()));
    else
      jump_forward(make(cls | op | kSrcX, scratch(), scratch(), 0, 0));
  }

  void map_lookup() {
    const int32_t map = in_.ConsumeIntegralInRange<int32_t>(0, 1);
    const int32_t key = in_.ConsumeIntegralInRange<int32_t>(0, 6);
    if (in_.ConsumeBool()) {
      emit(make(kClsSt | kModeMem | kSizeW, 10, 0, -8, key));
    } else {
      // A key derived from the packet or a scratch register.
      const uint8_t r = scratch();
      emit(make(kClsAlu64 | kAluAnd | kSrcK, r, 0, 0, 7));
      emit(make(kClsStx | kModeMem | kSizeW, 10, r, -8, 0));
    }
    emit(make(kClsAlu64 | kAluMov | kSrcX, 2, 10, 0, 0));
    emit(make(kClsAlu64 | kAluAdd | kSrcK, 2, 0, 0, -8));
    emit(make(kClsLd | kModeImm | kSizeDW, 1, kPseudoMapIdx, 0, map));
    emit(make(0, 0, 0, 0, 0));
    emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_map_lookup_elem));
    if (in_.ConsumeIntegralInRange<int>(0, 9) != 0)
      jump_forward(make(kClsJmp | kJmpJeq | kSrcK, 0, 0, 0, 0));
    emit(make(kClsAlu64 | kAluMov | kSrcX, kVal, 0, 0, 0));
  }

  void map_value_access() {
    const int16_t off = in_.ConsumeIntegralInRange<int16_t>(-2, 18);
    if (in_.ConsumeBool()) {
      emit(make(kClsLdx | kModeMem | size_code(), scratch(), kVal, off, 0));
    } else if (in_.ConsumeBool()) {
      emit(make(kClsStx | kModeMem | size_code(), kVal, scratch(), off, 0));
    } else {
      // value + (x & mask)
      const uint8_t r = scratch(), p = scratch();
      emit(make(kClsAlu64 | kAluAnd | kSrcK, r, 0, 0, in_.ConsumeIntegralInRange<int32_t>(0, 31)));
      emit(make(kClsAlu64 | kAluMov | kSrcX, p, kVal, 0, 0));
      emit(make(kClsAlu64 | kAluAdd | kSrcX, p, r, 0, 0));
      emit(make(kClsLdx | kModeMem | size_code(), scratch(), p, off, 0));
    }
  }

  void helper_call() {
    switch (in_.ConsumeIntegralInRange<int>(0, 9)) {
      case 0:
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_get_prandom_u32));
        break;
      case 1:
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_ktime_get_ns));
        break;
      case 2:
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_get_smp_processor_id));
        break;
      case 3: {  // csum_diff over a stack buffer
        emit(make(kClsSt | kModeMem | kSizeDW, 10, 0, -16, interesting_imm()));
        emit(make(kClsAlu64 | kAluMov | kSrcX, 1, 10, 0, 0));
        emit(make(kClsAlu64 | kAluAdd | kSrcK, 1, 0, 0, -16));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 2, 0, 0, in_.ConsumeIntegralInRange<int>(0, 12)));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 3, 0, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 4, 0, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 5, 0, 0, 0));
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_csum_diff));
        break;
      }
      case 4:
      case 5: {  // packet-changing helpers; the program may or may not reload
        static const int32_t kIds[] = {BPF_FUNC_xdp_adjust_head, BPF_FUNC_xdp_adjust_tail,
                                       BPF_FUNC_xdp_adjust_meta};
        emit(make(kClsAlu64 | kAluMov | kSrcX, 1, kCtx, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 2, 0, 0, in_.ConsumeIntegralInRange<int>(-40, 40)));
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, kIds[in_.ConsumeIntegralInRange<int>(0, 2)]));
        checked_ = 0;
        if (in_.ConsumeIntegralInRange<int>(0, 4) != 0) reload_packet();
        break;
      }
      case 6:  // csum_diff over the packet
        emit(make(kClsAlu64 | kAluMov | kSrcX, 1, kData, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 2, 0, 0, in_.ConsumeIntegralInRange<int>(0, 16)));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 3, 0, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 4, 0, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 5, 0, 0, 0));
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_csum_diff));
        break;
      case 7:  // tail call
        emit(make(kClsAlu64 | kAluMov | kSrcX, 1, kCtx, 0, 0));
        emit(make(kClsLd | kModeImm | kSizeDW, 2, kPseudoMapIdx, 0, 3));
        emit(make(0, 0, 0, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 3, 0, 0, 0));
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_tail_call));
        break;
      case 8:  // xdp_load_bytes into the stack
        emit(make(kClsAlu64 | kAluMov | kSrcX, 1, kCtx, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 2, 0, 0, in_.ConsumeIntegralInRange<int>(0, 20)));
        emit(make(kClsAlu64 | kAluMov | kSrcX, 3, 10, 0, 0));
        emit(make(kClsAlu64 | kAluAdd | kSrcK, 3, 0, 0, -32));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 4, 0, 0, in_.ConsumeIntegralInRange<int>(1, 32)));
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_xdp_load_bytes));
        break;
      default:  // redirect_map: a result in the XDP action range
        emit(make(kClsLd | kModeImm | kSizeDW, 1, kPseudoMapIdx, 0, 4));
        emit(make(0, 0, 0, 0, 0));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 2, 0, 0, in_.ConsumeIntegralInRange<int>(0, 5)));
        emit(make(kClsAlu64 | kAluMov | kSrcK, 3, 0, 0, in_.ConsumeIntegralInRange<int>(0, 3)));
        emit(make(kClsJmp | kJmpCall, 0, 0, 0, BPF_FUNC_redirect_map));
        break;
    }
  }

  // for (c = 0; c < n; c++) { body }, the body reading the packet at c.
  void bounded_loop() {
    const uint8_t c = in_.ConsumeIntegralInRange<uint8_t>(0, 2);
    const uint8_t p = 3 + in_.ConsumeIntegralInRange<uint8_t>(0, 2);
    const int32_t n = in_.ConsumeIntegralInRange<int32_t>(1, 40);
    emit(make(kClsAlu64 | kAluMov | kSrcK, c, 0, 0, 0));
    const size_t top = out_.size();
    emit(make(kClsAlu64 | kAluMov | kSrcX, p, kData, 0, 0));
    emit(make(kClsAlu64 | kAluAdd | kSrcX, p, c, 0, 0));
    const uint8_t q = p == 5 ? 3 : p + 1;
    emit(make(kClsAlu64 | kAluMov | kSrcX, q, p, 0, 0));
    emit(make(kClsAlu64 | kAluAdd | kSrcK, q, 0, 0, in_.ConsumeIntegralInRange<int>(1, 4)));
    jump_forward(make(kClsJmp | kJmpJgt | kSrcX, q, kEnd, 0, 0));
    emit(
        make(kClsLdx | kModeMem | size_code(), q, p, in_.ConsumeIntegralInRange<int16_t>(0, 2), 0));
    emit(make(kClsAlu64 | kAluAdd | kSrcK, c, 0, 0, in_.ConsumeIntegralInRange<int>(1, 2)));
    const uint8_t cls = in_.ConsumeBool() ? kClsJmp : kClsJmp32;
    Insn back = make(cls | kJmpJlt | kSrcK, c, 0, 0, n);
    back.off =
        static_cast<int16_t>(static_cast<int64_t>(top) - static_cast<int64_t>(out_.size()) - 1);
    emit(back);
  }

  void block() {
    int kind = in_.ConsumeIntegralInRange<int>(0, 22);
    if (kind == 22 && in_.ConsumeIntegralInRange<int>(0, 7) == 0) kind = 23;
    switch (kind) {
      case 0:
      case 1:
        bounds_check(kData);
        break;
      case 2:
      case 3: {
        if (checked_ == 0 && in_.ConsumeIntegralInRange<int>(0, 3) != 0) bounds_check(kData);
        const uint8_t sz = size_code();
        emit(make(kClsLdx | kModeMem | sz, scratch(), kData, packet_off(bytes_of(sz)), 0));
        break;
      }
      case 4: {
        if (checked_ == 0 && in_.ConsumeIntegralInRange<int>(0, 3) != 0) bounds_check(kData);
        const uint8_t sz = size_code();
        if (in_.ConsumeBool())
          emit(make(kClsStx | kModeMem | sz, kData, scratch(), packet_off(bytes_of(sz)), 0));
        else
          emit(make(kClsSt | kModeMem | sz, kData, 0, packet_off(bytes_of(sz)), interesting_imm()));
        break;
      }
      case 5: {  // variable offset into the packet, then its own check
        const uint8_t r = scratch(), p = 1 + in_.ConsumeIntegralInRange<uint8_t>(0, 4);
        emit(
            make(kClsAlu64 | kAluAnd | kSrcK, r, 0, 0, in_.ConsumeIntegralInRange<int32_t>(0, 63)));
        emit(make(kClsAlu64 | kAluMov | kSrcX, p, kData, 0, 0));
        emit(make(kClsAlu64 | kAluAdd | kSrcX, p, r, 0, 0));
        if (in_.ConsumeIntegralInRange<int>(0, 3) != 0) bounds_check(p);
        emit(make(kClsLdx | kModeMem | size_code(), scratch(), p, small_off(), 0));
        break;
      }
      case 6:
      case 7:
        alu(false);
        break;
      case 8:
        alu(true);
        break;
      case 9: {  // stack store
        const uint8_t sz = size_code();
        const int16_t off = stack_off(bytes_of(sz));
        written_.push_back(off);
        if (in_.ConsumeBool())
          emit(make(kClsStx | kModeMem | sz, 10, any_reg(), off, 0));
        else
          emit(make(kClsSt | kModeMem | sz, 10, 0, off, interesting_imm()));
        break;
      }
      case 10: {  // stack load
        uint8_t sz = size_code();
        int16_t off = stack_off(bytes_of(sz));
        if (!written_.empty() && in_.ConsumeIntegralInRange<int>(0, 3) != 0) {
          off = written_[in_.ConsumeIntegralInRange<size_t>(0, written_.size() - 1)];
          while (off % bytes_of(sz) != 0)
            sz = sz == kSizeDW ? kSizeW : sz == kSizeW ? kSizeH : kSizeB;
        }
        emit(make(kClsLdx | kModeMem | sz, any_reg() % 10, 10, off, 0));
        break;
      }
      case 11:
        map_lookup();
        after_call();
        break;
      case 12:
        if (!looked_up_ && in_.ConsumeIntegralInRange<int>(0, 3) != 0) map_lookup();
        looked_up_ = true;
        map_value_access();
        break;
      case 13:
        helper_call();
        after_call();
        break;
      case 14:
      case 15:
        cond_jump();
        break;
      case 16:
        bounded_loop();
        break;
      case 17: {  // context fields
        static const int16_t kFields[] = {0, 4, 8, 12, 16, 20};
        emit(make(kClsLdx | kModeMem | kSizeW, scratch(), kCtx,
                  kFields[in_.ConsumeIntegralInRange<size_t>(0, 5)], 0));
        break;
      }
      case 18: {  // atomic on the stack or a map value
        static const int32_t kOps[] = {kAtomicAdd, kAtomicOr, kAtomicAdd | kAtomicFetch,
                                       kAtomicXchg, kAtomicCmpXchg};
        const bool stack = in_.ConsumeBool();
        emit(make(kClsStx | kModeAtomic | (in_.ConsumeBool() ? kSizeDW : kSizeW), stack ? 10 : kVal,
                  scratch(),
                  stack ? static_cast<int16_t>(-8 * in_.ConsumeIntegralInRange<int>(1, 4))
                        : static_cast<int16_t>(4 * in_.ConsumeIntegralInRange<int>(0, 3)),
                  kOps[in_.ConsumeIntegralInRange<size_t>(0, 4)]));
        break;
      }
      case 19: {  // spill a pointer and fill it back
        static const uint8_t kPtrs[] = {kData, kEnd, kVal, kCtx, 10};
        const int16_t off = static_cast<int16_t>(-8 * in_.ConsumeIntegralInRange<int>(1, 8));
        emit(make(kClsStx | kModeMem | kSizeDW, 10, kPtrs[in_.ConsumeIntegralInRange<size_t>(0, 4)],
                  off, 0));
        emit(make(kClsLdx | kModeMem | kSizeDW, in_.ConsumeIntegralInRange<uint8_t>(1, 5), 10, off,
                  0));
        break;
      }
      case 22: {  // global data
        const uint8_t r = scratch();
        emit(make(kClsLd | kModeImm | kSizeDW, r, kPseudoMapIdxValue, 0, 2));
        emit(make(0, 0, 0, 0, in_.ConsumeIntegralInRange<int32_t>(0, 31)));
        emit(make(kClsLdx | kModeMem | size_code(), scratch(), r,
                  in_.ConsumeIntegralInRange<int16_t>(0, 8), 0));
        break;
      }
      case 20:
      case 21:
        bounds_check(kData);
        break;
      default: {  // a raw instruction
        Insn raw;
        raw.opcode = in_.ConsumeIntegral<uint8_t>();
        raw.dst = in_.ConsumeIntegralInRange<uint8_t>(0, 10);
        raw.src = in_.ConsumeIntegralInRange<uint8_t>(0, 10);
        raw.off = in_.ConsumeIntegralInRange<int16_t>(-4, 16);
        raw.imm = interesting_imm();
        if ((raw.opcode & 0x07) == kClsJmp || (raw.opcode & 0x07) == kClsJmp32 ||
            raw.opcode == (kClsLd | kModeImm | kSizeDW))
          raw.opcode = kClsAlu64 | kAluAdd | kSrcX;  // keep the block structure intact
        emit(raw);
        break;
      }
    }
  }

  FuzzedDataProvider& in_;
  std::vector<Insn> out_;
  std::vector<size_t> block_start_;
  std::vector<Fixup> fixups_;
  int checked_ = 0;  // bytes of packet known to be there (in the generator's view)
  bool looked_up_ = false;
  std::vector<int16_t> written_;  // stack offsets stored to
  bool to_epilogue_ = false;
};

}  // namespace

std::vector<Insn> generate_program(FuzzedDataProvider& in) {
  return Generator(in).run();
}

}  // namespace ebpfaas::verifier::fuzz
