// The JIT against the fast interpreter on verified random programs
// (fuzz_jit.h). A checked-mode run goes first on every packet: a verified
// program that faults there is a verifier bug, and native code must not run
// it (its out-of-bounds accesses would be real ones).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "ebpf/decode.h"
#include "ebpf/disassembler.h"
#include "helpers/run_context.h"
#include "tests/verifier/fuzz/fuzz_env.h"
#include "tests/verifier/fuzz/fuzz_jit.h"
#include "tests/verifier/fuzz/fuzz_program.h"
#include "verifier/verifier.h"
#include "vm/interpreter.h"
#include "vm/jit/jit.h"
#include "vm/program.h"

namespace ebpfaas::verifier::fuzz {
namespace {

using helpers::RunContext;
using helpers::XdpBuff;
using Stop = RunContext::Stop;

constexpr size_t kHeadroom = helpers::kXdpHeadroom, kTailroom = 64;

enum class Tier { kChecked, kFast, kJit };

const char* tier_name(Tier t) {
  return t == Tier::kChecked ? "checked" : t == Tier::kFast ? "interpreter" : "JIT";
}

const char* stop_name(Stop s) {
  switch (s) {
    case Stop::kNone:
      return "none";
    case Stop::kUnwind:
      return "unwind";
    case Stop::kTailCall:
      return "tail-call";
    case Stop::kFault:
      return "fault";
  }
  return "?";
}

struct Outcome {
  uint64_t r0 = 0;
  Stop stop = Stop::kNone;
  std::string fault;
  std::string helper_bug;
  uint32_t tail_calls = 0;
  std::vector<uint8_t> frame;
  // Where the XdpBuff's pointers ended, as offsets into the frame.
  ptrdiff_t meta = 0, data = 0, end = 0;
  uint32_t egress_ifindex = 0;
  Env env;
};

// What differs between the interpreter's and the JIT's outcome ("" when nothing).
std::string compare(const Outcome& want, const Outcome& got) {
  std::string d;
  if (want.r0 != got.r0) d += fmt::format(" r0 {:#x} vs {:#x};", want.r0, got.r0);
  if (want.stop != got.stop)
    d += fmt::format(" stop {} vs {};", stop_name(want.stop), stop_name(got.stop));
  if (want.fault != got.fault) d += fmt::format(" fault \"{}\" vs \"{}\";", want.fault, got.fault);
  if (want.helper_bug != got.helper_bug)
    d += fmt::format(" helper check \"{}\" vs \"{}\";", want.helper_bug, got.helper_bug);
  if (want.tail_calls != got.tail_calls)
    d += fmt::format(" tail calls {} vs {};", want.tail_calls, got.tail_calls);
  if (want.meta != got.meta || want.data != got.data || want.end != got.end)
    d += fmt::format(" data_meta/data/data_end at {}/{}/{} vs {}/{}/{};", want.meta, want.data,
                     want.end, got.meta, got.data, got.end);
  if (want.egress_ifindex != got.egress_ifindex)
    d += fmt::format(" egress_ifindex {} vs {};", want.egress_ifindex, got.egress_ifindex);
  if (want.frame != got.frame) {
    const auto at = std::mismatch(want.frame.begin(), want.frame.end(), got.frame.begin());
    const ptrdiff_t off = at.first - want.frame.begin();
    d += fmt::format(" frame byte {} (packet offset {}) {:#04x} vs {:#04x};", off,
                     off - static_cast<ptrdiff_t>(kHeadroom), *at.first, *at.second);
  }
  if (!same_state(want.env, got.env)) {
    const auto* a = reinterpret_cast<const uint8_t*>(&want.env);
    const auto* b = reinterpret_cast<const uint8_t*>(&got.env);
    size_t off = 0;
    while (off < offsetof(Env, bug) && a[off] == b[off]) ++off;
    const char* where = off < offsetof(Env, hash)         ? "array map"
                        : off < offsetof(Env, global)     ? "hash map"
                        : off < offsetof(Env, rand_state) ? "global data"
                                                          : "prandom state";
    d += fmt::format(" {} (Env byte {}) {:#04x} vs {:#04x};", where, off, a[off], b[off]);
  }
  return d;
}

}  // namespace

std::string check_program_jit(const std::vector<ebpf::Insn>& insns, FuzzedDataProvider& in,
                              JitDiffStats& stats) {
  ++stats.generated;
  auto decoded = ebpf::decode(insns);
  if (!decoded) return "";
  VerifyOptions options;
  options.maps = fuzz_maps();
  auto verdict = verify(*decoded, options);
  if (!verdict) return "";
  ++stats.accepted;

  Env& live = live_env();
  std::string helper_bug;
  Env env = seed_env(in, &helper_bug);
  const vm::LinkOptions link = fuzz_link(verdict->ctx_load_pcs);
  auto program = vm::Program::create(*decoded, link);
  if (!program) return "verified program does not link: " + program.error().message();

  // Mostly the data plane's level (2, also when the input has run out);
  // sometimes the translation as is, or O1/O3.
  static constexpr int kLevels[] = {2, 2, 2, 2, 2, 0, 1, 3};
  const int opt_level = kLevels[in.ConsumeIntegralInRange<int>(0, 7)];
  const std::string listing = ebpf::disassemble(insns, {.labels = true, .show_pc = true});

  // No code cache: 30 minutes of distinct programs would only fill it. The
  // code is freed with the JitProgram.
  const auto start = std::chrono::steady_clock::now();
  auto jit = vm::jit_compile(*program, {.opt_level = opt_level, .use_cache = false});
  stats.compile_ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!jit) {
    // The JIT's one documented gap: legacy packet loads.
    if (jit.error().message().find("legacy packet access") != std::string::npos) {
      ++stats.not_compilable;
      return "";
    }
    ++stats.differences;
    return "verified program does not compile: " + jit.error().message() + "\n" + listing;
  }
  ++stats.jit_compiled;
  ++stats.by_opt_level[opt_level];

  const int packets = in.ConsumeIntegralInRange<int>(1, 3);
  for (int n = 0; n < packets; ++n) {
    const size_t len = in.ConsumeIntegralInRange<size_t>(0, 160);
    std::vector<uint8_t> content = in.ConsumeBytes<uint8_t>(len);
    content.resize(len, 0x5a);
    // One frame for all three runs: packet pointers a program keeps (in
    // registers, on its stack) are the same numbers in both tiers.
    std::vector<uint8_t> frame(kHeadroom + len + kTailroom);

    auto run = [&](Tier tier, Outcome& out) {
      live = env;
      helper_bug.clear();
      std::fill(frame.begin(), frame.end(), 0);
      std::copy(content.begin(), content.end(), frame.begin() + static_cast<ptrdiff_t>(kHeadroom));
      XdpBuff x;
      x.data_hard_start = frame.data();
      x.data = x.data_meta = frame.data() + kHeadroom;
      x.data_end = x.data + len;
      x.frame_end = frame.data() + frame.size();
      x.ingress_ifindex = 2;
      x.rx_queue_index = 1;
      RunContext rc;
      rc.checked = tier == Tier::kChecked;
      rc.xdp = &x;
      rc.static_regions = link.static_regions;
      update_packet_region(&rc);
      const uint64_t ctx = reinterpret_cast<uint64_t>(&x);
      if (tier == Tier::kJit) {
        out.r0 = (*jit)->run(ctx, 0, rc);
      } else {
        out.r0 = vm::interpret(**program, ctx, 0, rc, vm::RunLimits{.max_steps = 4'000'000});
      }
      out.stop = rc.stop;
      out.fault = rc.fault_message;
      out.helper_bug = helper_bug;
      out.tail_calls = rc.tail_calls;
      out.frame = frame;
      out.meta = x.data_meta - frame.data();
      out.data = x.data - frame.data();
      out.end = x.data_end - frame.data();
      out.egress_ifindex = x.egress_ifindex;
      out.env = live;
    };
    auto where = [&] {
      return fmt::format(" on packet {} of {} ({} bytes), JIT at O{}\n", n + 1, packets, len,
                         opt_level) +
             listing;
    };

    Outcome checked, fast, native;
    run(Tier::kChecked, checked);
    if (!checked.helper_bug.empty() || checked.stop == Stop::kFault)
      return "verifier bug (checked run of a verified program failed: " +
             (checked.helper_bug.empty() ? checked.fault : checked.helper_bug) + ")" + where();
    run(Tier::kFast, fast);
    run(Tier::kJit, native);
    ++stats.compared;
    if (const std::string d = compare(fast, native); !d.empty()) {
      ++stats.differences;
      return fmt::format("{} and {} differ:{}", tier_name(Tier::kFast), tier_name(Tier::kJit), d) +
             where();
    }
    // The next packet sees the maps this one left.
    env = fast.env;
    env.bug = &helper_bug;
  }
  return "";
}

std::string format_stats(const JitDiffStats& s) {
  const vm::JitStats js = vm::jit_stats();
  return fmt::format(
      "jit-diff-fuzz: generated {} accepted {} jit-compiled {} (O0 {} O1 {} O2 {} O3 {}, "
      "{:.1f} ms avg) not-compilable {} compared-runs {} differences {} code-cache-entries {}",
      s.generated, s.accepted, s.jit_compiled, s.by_opt_level[0], s.by_opt_level[1],
      s.by_opt_level[2], s.by_opt_level[3],
      s.jit_compiled ? s.compile_ms / static_cast<double>(s.jit_compiled) : 0.0, s.not_compilable,
      s.compared, s.differences, js.cached);
}

}  // namespace ebpfaas::verifier::fuzz
