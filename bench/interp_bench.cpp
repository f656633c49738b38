// Interpreter speed in ns per executed eBPF instruction, on the programs the
// foundation issue names, with an anchor measured in the same run: a native
// chain of dependent additions (about one cycle each), so that figures from a
// noisy shared machine can be read as cycles per instruction too.
//
//   build/bin/interp_bench [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ebpf/assembler.h"
#include "vm/interpreter.h"

using namespace ebpfaas;

namespace {

// r1 = packet, r2 = length: sum of all bytes (the loop clang emits for it).
constexpr const char* kByteSum = R"(
    mov %r0, 0
    mov %r3, %r1
    add %r3, %r2
    jge %r1, %r3, done
  loop:
    ldxb %r4, [%r1+0]
    add %r0, %r4
    add %r1, 1
    jlt %r1, %r3, loop
  done:
    exit
)";

// r1 = packet, r2 = length: Ethernet/IPv4/UDP parser with bounds checks, as
// an XDP program checks against data_end; returns a hash of the 5-tuple or an
// action for what it does not handle.
constexpr const char* kParser = R"(
    mov %r6, %r1
    mov %r7, %r1
    add %r7, %r2            # r7 = data_end
    mov %r0, 1              # XDP_DROP: runt
    mov %r3, %r6
    add %r3, 14
    jgt %r3, %r7, out
    ldxh %r4, [%r6+12]
    be16 %r4
    mov %r0, 2              # XDP_PASS: not IPv4
    jne %r4, 0x0800, out
    mov %r3, %r6
    add %r3, 34
    jgt %r3, %r7, drop
    ldxb %r4, [%r6+14]
    mov %r5, %r4
    rsh %r5, 4
    jne %r5, 4, drop
    and %r4, 0x0f
    jlt %r4, 5, drop
    lsh %r4, 2
    mov %r8, %r6
    add %r8, 14
    add %r8, %r4            # r8 = L4 header
    ldxb %r5, [%r6+23]
    jne %r5, 17, out        # not UDP: pass
    mov %r3, %r8
    add %r3, 8
    jgt %r3, %r7, drop
    ldxw %r0, [%r6+26]      # saddr
    ldxw %r4, [%r6+30]      # daddr
    xor %r0, %r4
    ldxh %r4, [%r8+0]       # sport
    lsh %r4, 16
    xor %r0, %r4
    ldxh %r4, [%r8+2]       # dport
    xor %r0, %r4
    mul %r0, 0x9e3779b1
    rsh %r0, 32
    exit
  drop:
    mov %r0, 1
  out:
    exit
)";

std::shared_ptr<const vm::Program> build(const char* text) {
  auto insns = ebpf::assemble(text);
  if (!insns) {
    std::fprintf(stderr, "%s\n", insns.error().message().c_str());
    std::exit(1);
  }
  auto decoded = ebpf::decode(*insns);
  if (!decoded) {
    std::fprintf(stderr, "%s\n", decoded.error().message().c_str());
    std::exit(1);
  }
  auto prog = vm::Program::create(std::move(*decoded), {});
  if (!prog) {
    std::fprintf(stderr, "%s\n", prog.error().message().c_str());
    std::exit(1);
  }
  return *prog;
}

double now_ns() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ns per add of a native dependent chain (the compiler cannot fold it).
double native_add_ns() {
  const uint64_t n = 200'000'000;
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    uint64_t x = static_cast<uint64_t>(rep) + 1;
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) asm volatile("add $1, %0" : "+r"(x));
    double t = now_ns() - t0;
    best = std::min(best, t / static_cast<double>(n));
    if (x == 0) std::puts("");
  }
  return best;
}

struct Figure {
  double ns_per_run;
  uint64_t insns;
};

Figure measure(const vm::Program& prog, std::vector<uint8_t>& packet, int runs) {
  const uint64_t base = reinterpret_cast<uint64_t>(packet.data());
  helpers::RunContext rc;
  rc.checked = true;
  rc.packet = helpers::Region{base, base + packet.size(), true};
  uint64_t expect = vm::interpret(prog, base, packet.size(), rc);
  if (rc.stop == helpers::RunContext::Stop::kFault) {
    std::fprintf(stderr, "fault: %s\n", rc.fault_message.c_str());
    std::exit(1);
  }
  const uint64_t steps = rc.steps;
  rc.checked = false;
  double best = 1e30;
  for (int rep = 0; rep < 7; ++rep) {
    uint64_t sink = 0;
    double t0 = now_ns();
    for (int i = 0; i < runs; ++i) sink += vm::interpret(prog, base, packet.size(), rc);
    double t = now_ns() - t0;
    if (sink != expect * static_cast<uint64_t>(runs)) {
      std::fprintf(stderr, "fast and checked modes disagree\n");
      std::exit(1);
    }
    best = std::min(best, t / runs);
  }
  return {best, steps};
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20000;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);

  const double add_ns = native_add_ns();
  std::printf("anchor: native dependent add chain: %.3f ns per add (~1 cycle, ~%.2f GHz)\n", add_ns,
              1.0 / add_ns);

  std::vector<uint8_t> packet(1500);
  for (size_t i = 0; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(i * 7 + 3);
  auto sum = build(kByteSum);
  Figure f = measure(*sum, packet, runs);
  std::printf(
      "byte-sum loop, 1500-byte packet: %llu instructions, %.0f ns per run, %.3f ns per "
      "instruction (%.2f anchor cycles)\n",
      static_cast<unsigned long long>(f.insns), f.ns_per_run, f.ns_per_run / f.insns,
      f.ns_per_run / f.insns / add_ns);

  // A 64-byte UDP packet.
  std::vector<uint8_t> udp(64, 0);
  const uint8_t hdr[] = {0x02, 0,    0, 0, 0,  1, 0x02, 0,    0,    0,    0,  2, 0x08,
                         0x00, 0x45, 0, 0, 50, 0, 0,    0x40, 0,    64,   17, 0, 0,
                         10,   0,    0, 1, 10, 0, 0,    2,    0x30, 0x39, 0,  53};
  std::memcpy(udp.data(), hdr, sizeof hdr);
  auto parser = build(kParser);
  f = measure(*parser, udp, runs * 50);
  std::printf(
      "Eth/IPv4/UDP parser, 64-byte packet: %llu instructions, %.1f ns per run, %.3f ns per "
      "instruction (%.2f anchor cycles)\n",
      static_cast<unsigned long long>(f.insns), f.ns_per_run, f.ns_per_run / f.insns,
      f.ns_per_run / f.insns / add_ns);
  return 0;
}
