// Running accepted programs: checked mode must not fault, fast mode must
// agree with it. The helpers and maps are the fuzz environment (fuzz_env.h).
#include <linux/bpf.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "ebpf/decode.h"
#include "ebpf/disassembler.h"
#include "ebpf/opcode.h"
#include "helpers/run_context.h"
#include "tests/verifier/fuzz/fuzz_env.h"
#include "tests/verifier/fuzz/fuzz_program.h"
#include "verifier/verifier.h"
#include "vm/interpreter.h"
#include "vm/program.h"

namespace ebpfaas::verifier::fuzz {
namespace {

using helpers::RunContext;
using helpers::XdpBuff;

struct Outcome {
  uint64_t r0 = 0;
  std::vector<uint8_t> buffer;
  Env env;
};

}  // namespace

std::string check_program(const std::vector<ebpf::Insn>& insns, FuzzedDataProvider& in,
                          Stats& stats) {
  ++stats.generated;
  auto decoded = ebpf::decode(insns);
  if (!decoded) return "";
  ++stats.decoded;
  VerifyOptions options;
  options.maps = fuzz_maps();
  auto verdict = verify(*decoded, options);
  if (!verdict) return "";
  ++stats.accepted;

  // Map and global data state, and where lddw map forms point.
  Env& initial = live_env();
  std::string helper_bug;
  const Env env = seed_env(in, &helper_bug);
  const vm::LinkOptions link = fuzz_link(verdict->ctx_load_pcs);
  auto program = vm::Program::create(*decoded, link);
  if (!program) return "verified program does not link: " + program.error().message();

  const std::string listing = ebpf::disassemble(insns, {.labels = true, .show_pc = true});
  const int packets = in.ConsumeIntegralInRange<int>(1, 3);
  for (int n = 0; n < packets; ++n) {
    const size_t len = in.ConsumeIntegralInRange<size_t>(0, 160);
    std::vector<uint8_t> content = in.ConsumeBytes<uint8_t>(len);
    content.resize(len, 0x5a);
    const size_t headroom = helpers::kXdpHeadroom, tailroom = 64;

    auto run = [&](bool checked, Outcome& out) -> std::string {
      initial = env;
      helper_bug.clear();
      out.buffer.assign(headroom + len + tailroom, 0);
      std::copy_n(content.begin(), len, out.buffer.begin() + static_cast<ptrdiff_t>(headroom));
      XdpBuff x;
      x.data_hard_start = out.buffer.data();
      x.data = x.data_meta = out.buffer.data() + headroom;
      x.data_end = x.data + len;
      x.frame_end = out.buffer.data() + out.buffer.size();
      x.ingress_ifindex = 2;
      x.rx_queue_index = 1;
      RunContext rc;
      rc.checked = checked;
      rc.xdp = &x;
      rc.static_regions = link.static_regions;
      update_packet_region(&rc);
      out.r0 = vm::interpret(**program, reinterpret_cast<uint64_t>(&x), 0, rc,
                             vm::RunLimits{.max_steps = 4'000'000});
      out.env = initial;
      ++stats.runs;
      if (!helper_bug.empty()) return helper_bug;
      if (rc.stop == RunContext::Stop::kFault)
        return std::string(checked ? "checked" : "fast") + " run faulted: " + rc.fault_message;
      // A return the verifier accepted may still be no action (a value it could
      // not bound); the data plane counts it as XDP_ABORTED, as Linux does.
      return "";
    };
    Outcome checked, fast;
    std::string bug = run(true, checked);
    if (bug.empty()) bug = run(false, fast);
    if (bug.empty() && (checked.r0 != fast.r0 || checked.buffer != fast.buffer ||
                        !same_state(checked.env, fast.env)))
      bug = "fast and checked runs disagree (r0 " + std::to_string(checked.r0) + " vs " +
            std::to_string(fast.r0) + ")";
    if (!bug.empty()) return bug + " on a " + std::to_string(len) + "-byte packet\n" + listing;
  }
  return "";
}

}  // namespace ebpfaas::verifier::fuzz
