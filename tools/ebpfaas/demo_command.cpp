// `ebpfaas demo`, the main job of `make run` at this stage: assemble a small
// NF-shaped program (an Ethernet/IPv4/UDP classifier that answers DNS queries
// by swapping MAC addresses), run it over a packet, print r0 and the time.
#include <chrono>
#include <cstdio>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "tools/ebpfaas/commands.h"
#include "vm/interpreter.h"

namespace ebpfaas::cli {
namespace {

// r1 = packet, r2 = length. Returns an XDP action: 1 DROP, 2 PASS, 3 TX.
constexpr const char* kProgram = R"(
    mov %r0, 1                  # XDP_DROP for runts
    jlt %r2, 42, done
    mov %r0, 2                  # XDP_PASS unless it is UDP to port 53
    ldxh %r3, [%r1+12]
    be16 %r3
    jne %r3, 0x0800, done       # not IPv4
    ldxb %r3, [%r1+14]
    and %r3, 0x0f
    jne %r3, 5, done            # IP options: leave to the stack
    ldxb %r3, [%r1+23]
    jne %r3, 17, done           # not UDP
    ldxh %r3, [%r1+36]
    be16 %r3
    jne %r3, 53, done
    # swap destination and source MAC (6 bytes each) and send it back
    ldxw %r4, [%r1+0]
    ldxh %r5, [%r1+4]
    ldxw %r6, [%r1+6]
    ldxh %r7, [%r1+10]
    stxw [%r1+0], %r6
    stxh [%r1+4], %r7
    stxw [%r1+6], %r4
    stxh [%r1+10], %r5
    mov %r0, 3                  # XDP_TX
done:
    exit
)";

void run_demo(int iterations) {
  auto insns = ebpf::assemble(kProgram);
  if (!insns) throw CommandError("demo program: " + insns.error().message());
  auto decoded = ebpf::decode(*insns);
  if (!decoded) throw CommandError("demo program: " + decoded.error().message());
  auto prog = vm::Program::create(std::move(*decoded), {});
  if (!prog) throw CommandError("demo program: " + prog.error().message());

  // A 64-byte DNS query: Ethernet, IPv4 (20 bytes), UDP to port 53.
  uint8_t packet[64] = {0x02, 0,    0, 0,  0,  0x01, 0x02, 0, 0,  0,  0, 0x02,
                        0x08, 0x00,                                          // Ethernet
                        0x45, 0,    0, 50, 0,  0,    0x40, 0, 64, 17, 0, 0,  // IPv4
                        10,   0,    0, 1,  10, 0,    0,    2,                //
                        0x30, 0x39, 0, 53, 0,  30,   0,    0};               // UDP
  helpers::RunContext rc;
  const uint64_t base = reinterpret_cast<uint64_t>(packet);
  rc.checked = true;
  rc.packet = helpers::Region{base, base + sizeof packet, true};
  uint64_t r0 = vm::interpret(**prog, base, sizeof packet, rc);
  if (rc.stop == helpers::RunContext::Stop::kFault) throw CommandError(rc.fault_message);
  const uint64_t steps = rc.steps;
  std::printf("program: %zu instructions, UDP/53 classifier with MAC swap\n", insns->size());
  std::printf("checked run: r0 = %llu (%s), %llu instructions executed\n",
              static_cast<unsigned long long>(r0),
              r0 == 3   ? "XDP_TX"
              : r0 == 2 ? "XDP_PASS"
                        : "XDP_DROP",
              static_cast<unsigned long long>(steps));

  rc.checked = false;
  uint64_t sink = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) sink += vm::interpret(**prog, base, sizeof packet, rc);
  auto ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "fast interpreter: %d runs, %.1f ns per packet, %.2f ns per instruction (r0 sum %llu)\n",
      iterations, ns / iterations, ns / iterations / static_cast<double>(steps),
      static_cast<unsigned long long>(sink));
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* demo = app.add_subcommand("demo", "Run the built-in sample network function");
  static int iterations = 1'000'000;
  demo->add_option("-n,--iterations", iterations, "timed runs");
  demo->callback([] { run_demo(iterations); });
}

}  // namespace ebpfaas::cli
