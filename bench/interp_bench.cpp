// Interpreter speed in ns per executed eBPF instruction, on the programs the
// foundation issue names, with an anchor measured in the same run: a native
// chain of dependent additions (about one cycle each), so that figures from a
// noisy shared machine can be read as cycles per instruction too.
//
//   build/bin/interp_bench [--rounds N]
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

std::shared_ptr<const vm::Program> build(const char* text, bool fuse) {
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
  vm::LinkOptions link;
  link.fuse = fuse;
  auto prog = vm::Program::create(std::move(*decoded), std::move(link));
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
double native_add_ns(uint64_t n) {
  uint64_t x = 1;
  double t0 = now_ns();
  for (uint64_t i = 0; i < n; ++i) asm volatile("add $1, %0" : "+r"(x));
  double t = now_ns() - t0;
  if (x == 0) std::puts("");
  return t / static_cast<double>(n);
}

uint64_t count_steps(const vm::Program& prog, std::vector<uint8_t>& packet, uint64_t* r0) {
  const uint64_t base = reinterpret_cast<uint64_t>(packet.data());
  helpers::RunContext rc;
  rc.checked = true;
  rc.packet = helpers::Region{base, base + packet.size(), true};
  *r0 = vm::interpret(prog, base, packet.size(), rc);
  if (rc.stop == helpers::RunContext::Stop::kFault) {
    std::fprintf(stderr, "fault: %s\n", rc.fault_message.c_str());
    std::exit(1);
  }
  return rc.steps;
}

double time_runs(const vm::Program& prog, std::vector<uint8_t>& packet, int runs, uint64_t expect) {
  const uint64_t base = reinterpret_cast<uint64_t>(packet.data());
  helpers::RunContext rc;
  uint64_t sink = 0;
  double t0 = now_ns();
  for (int i = 0; i < runs; ++i) sink += vm::interpret(prog, base, packet.size(), rc);
  double t = now_ns() - t0;
  if (sink != expect * static_cast<uint64_t>(runs)) {
    std::fprintf(stderr, "fast and checked modes disagree\n");
    std::exit(1);
  }
  return t / runs;
}

// The machine is shared and its speed drifts: the anchor and both variants are
// measured in short interleaved rounds, and the best round of each is kept
// (the one least disturbed), together with the median ratio to the anchor.
void report(const char* name, const char* text, std::vector<uint8_t>& packet, int runs,
            int rounds) {
  auto fused = build(text, true), plain = build(text, false);
  uint64_t r0 = 0;
  const uint64_t steps = count_steps(*fused, packet, &r0);
  std::vector<double> t_fused, t_plain, t_anchor, ratio;
  for (int r = 0; r < rounds; ++r) {
    double a = native_add_ns(2'000'000);
    double f = time_runs(*fused, packet, runs, r0) / static_cast<double>(steps);
    double p = time_runs(*plain, packet, runs, r0) / static_cast<double>(steps);
    t_anchor.push_back(a);
    t_fused.push_back(f);
    t_plain.push_back(p);
    ratio.push_back(f / a);
  }
  auto best = [](std::vector<double> v) { return *std::min_element(v.begin(), v.end()); };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("%s: %llu instructions per run\n", name, static_cast<unsigned long long>(steps));
  std::printf("  interpreter:                 %.3f ns/insn best, %.3f median\n", best(t_fused),
              median(t_fused));
  std::printf("  without superinstructions:   %.3f ns/insn best, %.3f median\n", best(t_plain),
              median(t_plain));
  std::printf("  anchor (native add):         %.3f ns best, %.3f median\n", best(t_anchor),
              median(t_anchor));
  std::printf("  interpreter / anchor:        %.2f cycles per instruction (median of rounds)\n",
              median(ratio));
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 25;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);

  std::vector<uint8_t> packet(1500);
  for (size_t i = 0; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(i * 7 + 3);
  report("byte-sum loop, 1500-byte packet", kByteSum, packet, 200, rounds);

  // A 64-byte UDP packet.
  std::vector<uint8_t> udp(64, 0);
  const uint8_t hdr[] = {0x02, 0,    0, 0, 0,  1, 0x02, 0,    0,    0,    0,  2, 0x08,
                         0x00, 0x45, 0, 0, 50, 0, 0,    0x40, 0,    64,   17, 0, 0,
                         10,   0,    0, 1, 10, 0, 0,    2,    0x30, 0x39, 0,  53};
  std::memcpy(udp.data(), hdr, sizeof hdr);
  report("Eth/IPv4/UDP parser, 64-byte packet", kParser, udp, 30000, rounds);
  return 0;
}
