#include "ebpf/assembler.h"

#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "ebpf/opcode.h"
#include "support/hex.h"

namespace ebpfaas::ebpf {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// A pending reference from an instruction to a label, resolved at the end.
struct Fixup {
  size_t slot;
  std::string label;
  enum Field { kOff, kImm } field;
  size_t line;
};

class Assembler {
 public:
  Expected<std::vector<Insn>> run(std::string_view source) {
    size_t line_no = 0;
    size_t pos = 0;
    while (pos <= source.size()) {
      size_t end = source.find('\n', pos);
      if (end == std::string_view::npos) end = source.size();
      std::string_view line = source.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
      line = trim(line);
      // Leading labels: "name:" possibly followed by an instruction.
      while (!line.empty()) {
        size_t colon = line.find(':');
        size_t space = line.find_first_of(" \t");
        if (colon == std::string_view::npos || (space != std::string_view::npos && space < colon))
          break;
        std::string label(trim(line.substr(0, colon)));
        if (label.empty() || !valid_label(label))
          return errorf("line {}: invalid label '{}'", line_no, label);
        if (labels_.count(label))
          return errorf("line {}: duplicate label '{}' (first declared at instruction {})", line_no,
                        label, labels_[label]);
        labels_[label] = out_.size();
        line = trim(line.substr(colon + 1));
      }
      if (line.empty()) continue;
      line_ = line_no;
      if (auto st = instruction(line); !st)
        return errorf("line {}: {}: '{}'", line_no, st.error().message(), line);
    }
    for (const Fixup& f : fixups_) {
      auto it = labels_.find(f.label);
      int64_t target;
      if (it != labels_.end()) {
        target = static_cast<int64_t>(it->second);
      } else if (f.label == "exit" && first_exit_) {
        target = static_cast<int64_t>(*first_exit_);
      } else {
        return errorf("line {}: undefined label '{}'", f.line, f.label);
      }
      int64_t rel = target - static_cast<int64_t>(f.slot) - 1;
      if (f.field == Fixup::kOff) {
        if (rel < INT16_MIN || rel > INT16_MAX)
          return errorf("line {}: jump to '{}' is too far for a 16-bit offset (use ja32)", f.line,
                        f.label);
        out_[f.slot].off = static_cast<int16_t>(rel);
      } else {
        out_[f.slot].imm = static_cast<int32_t>(rel);
      }
    }
    return std::move(out_);
  }

 private:
  static bool valid_label(std::string_view s) {
    for (char c : s)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
    return !std::isdigit(static_cast<unsigned char>(s[0]));
  }

  Expected<uint8_t> parse_reg(std::string_view s) {
    s = trim(s);
    if (!starts_with(s, "%r") && !starts_with(s, "r"))
      return errorf("expected a register, got '{}'", s);
    s.remove_prefix(s[0] == '%' ? 2 : 1);
    auto n = parse_int(s);
    if (!n || *n < 0 || *n > 15) return errorf("invalid register '{}'", s);
    return static_cast<uint8_t>(*n);
  }

  static bool is_reg(std::string_view s) {
    s = trim(s);
    return starts_with(s, "%r");
  }

  Expected<int32_t> parse_imm32(std::string_view s) {
    auto n = parse_int(trim(s));
    if (!n) return n.error();
    // Accept the signed and the unsigned reading of 32 bits (0xffffffff == -1).
    if (*n < INT32_MIN || *n > static_cast<int64_t>(UINT32_MAX))
      return errorf("immediate '{}' does not fit in 32 bits", trim(s));
    return static_cast<int32_t>(static_cast<uint32_t>(*n));
  }

  // "[%r1+8]", "[%r10-8]", "[%r2]"
  Expected<std::pair<uint8_t, int16_t>> parse_mem(std::string_view s) {
    s = trim(s);
    if (s.size() < 3 || s.front() != '[' || s.back() != ']')
      return errorf("expected a memory operand [%rN+off], got '{}'", s);
    s = s.substr(1, s.size() - 2);
    size_t sign = s.find_first_of("+-");
    auto r = parse_reg(s.substr(0, sign));
    if (!r) return r.error();
    int64_t off = 0;
    if (sign != std::string_view::npos) {
      auto n = parse_int(trim(s.substr(sign)));
      if (!n) return n.error();
      off = *n;
    }
    if (off < INT16_MIN || off > INT16_MAX) return errorf("offset {} does not fit in 16 bits", off);
    return std::make_pair(*r, static_cast<int16_t>(off));
  }

  // A jump/call target: +N / -N / label. Sets the field now or records a fixup.
  Status target(std::string_view s, Insn& insn, Fixup::Field field) {
    s = trim(s);
    if (s.empty()) return errorf("missing jump target");
    if (s[0] == '+' || s[0] == '-' || std::isdigit(static_cast<unsigned char>(s[0]))) {
      auto n = parse_int(s);
      if (!n) return n.error();
      if (field == Fixup::kOff) {
        if (*n < INT16_MIN || *n > INT16_MAX)
          return errorf("jump offset {} does not fit in 16 bits", *n);
        insn.off = static_cast<int16_t>(*n);
      } else {
        if (*n < INT32_MIN || *n > INT32_MAX)
          return errorf("offset {} does not fit in 32 bits", *n);
        insn.imm = static_cast<int32_t>(*n);
      }
      return {};
    }
    if (!valid_label(s)) return errorf("invalid jump target '{}'", s);
    fixups_.push_back({out_.size(), std::string(s), field, line_});
    return {};
  }

  static std::vector<std::string_view> split_operands(std::string_view s) {
    std::vector<std::string_view> ops;
    s = trim(s);
    if (s.empty()) return ops;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '[' || s[i] == '(') ++depth;
      if (s[i] == ']' || s[i] == ')') --depth;
      if (s[i] == ',' && depth == 0) {
        ops.push_back(trim(s.substr(start, i - start)));
        start = i + 1;
      }
    }
    ops.push_back(trim(s.substr(start)));
    return ops;
  }

  Status expect_count(const std::vector<std::string_view>& ops, size_t n) {
    if (ops.size() != n) return errorf("expected {} operand(s), got {}", n, ops.size());
    return {};
  }

  Status emit(Insn insn) {
    out_.push_back(insn);
    return {};
  }

  Status instruction(std::string_view line) {
    size_t space = line.find_first_of(" \t");
    std::string mn(line.substr(0, space));
    std::string_view rest = space == std::string_view::npos ? "" : trim(line.substr(space));
    for (char& c : mn) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

    if (mn == "lock") return atomic(rest);
    if (mn == "exit") {
      if (!rest.empty()) return errorf("exit takes no operands");
      if (!first_exit_) first_exit_ = out_.size();
      return emit(Insn{kClsJmp | kJmpExit});
    }
    if (mn == ".invalid" || mn == ".raw") {
      auto v = parse_int(trim(rest));
      if (!v) return v.error();
      Insn insn;
      uint64_t raw = static_cast<uint64_t>(*v);
      std::memcpy(&insn, &raw, sizeof insn);
      return emit(insn);
    }
    auto ops = split_operands(rest);
    if (mn == "call") return call(ops);
    if (mn == "lddw") return lddw(ops);
    if (mn == "ja" || mn == "ja32") {
      EBPFAAS_TRY(expect_count(ops, 1));
      Insn insn{static_cast<uint8_t>((mn == "ja" ? kClsJmp : kClsJmp32) | kJmpJa)};
      EBPFAAS_TRY(target(ops[0], insn, mn == "ja" ? Fixup::kOff : Fixup::kImm));
      return emit(insn);
    }
    if (auto j = jump_code(mn)) return cond_jump(*j, ends_with32(mn), ops);
    if (starts_with(mn, "ldx")) return load(mn.substr(3), ops);
    if (starts_with(mn, "stx")) return store(mn.substr(3), ops, true);
    if (starts_with(mn, "st")) return store(mn.substr(2), ops, false);
    if (starts_with(mn, "ldabs") || starts_with(mn, "ldind")) return legacy(mn, ops);
    return alu(mn, ops);
  }

  static bool ends_with32(std::string_view mn) {
    return mn.size() > 2 && mn.substr(mn.size() - 2) == "32";
  }

  static std::optional<uint8_t> jump_code(std::string_view mn) {
    static const std::map<std::string, uint8_t, std::less<>> kCodes = {
        {"jeq", kJmpJeq}, {"jgt", kJmpJgt},   {"jge", kJmpJge},   {"jset", kJmpJset},
        {"jne", kJmpJne}, {"jsgt", kJmpJsgt}, {"jsge", kJmpJsge}, {"jlt", kJmpJlt},
        {"jle", kJmpJle}, {"jslt", kJmpJslt}, {"jsle", kJmpJsle}};
    std::string_view base = ends_with32(mn) ? mn.substr(0, mn.size() - 2) : mn;
    auto it = kCodes.find(base);
    if (it == kCodes.end()) return std::nullopt;
    return it->second;
  }

  static std::optional<uint8_t> size_code(std::string_view s) {
    if (s == "b") return kSizeB;
    if (s == "h") return kSizeH;
    if (s == "w") return kSizeW;
    if (s == "dw") return kSizeDW;
    return std::nullopt;
  }

  Status cond_jump(uint8_t code, bool is32, const std::vector<std::string_view>& ops) {
    EBPFAAS_TRY(expect_count(ops, 3));
    Insn insn;
    auto dst = parse_reg(ops[0]);
    if (!dst) return dst.error();
    insn.dst = *dst;
    uint8_t cls = is32 ? kClsJmp32 : kClsJmp;
    if (is_reg(ops[1])) {
      auto src = parse_reg(ops[1]);
      if (!src) return src.error();
      insn.src = *src;
      insn.opcode = cls | code | kSrcX;
    } else {
      auto imm = parse_imm32(ops[1]);
      if (!imm) return imm.error();
      insn.imm = *imm;
      insn.opcode = cls | code | kSrcK;
    }
    EBPFAAS_TRY(target(ops[2], insn, Fixup::kOff));
    return emit(insn);
  }

  Status call(const std::vector<std::string_view>& ops) {
    if (ops.empty()) return errorf("call needs a target");
    // "call local f" / "call helper 5" / "call kfunc 7" arrive as one operand.
    std::string_view first = ops[0];
    size_t sp = first.find_first_of(" \t");
    std::string_view mode = sp == std::string_view::npos ? "" : first.substr(0, sp);
    std::string_view arg = sp == std::string_view::npos ? first : trim(first.substr(sp));
    Insn insn{kClsJmp | kJmpCall};
    if (mode == "local") {
      insn.src = kCallLocal;
      EBPFAAS_TRY(target(arg, insn, Fixup::kImm));
    } else if (mode == "kfunc" || mode == "runtime") {
      insn.src = kCallKfunc;
      auto imm = parse_imm32(arg);
      if (!imm) return imm.error();
      insn.imm = *imm;
      if (ops.size() == 2) {
        auto off = parse_int(ops[1]);
        if (!off || *off < INT16_MIN || *off > INT16_MAX) return errorf("invalid kfunc offset");
        insn.off = static_cast<int16_t>(*off);
      }
    } else if (mode.empty() || mode == "helper") {
      if (is_reg(arg)) {
        auto r = parse_reg(arg);
        if (!r) return r.error();
        insn.opcode |= kSrcX;
        insn.dst = *r;
      } else {
        auto imm = parse_imm32(arg);
        if (!imm) return imm.error();
        insn.imm = *imm;
      }
    } else {
      return errorf("unknown call mode '{}' (local, helper, kfunc)", mode);
    }
    if (mode != "kfunc" && mode != "runtime" && ops.size() != 1)
      return errorf("call takes one target");
    return emit(insn);
  }

  Status lddw(const std::vector<std::string_view>& ops) {
    EBPFAAS_TRY(expect_count(ops, 2));
    auto dst = parse_reg(ops[0]);
    if (!dst) return dst.error();
    Insn lo{kClsLd | kModeImm | kSizeDW}, hi{};
    lo.dst = *dst;
    std::string_view v = ops[1];
    size_t paren = v.find('(');
    if (paren != std::string_view::npos && std::isalpha(static_cast<unsigned char>(v[0]))) {
      std::string_view kind = v.substr(0, paren);
      size_t close = v.find(')', paren);
      if (close == std::string_view::npos) return errorf("missing ')'");
      std::string_view arg = v.substr(paren + 1, close - paren - 1);
      std::string_view tail = trim(v.substr(close + 1));
      static const std::map<std::string, uint8_t, std::less<>> kKinds = {
          {"map_fd", kPseudoMapFd},   {"map_value", kPseudoMapValue},
          {"btf_id", kPseudoBtfId},   {"func", kPseudoFunc},
          {"map_idx", kPseudoMapIdx}, {"map_idx_value", kPseudoMapIdxValue}};
      auto it = kKinds.find(kind);
      if (it == kKinds.end()) return errorf("unknown lddw pseudo form '{}'", kind);
      lo.src = it->second;
      if (lo.src == kPseudoFunc) {
        EBPFAAS_TRY(target(arg, lo, Fixup::kImm));
      } else {
        auto imm = parse_imm32(arg);
        if (!imm) return imm.error();
        lo.imm = *imm;
      }
      if (!tail.empty()) {
        if (lo.src != kPseudoMapValue && lo.src != kPseudoMapIdxValue)
          return errorf("only map_value forms take an offset");
        auto off = parse_imm32(tail);
        if (!off) return off.error();
        hi.imm = *off;
      }
    } else {
      auto n = parse_int(v);
      if (!n) return n.error();
      uint64_t value = static_cast<uint64_t>(*n);
      lo.imm = static_cast<int32_t>(static_cast<uint32_t>(value));
      hi.imm = static_cast<int32_t>(static_cast<uint32_t>(value >> 32));
    }
    out_.push_back(lo);
    out_.push_back(hi);
    return {};
  }

  Status load(std::string_view suffix, const std::vector<std::string_view>& ops) {
    uint8_t mode = kModeMem;
    if (suffix.size() > 1 && suffix[0] == 's' && suffix != "sdw") {
      mode = kModeMemSx;
      suffix.remove_prefix(1);
    }
    auto size = size_code(suffix);
    if (!size) return errorf("unknown load size '{}'", suffix);
    EBPFAAS_TRY(expect_count(ops, 2));
    auto dst = parse_reg(ops[0]);
    if (!dst) return dst.error();
    auto m = parse_mem(ops[1]);
    if (!m) return m.error();
    Insn insn{static_cast<uint8_t>(kClsLdx | mode | *size)};
    insn.dst = *dst;
    insn.src = m->first;
    insn.off = m->second;
    return emit(insn);
  }

  Status store(std::string_view suffix, const std::vector<std::string_view>& ops, bool reg) {
    auto size = size_code(suffix);
    if (!size) return errorf("unknown store size '{}'", suffix);
    EBPFAAS_TRY(expect_count(ops, 2));
    auto m = parse_mem(ops[0]);
    if (!m) return m.error();
    Insn insn{static_cast<uint8_t>((reg ? kClsStx : kClsSt) | kModeMem | *size)};
    insn.dst = m->first;
    insn.off = m->second;
    if (reg) {
      auto src = parse_reg(ops[1]);
      if (!src) return src.error();
      insn.src = *src;
    } else {
      auto imm = parse_imm32(ops[1]);
      if (!imm) return imm.error();
      insn.imm = *imm;
    }
    return emit(insn);
  }

  Status legacy(std::string_view mn, const std::vector<std::string_view>& ops) {
    bool ind = starts_with(mn, "ldind");
    auto size = size_code(mn.substr(5));
    if (!size || *size == kSizeDW) return errorf("unknown legacy load '{}'", mn);
    Insn insn{static_cast<uint8_t>(kClsLd | (ind ? kModeInd : kModeAbs) | *size)};
    EBPFAAS_TRY(expect_count(ops, ind ? 2 : 1));
    if (ind) {
      auto src = parse_reg(ops[0]);
      if (!src) return src.error();
      insn.src = *src;
    }
    auto imm = parse_imm32(ops.back());
    if (!imm) return imm.error();
    insn.imm = *imm;
    return emit(insn);
  }

  Status atomic(std::string_view rest) {
    // lock [fetch] OP[32] [%rD+off], %rS
    bool fetch = false;
    if (starts_with(rest, "fetch ")) {
      fetch = true;
      rest = trim(rest.substr(6));
    }
    size_t sp = rest.find_first_of(" \t");
    if (sp == std::string_view::npos) return errorf("incomplete atomic instruction");
    std::string op(rest.substr(0, sp));
    auto ops = split_operands(rest.substr(sp));
    EBPFAAS_TRY(expect_count(ops, 2));
    bool is32 = ends_with32(op);
    if (is32) op.resize(op.size() - 2);
    int32_t imm;
    if (op == "add")
      imm = kAtomicAdd;
    else if (op == "or")
      imm = kAtomicOr;
    else if (op == "and")
      imm = kAtomicAnd;
    else if (op == "xor")
      imm = kAtomicXor;
    else if (op == "xchg")
      imm = kAtomicXchg;
    else if (op == "cmpxchg")
      imm = kAtomicCmpXchg;
    else
      return errorf("unknown atomic operation '{}'", op);
    if (fetch) {
      if (imm == kAtomicXchg || imm == kAtomicCmpXchg) return errorf("'{}' always fetches", op);
      imm |= kAtomicFetch;
    }
    auto m = parse_mem(ops[0]);
    if (!m) return m.error();
    auto src = parse_reg(ops[1]);
    if (!src) return src.error();
    Insn insn{static_cast<uint8_t>(kClsStx | kModeAtomic | (is32 ? kSizeW : kSizeDW))};
    insn.dst = m->first;
    insn.off = m->second;
    insn.src = *src;
    insn.imm = imm;
    return emit(insn);
  }

  Status alu(std::string mn, const std::vector<std::string_view>& ops) {
    // Byte swaps: le16 be32 bswap64 swap16
    for (auto [prefix, code] :
         {std::pair<std::string_view, uint8_t>{"le", kClsAlu | kAluEnd | kToLe},
          {"be", kClsAlu | kAluEnd | kToBe},
          {"bswap", kClsAlu64 | kAluEnd},
          {"swap", kClsAlu64 | kAluEnd}}) {
      if (!starts_with(mn, prefix)) continue;
      std::string_view width = std::string_view(mn).substr(prefix.size());
      if (width != "16" && width != "32" && width != "64") break;
      EBPFAAS_TRY(expect_count(ops, 1));
      auto dst = parse_reg(ops[0]);
      if (!dst) return dst.error();
      Insn insn{code};
      insn.dst = *dst;
      insn.imm = width == "16" ? 16 : width == "32" ? 32 : 64;
      return emit(insn);
    }
    // Sign-extending moves: movsx832 movsx1632 movsx864 movsx1664 movsx3264
    if (starts_with(mn, "movsx")) {
      static const std::map<std::string, std::pair<uint8_t, int16_t>, std::less<>> kForms = {
          {"movsx832", {kClsAlu, 8}},
          {"movsx1632", {kClsAlu, 16}},
          {"movsx864", {kClsAlu64, 8}},
          {"movsx1664", {kClsAlu64, 16}},
          {"movsx3264", {kClsAlu64, 32}}};
      auto it = kForms.find(mn);
      if (it == kForms.end()) return errorf("unknown mnemonic '{}'", mn);
      EBPFAAS_TRY(expect_count(ops, 2));
      auto dst = parse_reg(ops[0]);
      auto src = parse_reg(ops[1]);
      if (!dst) return dst.error();
      if (!src) return src.error();
      Insn insn{static_cast<uint8_t>(it->second.first | kAluMov | kSrcX)};
      insn.dst = *dst;
      insn.src = *src;
      insn.off = it->second.second;
      return emit(insn);
    }
    bool is32 = ends_with32(mn);
    std::string base = is32 ? mn.substr(0, mn.size() - 2) : mn;
    static const std::map<std::string, std::pair<uint8_t, int16_t>, std::less<>> kOps = {
        {"add", {kAluAdd, 0}}, {"sub", {kAluSub, 0}},  {"mul", {kAluMul, 0}},
        {"div", {kAluDiv, 0}}, {"sdiv", {kAluDiv, 1}}, {"or", {kAluOr, 0}},
        {"and", {kAluAnd, 0}}, {"lsh", {kAluLsh, 0}},  {"rsh", {kAluRsh, 0}},
        {"neg", {kAluNeg, 0}}, {"mod", {kAluMod, 0}},  {"smod", {kAluMod, 1}},
        {"xor", {kAluXor, 0}}, {"mov", {kAluMov, 0}},  {"arsh", {kAluArsh, 0}}};
    auto it = kOps.find(base);
    if (it == kOps.end()) return errorf("unknown mnemonic '{}'", mn);
    Insn insn{static_cast<uint8_t>((is32 ? kClsAlu : kClsAlu64) | it->second.first)};
    insn.off = it->second.second;
    if (base == "neg") {
      EBPFAAS_TRY(expect_count(ops, 1));
      auto dst = parse_reg(ops[0]);
      if (!dst) return dst.error();
      insn.dst = *dst;
      return emit(insn);
    }
    EBPFAAS_TRY(expect_count(ops, 2));
    auto dst = parse_reg(ops[0]);
    if (!dst) return dst.error();
    insn.dst = *dst;
    if (is_reg(ops[1])) {
      auto src = parse_reg(ops[1]);
      if (!src) return src.error();
      insn.src = *src;
      insn.opcode |= kSrcX;
    } else {
      auto imm = parse_imm32(ops[1]);
      if (!imm) return imm.error();
      insn.imm = *imm;
    }
    return emit(insn);
  }

  std::vector<Insn> out_;
  std::map<std::string, size_t> labels_;
  std::vector<Fixup> fixups_;
  std::optional<size_t> first_exit_;
  size_t line_ = 0;  // line of the instruction being assembled (for fixup messages)
};

}  // namespace

Expected<std::vector<Insn>> assemble(std::string_view source) {
  return Assembler().run(source);
}

}  // namespace ebpfaas::ebpf
