// The JIT against the interpreter: the same program on the same input must give
// the same r0, the same memory and packet bytes, the same maps and the same
// faults. Programs: every conformance test, bpf-to-bpf and tail calls, the four
// seed NFs over random traffic. And the code cache: compiling the same program
// again does not compile.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>
#include <map>
#include <random>

#include "dataplane/packet_builder.h"
#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "helpers/conformance.h"
#include "loader/load.h"
#include "support/qsbr.h"
#include "tests/conformance/conformance_file.h"
#include "vm/interpreter.h"
#include "vm/jit/jit.h"
#include "vm/xdp_frame.h"

namespace ebpfaas::vm {
namespace {

using Bytes = std::vector<uint8_t>;
using helpers::RunContext;

std::shared_ptr<const Program> assemble(const char* text, const HelperTable* helpers = nullptr) {
  auto insns = ebpf::assemble(text);
  EXPECT_TRUE(insns) << (insns ? "" : insns.error().message());
  if (!insns) return nullptr;
  auto decoded = ebpf::decode(*insns);
  EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().message());
  if (!decoded) return nullptr;
  LinkOptions link;
  link.helpers = helpers ? helpers : &helpers::conformance_helpers();
  auto prog = Program::create(std::move(*decoded), std::move(link));
  EXPECT_TRUE(prog) << (prog ? "" : prog.error().message());
  return prog ? *prog : nullptr;
}

std::shared_ptr<const JitProgram> compile(std::shared_ptr<const Program> prog,
                                          const JitOptions& options = {}) {
  auto jp = jit_compile(std::move(prog), options);
  EXPECT_TRUE(jp) << (jp ? "" : jp.error().message());
  return jp ? *jp : nullptr;
}

// ---- conformance --------------------------------------------------------------

struct Outcome {
  uint64_t r0 = 0;
  RunContext::Stop stop = RunContext::Stop::kNone;
  std::string fault;
  Bytes memory;
};

Outcome run_raw(const Program& prog, const JitProgram* jit, Bytes memory) {
  RunContext rc;
  const uint64_t base = memory.empty() ? 0 : reinterpret_cast<uint64_t>(memory.data());
  rc.packet = helpers::Region{base, base + memory.size(), true};
  Outcome o;
  o.r0 = jit ? jit->run(base, memory.size(), rc) : interpret(prog, base, memory.size(), rc);
  o.stop = rc.stop;
  o.fault = rc.fault_message;
  o.memory = std::move(memory);
  return o;
}

TEST(JitConformance, EveryTestAgreesWithTheInterpreter) {
  auto files = conformance::list_test_files(EBPFAAS_CONFORMANCE_DIR);
  ASSERT_TRUE(files) << files.error().message();
  ASSERT_EQ(files->size(), 313u);
  int compared = 0;
  for (const std::string& path : *files) {
    SCOPED_TRACE(path);
    auto test = conformance::parse_test_file(path);
    ASSERT_TRUE(test) << test.error().message();
    auto insns = conformance::test_program(*test);
    ASSERT_TRUE(insns) << insns.error().message();
    auto decoded = ebpf::decode(*insns);
    ASSERT_TRUE(decoded) << decoded.error().message();
    LinkOptions link;
    link.helpers = &helpers::conformance_helpers();
    auto prog = Program::create(std::move(*decoded), std::move(link));
    ASSERT_TRUE(prog) << prog.error().message();
    auto jp = compile(*prog, {.opt_level = 2, .use_cache = false});
    ASSERT_NE(jp, nullptr);
    const Outcome want = run_raw(**prog, nullptr, test->memory);
    const Outcome got = run_raw(**prog, jp.get(), test->memory);
    EXPECT_EQ(got.r0, want.r0);
    EXPECT_EQ(got.stop, want.stop);
    EXPECT_EQ(got.fault, want.fault);
    EXPECT_EQ(got.memory, want.memory);
    if (test->result) EXPECT_EQ(got.r0, *test->result);
    ++compared;
  }
  EXPECT_EQ(compared, 313);
}

// Each optimization level gives the same results (O0 is the translation as is).
TEST(JitConformance, OptimizationLevelsAgree) {
  auto files = conformance::list_test_files(EBPFAAS_CONFORMANCE_DIR);
  ASSERT_TRUE(files) << files.error().message();
  for (size_t i = 0; i < files->size(); i += 7) {
    const std::string& path = (*files)[i];
    SCOPED_TRACE(path);
    auto test = conformance::parse_test_file(path);
    ASSERT_TRUE(test);
    auto insns = conformance::test_program(*test);
    ASSERT_TRUE(insns);
    auto decoded = ebpf::decode(*insns);
    ASSERT_TRUE(decoded);
    LinkOptions link;
    link.helpers = &helpers::conformance_helpers();
    auto prog = Program::create(std::move(*decoded), std::move(link));
    ASSERT_TRUE(prog);
    const Outcome want = run_raw(**prog, nullptr, test->memory);
    for (int level : {0, 1, 3}) {
      auto jp = compile(*prog, {.opt_level = level, .use_cache = false});
      ASSERT_NE(jp, nullptr);
      EXPECT_EQ(run_raw(**prog, jp.get(), test->memory).r0, want.r0) << "O" << level;
    }
  }
}

// ---- semantics the conformance suite reaches only partly ----------------------

TEST(JitSemantics, DivisionEdgesShiftsAndFaults) {
  // INT_MIN / -1, x % 0, x / 0 in both widths; shifts by more than the width.
  auto prog = assemble(R"(
    lddw %r1, 0x8000000000000000
    mov %r2, -1
    mov %r0, %r1
    sdiv %r0, %r2
    mov %r3, %r1
    smod %r3, %r2
    add %r0, %r3
    mov32 %r4, 0x80000000
    sdiv32 %r4, -1
    add %r0, %r4
    mov %r5, 77
    mod %r5, 0
    add %r0, %r5
    mov %r5, 77
    div32 %r5, 0
    add %r0, %r5
    mov %r6, 1
    mov %r7, 65
    lsh %r6, %r7
    add %r0, %r6
    mov32 %r8, -5
    arsh32 %r8, 33
    add %r0, %r8
    exit
  )");
  ASSERT_NE(prog, nullptr);
  auto jp = compile(prog, {.use_cache = false});
  ASSERT_NE(jp, nullptr);
  const Outcome want = run_raw(*prog, nullptr, {});
  const Outcome got = run_raw(*prog, jp.get(), {});
  EXPECT_EQ(got.r0, want.r0);
  EXPECT_EQ(want.stop, RunContext::Stop::kNone);
}

TEST(JitSemantics, DeepLocalCallsFaultLikeTheInterpreter) {
  // Endless recursion: the ninth frame faults with the interpreter's message.
  auto prog = assemble(R"(
    call local f
    exit
  f:
    call local f
    exit
  )");
  ASSERT_NE(prog, nullptr);
  auto jp = compile(prog, {.use_cache = false});
  ASSERT_NE(jp, nullptr);
  const Outcome want = run_raw(*prog, nullptr, {});
  const Outcome got = run_raw(*prog, jp.get(), {});
  EXPECT_EQ(want.stop, RunContext::Stop::kFault);
  EXPECT_EQ(got.stop, want.stop);
  EXPECT_EQ(got.fault, want.fault);
}

// ---- the cache ------------------------------------------------------------------

TEST(JitCache, TheSameProgramCompilesOnce) {
  const char* text = R"(
    mov %r0, 41
    add %r0, 1
    exit
  )";
  auto a = assemble(text), b = assemble(text);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const JitStats before = jit_stats();
  auto ja = compile(a);
  ASSERT_NE(ja, nullptr);
  const JitStats mid = jit_stats();
  // A second Program object with the same instructions: the same code.
  auto jb = compile(b);
  ASSERT_NE(jb, nullptr);
  const JitStats after = jit_stats();
  EXPECT_LE(mid.compiled, before.compiled + 1);
  EXPECT_EQ(after.compiled, mid.compiled);
  EXPECT_GT(after.cache_hits, mid.cache_hits);
  EXPECT_TRUE(jb->from_cache());
  EXPECT_EQ(ja->entry(), jb->entry());
  RunContext rc;
  EXPECT_EQ(jb->run(0, 0, rc), 42u);

  // Different instructions compile.
  auto c = assemble("mov %r0, 7\nexit\n");
  ASSERT_NE(c, nullptr);
  auto jc = compile(c);
  ASSERT_NE(jc, nullptr);
  EXPECT_EQ(jit_stats().compiled, after.compiled + 1);
  EXPECT_FALSE(jc->from_cache());
  EXPECT_NE(jc->entry(), jb->entry());
}

TEST(JitCache, ErrorsAreValues) {
  auto none = jit_compile(nullptr);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no program"), std::string::npos);
}

// ---- objects: calls, tail calls, NFs ------------------------------------------

struct Loaded {
  loader::LoadedObject object;
  std::vector<std::shared_ptr<const JitProgram>> jit;  // by program, when compiled
};

Loaded load_object(const std::string& path, bool jit, uint32_t num_cpus = 1) {
  loader::LoadOptions options;
  options.map_options.ifindex_exists = [](uint32_t) { return true; };
  options.map_options.num_cpus = num_cpus;
  auto obj = loader::load_file(path, options);
  EXPECT_TRUE(obj) << path << ": " << (obj ? "" : obj.error().message());
  if (!obj) return {};
  Loaded l{std::move(*obj), {}};
  for (const auto& p : l.object.programs) {
    EXPECT_TRUE(p.verified) << p.name;
    if (jit) l.jit.push_back(compile(p.program));
  }
  return l;
}

std::map<Bytes, Bytes> contents(maps::Map& m) {
  std::map<Bytes, Bytes> out;
  Bytes key(m.key_size()), next(m.key_size()), value(m.user_value_size());
  const void* prev = nullptr;
  while (m.next_key(prev, next.data()) == 0) {
    key = next;
    prev = key.data();
    if (m.user_lookup(key.data(), value.data()) == 0) out[key] = value;
  }
  return out;
}

struct Packet {
  Bytes data;
  uint32_t ifindex = 0;
};

struct SetupEntry {
  std::string map;
  Bytes key, value;
};

// Runs `trace` through program `name` of two copies of the object, one
// interpreted and one JIT-compiled, and compares everything after each packet
// and the maps at the end. Returns the verdict counts. The maps have
// `num_cpus` copies of per-CPU values; the runs are on CPU `cpu`.
std::map<uint32_t, int> differential(const std::string& path, const std::string& name,
                                     const std::vector<Packet>& trace,
                                     const std::vector<SetupEntry>& setup = {},
                                     uint32_t num_cpus = 1, uint32_t cpu = 0) {
  Loaded interp = load_object(path, false, num_cpus);
  Loaded jit = load_object(path, true, num_cpus);
  std::map<uint32_t, int> verdicts;
  if (interp.object.programs.empty() || jit.jit.empty()) return verdicts;
  for (const auto& e : setup)
    for (Loaded* l : {&interp, &jit}) {
      auto m = l->object.maps->find(e.map);
      EXPECT_NE(m, nullptr) << e.map;
      if (m) EXPECT_EQ(m->user_update(e.key.data(), e.value.data(), BPF_ANY), 0) << e.map;
    }
  const loader::LoadedProgram* ip = interp.object.find(name);
  EXPECT_NE(ip, nullptr) << name;
  if (!ip) return verdicts;
  size_t index = 0;
  while (jit.object.programs[index].name != name) ++index;
  const JitProgram& jp = *jit.jit[index];

  QsbrThread engine(QsbrDomain::global());
  XdpFrame fa, fb;
  RunContext ra, rb;
  ra.fixed_clock = rb.fixed_clock = true;
  ra.cpu = rb.cpu = cpu;
  int n = 0;
  for (const Packet& p : trace) {
    ++n;
    ra.reset();
    rb.reset();
    ra.clock_ns = rb.clock_ns = 1'000'000'000ull * 1000 + 1000ull * n;
    EXPECT_TRUE(fa.load(p.data, p.ifindex));
    EXPECT_TRUE(fb.load(p.data, p.ifindex));
    const uint32_t want = run_xdp(*ip->program, fa.buff(), ra);
    const uint32_t got = run_xdp_jit(jp, fb.buff(), rb);
    ++verdicts[want];
    EXPECT_EQ(got, want) << "packet " << n;
    EXPECT_EQ(rb.stop, ra.stop) << "packet " << n;
    EXPECT_EQ(rb.fault_message, ra.fault_message) << "packet " << n;
    EXPECT_EQ(rb.redirect.ifindex, ra.redirect.ifindex) << "packet " << n;
    EXPECT_EQ(rb.tail_calls, ra.tail_calls) << "packet " << n;
    const auto da = fa.meta_and_data(), db = fb.meta_and_data();
    EXPECT_TRUE(std::equal(da.begin(), da.end(), db.begin(), db.end())) << "packet " << n;
    engine.quiescent();
    if (::testing::Test::HasFailure()) break;
  }
  const auto& ma = interp.object.maps->all();
  const auto& mb = jit.object.maps->all();
  EXPECT_EQ(ma.size(), mb.size());
  for (size_t i = 0; i < ma.size() && i < mb.size(); ++i) {
    if (ma[i]->type() == BPF_MAP_TYPE_PROG_ARRAY) continue;
    EXPECT_EQ(contents(*ma[i]), contents(*mb[i])) << "map " << ma[i]->spec().name;
  }
  return verdicts;
}

template <class T>
Bytes bytes_of(const T& v) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

Bytes must(Expected<Bytes> b) {
  EXPECT_TRUE(b) << (b ? "" : b.error().message());
  return b ? std::move(*b) : Bytes(64, 0);
}

// Mixed traffic: IPv4 UDP/TCP/ICMP with few hosts and ports, TTLs near expiry,
// IPv6, malformed headers, runts.
std::vector<Packet> random_trace(uint32_t seed, int n) {
  using namespace dataplane;
  std::mt19937 rng(seed);
  const uint16_t ports[] = {19, 53, 80, 123, 389, 443, 1900, 8080, 11211};
  const uint8_t ttls[] = {0, 1, 2, 64, 255};
  std::vector<Packet> trace;
  for (int i = 0; i < n; ++i) {
    PacketBuilder b;
    b.ethernet({.src = MacAddress::from_value(0x020000000000ull | (rng() % 12)),
                .dst = MacAddress::from_value(0x020000000000ull | (rng() % 14))});
    const uint32_t kind = rng() % 12;
    const Ipv4Address src = Ipv4Address::from_value(0x0a000000u | (rng() % 40) << 8 | rng() % 3);
    const Ipv4Address dst =
        Ipv4Address::from_value(rng() % 3 ? 0x0a010200u | rng() % 8 : static_cast<uint32_t>(rng()));
    const uint8_t ttl = ttls[rng() % 5];
    const uint16_t sport = ports[rng() % 9], dport = ports[rng() % 9];
    if (kind < 5) {
      b.ipv4({.src = src, .dst = dst, .ttl = ttl}).udp({.src_port = sport, .dst_port = dport});
    } else if (kind < 8) {
      b.ipv4({.src = src, .dst = dst, .ttl = ttl}).tcp({.src_port = sport, .dst_port = dport});
    } else if (kind == 8) {
      b.ipv4({.src = src, .dst = dst, .ttl = ttl}).icmp();
    } else if (kind == 9) {
      b.ipv6().udp({.src_port = sport, .dst_port = dport});
    } else if (kind == 10) {
      b.ipv4({.src = src, .dst = dst, .ihl = static_cast<uint8_t>(rng() % 16)}).udp();
    } else {
      b.ipv4({.src = src, .dst = dst}).udp().truncate(14 + rng() % 28);
    }
    if (kind != 11) b.frame_size(64 + rng() % 1400);
    trace.push_back({must(b.build()), 2 + static_cast<uint32_t>(rng() % 4)});
  }
  return trace;
}

std::string nf(const char* name) {
  return std::string(EBPFAAS_NFS_DIR) + "/" + name + ".o";
}

TEST(JitObjects, LocalCallsAndTailCallsAgreeWithTheInterpreter) {
  std::mt19937 rng(11);
  std::vector<Packet> trace;
  for (int i = 0; i < 3000; ++i) {
    Bytes p(24 + rng() % 100);
    for (auto& b : p) b = static_cast<uint8_t>(rng());
    trace.push_back({std::move(p), static_cast<uint32_t>(rng() % 8)});
  }
  trace.push_back({Bytes(20, 0), 1});  // too short: XDP_ABORTED
  auto v = differential(std::string(EBPFAAS_JIT_PROGS_DIR) + "/jit_calls.o", "entry", trace);
  EXPECT_GT(v[XDP_TX], 300);    // tail call to leaf_tx (from entry or from a callee)
  EXPECT_GT(v[XDP_DROP], 300);  // leaf_drop, or even hashes
  EXPECT_GT(v[XDP_PASS], 300);
  EXPECT_EQ(v[XDP_ABORTED], 1);
}

// The lookups the JIT compiles in (hash maps of every kind, keys of 2-16
// bytes, chains, full and evicting maps; a 20-byte key takes the helper) and
// bpf_redirect, against the helpers the interpreter calls.
TEST(JitObjects, InlinedMapLookupsAndRedirectAgreeWithTheInterpreter) {
  std::mt19937 rng(12);
  std::vector<Packet> trace;
  for (int i = 0; i < 4000; ++i) {
    Bytes p(64 + rng() % 40);
    for (auto& b : p) b = static_cast<uint8_t>(rng());
    trace.push_back({std::move(p), 2});
  }
  auto v = differential(std::string(EBPFAAS_JIT_PROGS_DIR) + "/jit_maps.o", "maps_entry", trace);
  EXPECT_GT(v[XDP_REDIRECT], 500);
  EXPECT_GT(v[XDP_ABORTED], 500);  // bpf_redirect with flags
  EXPECT_GT(v[XDP_PASS], 100);     // an LRU hit
  EXPECT_GT(v[XDP_TX] + v[XDP_DROP], 500);
  // Per-CPU copies: CPU 1 of 2, and a CPU the maps have no copy for (per-CPU
  // lookups find nothing, not even the all-zero keys set up from outside;
  // their updates fail: only the shared maps count).
  const std::string path = std::string(EBPFAAS_JIT_PROGS_DIR) + "/jit_maps.o";
  v = differential(path, "maps_entry", trace, {}, 2, 1);
  EXPECT_GT(v[XDP_PASS], 100);
  const std::vector<SetupEntry> zero_keys = {{"p4", Bytes(4, 0), Bytes(16, 0)},
                                             {"lp8", Bytes(8, 0), Bytes(16, 0)}};
  v = differential(path, "maps_entry", trace, zero_keys, 2, 2);
  EXPECT_GT(v[XDP_PASS], 100);
}

TEST(JitObjects, WireAgreesWithTheInterpreter) {
  auto v = differential(nf("wire"), "xdp_wire", random_trace(1, 3000));
  EXPECT_EQ(v.size(), 1u);
}

TEST(JitObjects, LearningSwitchAgreesWithTheInterpreter) {
  std::vector<SetupEntry> setup;
  for (uint32_t p : {2u, 3u, 4u, 5u}) setup.push_back({"flood_ports", bytes_of(p), bytes_of(p)});
  auto v = differential(nf("l2_learning_switch"), "xdp_l2_learning_switch", random_trace(2, 5000),
                        setup);
  EXPECT_GT(v[XDP_REDIRECT], 1000);
}

TEST(JitObjects, RouterAgreesWithTheInterpreter) {
  struct Key {
    uint32_t prefixlen, addr;
  };
  struct Route {
    uint8_t dst_mac[6], src_mac[6];
    uint32_t port;
  };
  auto key = [](uint32_t len, uint32_t host_order) {
    return bytes_of(Key{len, __builtin_bswap32(host_order)});
  };
  auto route = [](uint8_t hop, uint32_t port) {
    Route r{{0x0a, 0, 0, 0, 0, hop}, {0x0e, 0, 0, 0, 0, static_cast<uint8_t>(port)}, port};
    return bytes_of(r);
  };
  std::vector<SetupEntry> setup = {
      {"routes", key(8, 0x0a000000), route(1, 2)},
      {"routes", key(16, 0x0a010000), route(2, 3)},
      {"routes", key(24, 0x0a010200), route(3, 4)},
      {"routes", key(32, 0x0a010203), route(4, 5)},
  };
  auto v = differential(nf("ipv4_router"), "xdp_ipv4_router", random_trace(3, 5000), setup);
  EXPECT_GT(v[XDP_REDIRECT], 500);
  EXPECT_GT(v[XDP_DROP] + v[XDP_PASS], 500);
}

TEST(JitObjects, DdosMitigationAgreesWithTheInterpreter) {
  Bytes cfg = bytes_of(uint64_t{1000});
  const Bytes burst = bytes_of(uint64_t{5});
  cfg.insert(cfg.end(), burst.begin(), burst.end());
  std::vector<SetupEntry> setup = {{"ddos_config", bytes_of(uint32_t{0}), cfg}};
  for (uint32_t port : {19u, 53u, 11211u})
    setup.push_back({"blocked_ports", bytes_of(port), bytes_of(uint32_t{1})});
  auto v = differential(nf("ddos_mitigation"), "xdp_ddos_mitigation", random_trace(4, 8000), setup);
  EXPECT_GT(v[XDP_DROP], 500);
  EXPECT_GT(v[XDP_PASS], 500);
}

}  // namespace
}  // namespace ebpfaas::vm
