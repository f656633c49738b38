// Safe programs: parsers, bounded loops, map patterns, helper calls,
// subprograms, spills and fills. Each must be accepted.
#include <linux/bpf.h>

#include "tests/verifier/corpus.h"

namespace ebpfaas::verifier::testing {
namespace {

constexpr const char* kPkt = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\n";
constexpr const char* kOut = "out:\nmov %r0, 2\nexit\n";

std::string cat(std::initializer_list<const char*> parts) {
  std::string s;
  for (const char* p : parts) s += p;
  return s;
}

CorpusProgram A(std::string name, std::string source, std::vector<ebpf::MapSpec> maps = {}) {
  CorpusProgram p;
  p.name = std::move(name);
  p.source = std::move(source);
  p.maps = std::move(maps);
  p.safe = true;
  return p;
}

std::vector<CorpusProgram> build() {
  std::vector<CorpusProgram> v;
  const auto H48 = hash_map(4, 8);
  const auto A8 = array_map(8, 8);
  const auto A16 = array_map(16, 8);

  v.push_back(A("return_pass", "mov %r0, 2\nexit\n"));
  v.push_back(A("return_from_queue_index", "ldxw %r0, [%r1+16]\nand %r0, 3\nexit\n"));
  // What clang emits for `u32 act = *p; if (act > 4) return XDP_ABORTED; return act;` on a
  // 64-bit load: only the low half is checked, and it is the action.
  // Returns that may be an action: accepted (Linux does not check them at all).
  v.push_back(A("return_random", "call 7\nexit\n"));
  v.push_back(A("return_ingress_ifindex", "ldxw %r0, [%r1+12]\nexit\n"));
  v.push_back(A("return_packet_byte", cat({kPkt,
                                           "mov %r4, %r2\nadd %r4, 14\nmov %r0, 2\n"
                                           "jgt %r4, %r3, out\nldxb %r0, [%r2+0]\nout:\nexit\n"})));
  v.push_back(A("return_low_half_checked",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 8\nmov %r0, 0\njgt %r4, %r3, out\n"
                     "ldxdw %r1, [%r2+0]\nmov %r5, %r1\nlsh %r5, 32\nrsh %r5, 32\n"
                     "jgt %r5, 4, out\nmov %r0, %r1\nout:\nexit\n"})));
  v.push_back(A("return_via_jump_table",
                "ldxw %r2, [%r1+12]\nmov %r0, 0\njeq %r2, 1, a\njeq %r2, 2, b\njeq %r2, 3, c\n"
                "exit\na:\nmov %r0, 1\nexit\nb:\nmov %r0, 3\nexit\nc:\nmov %r0, 4\nexit\n"));
  v.push_back(
      A("ethernet_type", cat({kPkt,
                              "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxh %r5, [%r2+12]\n"
                              "jne %r5, 0x0008, out\nmov %r0, 1\nexit\n",
                              kOut})));
  v.push_back(A("ethernet_type_check_reversed",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njge %r3, %r4, ok\nmov %r0, 1\nexit\nok:\n"
                     "ldxh %r5, [%r2+12]\nmov %r0, 2\nexit\n"})));
  v.push_back(
      A("ethernet_check_right_open",
        cat({kPkt, "mov %r4, %r2\nadd %r4, 13\njge %r4, %r3, out\nldxh %r5, [%r2+12]\n", kOut})));
  v.push_back(A("ethernet_check_jlt", cat({kPkt,
                                           "mov %r4, %r2\nadd %r4, 14\njlt %r4, %r3, ok\nja out\n"
                                           "ok:\nldxw %r5, [%r2+8]\n",
                                           kOut})));
  v.push_back(A("ipv4_udp_dns_variable_ihl",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 34\njgt %r4, %r3, out\nldxh %r5, [%r2+12]\n"
                     "jne %r5, 8, out\nldxb %r5, [%r2+14]\nand %r5, 0x0f\nlsh %r5, 2\n"
                     "jlt %r5, 20, out\nmov %r6, %r2\nadd %r6, 14\nadd %r6, %r5\n"
                     "mov %r7, %r6\nadd %r7, 8\njgt %r7, %r3, out\nldxh %r8, [%r6+2]\n"
                     "be16 %r8\njne %r8, 53, out\nmov %r0, 1\nexit\n",
                     kOut})));
  v.push_back(A("vlan_then_ipv4",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxh %r5, [%r2+12]\n"
                     "mov %r6, 14\njne %r5, 0x0081, novlan\nmov %r4, %r2\nadd %r4, 18\n"
                     "jgt %r4, %r3, out\nldxh %r5, [%r2+16]\nmov %r6, 18\nnovlan:\n"
                     "jne %r5, 0x0008, out\nmov %r7, %r2\nadd %r7, %r6\nmov %r8, %r7\n"
                     "add %r8, 20\njgt %r8, %r3, out\nldxb %r9, [%r7+9]\njne %r9, 17, out\n"
                     "mov %r0, 3\nexit\n",
                     kOut})));
  v.push_back(A("ipv6_next_header",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 54\njgt %r4, %r3, out\nldxh %r5, [%r2+12]\n"
                     "jne %r5, 0xdd86, out\nldxb %r5, [%r2+20]\njne %r5, 6, out\n"
                     "ldxb %r6, [%r2+21]\njlt %r6, 2, out\nmov %r0, 1\nexit\n",
                     kOut})));
  v.push_back(A("hash_counter_per_source",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 34\njgt %r4, %r3, out\nldxw %r5, [%r2+26]\n"
                     "stxw [%r10-4], %r5\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\n"
                     "call 1\njeq %r0, 0, miss\nmov %r1, 1\nlock add [%r0+0], %r1\n"
                     "mov %r0, 2\nexit\nmiss:\nstdw [%r10-16], 1\nmov %r2, %r10\n"
                     "add %r2, -4\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\n"
                     "lddw %r1, map_idx(0)\ncall 2\nmov %r0, 2\nexit\n",
                     kOut}),
                {H48}));
  v.push_back(A("array_variable_index",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r5, [%r2+0]\n"
                     "and %r5, 7\nstxw [%r10-4], %r5\nmov %r2, %r10\nadd %r2, -4\n"
                     "lddw %r1, map_idx(0)\ncall 1\njeq %r0, 0, out\nldxdw %r1, [%r0+0]\n",
                     kOut}),
                {A8}));
  v.push_back(A("map_value_index_bounded",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nldxw %r1, [%r0+0]\njge %r1, 16, out\nmov %r2, %r0\nadd %r2, %r1\n"
                "ldxb %r3, [%r2+0]\nout:\nmov %r0, 2\nexit\n",
                {A16}));
  v.push_back(A("map_value_signed_index",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nldxb %r1, [%r0+0]\nlsh %r1, 56\narsh %r1, 56\njslt %r1, 0, out\n"
                "jsgt %r1, 15, out\nadd %r0, %r1\nldxb %r3, [%r0+0]\nout:\nmov %r0, 2\nexit\n",
                {A16}));
  v.push_back(A("map_update_then_delete",
                "stw [%r10-4], 7\nstdw [%r10-16], 0\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\n"
                "add %r3, -16\nmov %r4, 0\nlddw %r1, map_idx(0)\ncall 2\nmov %r2, %r10\n"
                "add %r2, -4\nlddw %r1, map_idx(0)\ncall 3\nmov %r0, 2\nexit\n",
                {H48}));
  v.push_back(A("percpu_array_counter",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\nadd %r1, 1\nstxdw [%r0+0], %r1\nout:\n"
                "mov %r0, 2\nexit\n",
                {map_of_type(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4)}));
  v.push_back(A("lpm_route_lookup",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 34\njgt %r4, %r3, out\nldxw %r5, [%r2+30]\n"
                     "stw [%r10-8], 32\nstxw [%r10-4], %r5\nmov %r2, %r10\nadd %r2, -8\n"
                     "lddw %r1, map_idx(0)\ncall 1\njeq %r0, 0, out\nldxw %r1, [%r0+4]\n"
                     "mov %r0, 3\nexit\n",
                     kOut}),
                {map_of_type(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC)}));
  v.push_back(A("redirect_map_devmap",
                "ldxw %r2, [%r1+12]\nand %r2, 3\nlddw %r1, map_idx(0)\nmov %r3, 0\ncall 51\nexit\n",
                {map_of_type(BPF_MAP_TYPE_DEVMAP, 4, 4, 4)}));
  v.push_back(A("redirect_map_broadcast_flags",
                "lddw %r1, map_idx(0)\nmov %r2, 0\nmov %r3, 0x2009\ncall 51\nexit\n",
                {map_of_type(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4)}));
  v.push_back(A("redirect_ifindex", "mov %r1, 3\nmov %r2, 0\ncall 23\nexit\n"));
  v.push_back(A("tail_call_then_drop",
                "lddw %r2, map_idx(0)\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit\n",
                {map_of_type(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4)}));
  v.push_back(A("loop_sum_16_packet_bytes",
                cat({kPkt,
                     "mov %r6, 0\nmov %r7, 0\nloop:\nmov %r4, %r2\nadd %r4, %r6\n"
                     "mov %r5, %r4\nadd %r5, 1\njgt %r5, %r3, done\nldxb %r8, [%r4+0]\n"
                     "add %r7, %r8\nadd %r6, 1\njlt %r6, 16, loop\ndone:\nmov %r0, 2\nexit\n"})));
  v.push_back(A("loop_fill_stack_array",
                "mov %r6, 0\nloop:\nmov %r1, %r10\nadd %r1, -64\nadd %r1, %r6\nstb [%r1+0], 0\n"
                "add %r6, 1\njlt %r6, 64, loop\nldxdw %r0, [%r10-64]\nldxdw %r1, [%r10-8]\n"
                "mov %r0, 2\nexit\n"));
  v.push_back(A("loop_break_on_zero_byte",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 32\njgt %r4, %r3, out\nmov %r6, 0\nloop:\n"
                     "mov %r4, %r2\nadd %r4, %r6\nldxb %r5, [%r4+0]\njeq %r5, 0, found\n"
                     "add %r6, 1\njlt %r6, 32, loop\nfound:\nmov %r0, 2\nexit\n",
                     kOut})));
  v.push_back(A("loop_1000_iterations",
                "mov %r1, 0\nmov %r2, 0\nloop:\nadd %r2, %r1\nadd %r1, 1\njlt %r1, 1000, loop\n"
                "mov %r0, 2\nexit\n"));
  v.push_back(A("loop_32bit_counter",
                "mov32 %r6, 0\nloop:\nadd32 %r6, 1\njlt32 %r6, 10, loop\nmov %r0, %r6\nand %r0, 3\n"
                "exit\n"));
  v.push_back(A("loop_cursor_over_packet",
                cat({kPkt,
                     "mov %r6, %r2\nmov %r7, 0\nloop:\nmov %r4, %r6\nadd %r4, 2\n"
                     "jgt %r4, %r3, done\nldxh %r5, [%r6+0]\nadd %r6, 2\nadd %r7, 1\n"
                     "jlt %r7, 8, loop\ndone:\nmov %r0, 2\nexit\n"})));
  v.push_back(A("subprogram_called_twice",
                "mov %r1, 3\ncall local f\nmov %r6, %r0\nmov %r1, 5\ncall local f\nadd %r0, %r6\n"
                "and %r0, 3\nexit\nf:\nmov %r0, %r1\nmul %r0, 2\nexit\n"));
  v.push_back(A("subprogram_writes_caller_stack",
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r0, [%r10-8]\nand %r0, 3\nexit\n"
                "f:\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n"));
  v.push_back(A("subprograms_nested_three_deep",
                "mov %r1, 1\ncall local f\nand %r0, 3\nexit\nf:\nadd %r1, 1\ncall local g\nexit\n"
                "g:\nadd %r1, 1\ncall local h\nexit\nh:\nmov %r0, %r1\nexit\n"));
  v.push_back(A("subprogram_with_packet_pointer",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nmov %r1, %r2\n"
                     "call local f\nexit\n",
                     kOut, "f:\nldxb %r0, [%r1+13]\nand %r0, 3\nexit\n"})));
  v.push_back(A("subprogram_map_lookup",
                "call local f\nand %r0, 3\nexit\nf:\nstw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\n"
                "lddw %r1, map_idx(0)\ncall 1\njeq %r0, 0, none\nldxdw %r0, [%r0+0]\nexit\nnone:\n"
                "mov %r0, 0\nexit\n",
                {H48}));
  v.push_back(A("spill_packet_pointers_across_helper",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nstxdw [%r10-8], %r2\n"
                     "stxdw [%r10-16], %r3\ncall 7\nldxdw %r2, [%r10-8]\nldxb %r0, [%r2+13]\n"
                     "and %r0, 3\nexit\n",
                     kOut})));
  v.push_back(A("spill_bounded_index_across_helper",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r6, [%r2+0]\n"
                     "and %r6, 7\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\n"
                     "lddw %r1, map_idx(0)\ncall 1\njeq %r0, 0, out\nmov %r7, %r0\n"
                     "stxdw [%r10-16], %r6\ncall 7\nldxdw %r6, [%r10-16]\nadd %r7, %r6\n"
                     "ldxb %r0, [%r7+0]\nand %r0, 1\nexit\n",
                     kOut}),
                {A8}));
  v.push_back(A("spill_narrow_scalar",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nmov %r7, %r0\nldxw %r6, [%r0+0]\nand %r6, 7\nstxw [%r10-8], %r6\n"
                "ldxw %r6, [%r10-8]\nadd %r7, %r6\nldxb %r1, [%r7+0]\nout:\nmov %r0, 2\nexit\n",
                {A8}));
  v.push_back(
      A("alu32_index", cat({kPkt,
                            "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r5, [%r2+0]\n"
                            "and32 %r5, 15\nlsh32 %r5, 2\nstdw [%r10-64], 0\nstdw [%r10-56], 0\n"
                            "stdw [%r10-48], 0\nstdw [%r10-40], 0\nstdw [%r10-32], 0\n"
                            "stdw [%r10-24], 0\nstdw [%r10-16], 0\nstdw [%r10-8], 0\n"
                            "jge32 %r5, 60, out\nmov %r1, %r10\nadd %r1, -64\nadd %r1, %r5\n"
                            "ldxw %r0, [%r1+0]\n",
                            kOut})));
  v.push_back(A("linked_registers",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nldxw %r5, [%r0+0]\nmov %r6, %r5\nadd %r6, 4\njgt %r5, 8, out\n"
                "add %r0, %r6\nldxb %r1, [%r0+0]\nout:\nmov %r0, 2\nexit\n",
                {A16}));
  v.push_back(A("adjust_head_then_reparse",
                "mov %r6, %r1\nmov %r2, -14\ncall 44\njne %r0, 0, out\nldxw %r2, [%r6+0]\n"
                "ldxw %r3, [%r6+4]\nmov %r4, %r2\nadd %r4, 28\njgt %r4, %r3, out\n"
                "stw [%r2+0], 0\nmov %r0, 3\nexit\nout:\nmov %r0, 2\nexit\n"));
  v.push_back(A("adjust_tail_then_reparse",
                "mov %r6, %r1\nmov %r2, -4\ncall 65\nldxw %r2, [%r6+0]\nldxw %r3, [%r6+4]\n"
                "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r0, [%r2+0]\nout:\n"
                "mov %r0, 2\nexit\n"));
  v.push_back(A("metadata_write",
                "mov %r6, %r1\nmov %r2, -4\ncall 54\njne %r0, 0, out\nldxw %r2, [%r6+8]\n"
                "ldxw %r3, [%r6+0]\nmov %r4, %r2\nadd %r4, 4\njgt %r4, %r3, out\nstw [%r2+0], 7\n"
                "out:\nmov %r0, 2\nexit\n"));
  v.push_back(
      A("csum_diff_stack_buffers",
        "stw [%r10-8], 1\nstw [%r10-16], 2\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 4\n"
        "mov %r3, %r10\nadd %r3, -16\nmov %r4, 4\nmov %r5, 0\ncall 28\nmov %r0, 2\nexit\n"));
  v.push_back(A("csum_diff_null_from",
                "stw [%r10-8], 1\nmov %r1, 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 4\n"
                "mov %r5, 0\ncall 28\nmov %r0, 2\nexit\n"));
  v.push_back(A("swap_mac_addresses",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxw %r5, [%r2+0]\n"
                     "ldxh %r6, [%r2+4]\nldxw %r7, [%r2+6]\nldxh %r8, [%r2+10]\n"
                     "stxw [%r2+0], %r7\nstxh [%r2+4], %r8\nstxw [%r2+6], %r5\n"
                     "stxh [%r2+10], %r6\nmov %r0, 3\nexit\n",
                     kOut})));
  v.push_back(A("atomics_on_map_value",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nmov %r6, %r0\nmov %r1, 1\nlock add [%r6+0], %r1\n"
                "lock fetch add [%r6+0], %r1\nmov %r0, 0\nmov %r2, 5\nlock cmpxchg [%r6+0], %r2\n"
                "lock xchg [%r6+0], %r2\nlock or32 [%r6+4], %r2\nout:\nmov %r0, 2\nexit\n",
                {A8}));
  v.push_back(A("atomic_fetch_on_stack",
                "stdw [%r10-8], 0\nmov %r1, 1\nlock fetch add [%r10-8], %r1\nmov %r0, 2\nexit\n"));
  v.push_back(A("context_scalar_fields",
                "ldxw %r2, [%r1+12]\nldxw %r3, [%r1+16]\nadd %r2, %r3\nmov %r0, %r2\nand %r0, 1\n"
                "exit\n"));
  v.push_back(A("global_data_read_write",
                "lddw %r1, map_idx_value(0)+8\nldxdw %r2, [%r1+0]\nadd %r2, 1\nstxdw [%r1+0], %r2\n"
                "mov %r0, 2\nexit\n",
                {array_map(16, 1)}));
  {
    CorpusProgram p = A("rodata_constant_decides_return",
                        "lddw %r1, map_idx_value(0)+0\nldxw %r0, [%r1+0]\nexit\n");
    ebpf::MapSpec rodata = array_map(4, 1, BPF_F_RDONLY_PROG);
    rodata.name = ".rodata";
    rodata.global_data = true;
    rodata.initial_value = {2, 0, 0, 0};
    p.maps = {rodata};
    v.push_back(p);
  }
  v.push_back(A("time_and_random_helpers",
                "call 5\ncall 125\ncall 118\ncall 7\ncall 8\nmov %r0, 2\nexit\n"));
  v.push_back(A("queue_push_and_pop",
                "stdw [%r10-8], 5\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\n"
                "call 87\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -16\ncall 88\n"
                "ldxdw %r1, [%r10-16]\nmov %r0, 2\nexit\n",
                {map_of_type(BPF_MAP_TYPE_QUEUE, 0, 8, 4)}));
  v.push_back(
      A("lddw_64bit_constant", "lddw %r1, 0x1122334455667788\nrsh %r1, 62\nmov %r0, %r1\nexit\n"));
  v.push_back(
      A("packet_length",
        cat({kPkt, "mov %r4, %r3\nsub %r4, %r2\njlt %r4, 60, out\nmov %r0, 1\nexit\n", kOut})));
  v.push_back(A("mul_div_mod_index",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxb %r5, [%r2+0]\n"
                     "mul %r5, 3\ndiv %r5, 4\nmod %r5, 8\nand %r5, 7\nmov %r6, %r2\nadd %r6, %r5\n"
                     "mov %r7, %r6\nadd %r7, 1\njgt %r7, %r3, out\nldxb %r0, [%r6+0]\n",
                     kOut})));
  v.push_back(A("trace_printk_from_stack",
                "stw [%r10-8], 0x0a6968\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 4\ncall 6\n"
                "mov %r0, 2\nexit\n"));
  v.push_back(A("cpu_id_as_array_key",
                "call 8\nstxw [%r10-4], %r0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\n"
                "call 1\njeq %r0, 0, out\nldxdw %r1, [%r0+0]\nout:\nmov %r0, 2\nexit\n",
                {array_map(8, 64)}));
  v.push_back(A("xdp_load_bytes_into_stack",
                "mov %r2, 0\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 16\ncall 189\n"
                "ldxdw %r1, [%r10-16]\nldxdw %r1, [%r10-8]\nmov %r0, 2\nexit\n"));
  v.push_back(A("stack_variable_offset_read",
                "stdw [%r10-8], 1\nstdw [%r10-16], 2\ncall 7\nand %r0, 8\nmov %r1, %r10\n"
                "add %r1, -16\nadd %r1, %r0\nldxdw %r2, [%r1+0]\nmov %r0, 2\nexit\n"));
  v.push_back(A("map_value_or_null_copy_checked",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "mov %r6, %r0\njeq %r0, 0, out\nldxdw %r1, [%r6+0]\nout:\nmov %r0, 2\nexit\n",
                {H48}));
  v.push_back(A("map_value_or_null_spilled_checked",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "stxdw [%r10-16], %r0\njeq %r0, 0, out\nldxdw %r6, [%r10-16]\nldxdw %r1, [%r6+0]\n"
                "out:\nmov %r0, 2\nexit\n",
                {H48}));
  v.push_back(
      A("return_clamped_map_value",
        "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
        "jeq %r0, 0, out\nldxdw %r0, [%r0+0]\njgt %r0, 4, out\nexit\nout:\nmov %r0, 2\nexit\n",
        {H48}));
  v.push_back(A("array_constant_key_no_null_check",
                "stw [%r10-8], 1\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map_idx(0)\ncall 1\n"
                "ldxdw %r1, [%r0+0]\nmov %r0, 2\nexit\n",
                {A8}));
  v.push_back(A("two_maps",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "jeq %r0, 0, out\nldxw %r6, [%r0+0]\nstxw [%r10-8], %r6\nmov %r2, %r10\n"
                "add %r2, -8\nlddw %r1, map_idx(1)\ncall 1\njeq %r0, 0, out\nldxdw %r1, [%r0+0]\n"
                "out:\nmov %r0, 2\nexit\n",
                {H48, hash_map(4, 8)}));
  v.push_back(A("signed_compare_bounds",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 64\njgt %r4, %r3, out\nldxb %r5, [%r2+0]\n"
                     "sub %r5, 10\njslt %r5, 0, out\njsgt %r5, 50, out\nmov %r6, %r2\n"
                     "add %r6, %r5\nmov %r7, %r6\nadd %r7, 4\njgt %r7, %r3, out\n"
                     "ldxw %r0, [%r6+0]\n",
                     kOut})));
  v.push_back(A("nested_bounds_checks",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxh %r5, [%r2+12]\n"
                     "jne %r5, 8, out\nmov %r4, %r2\nadd %r4, 34\njgt %r4, %r3, out\n"
                     "ldxb %r5, [%r2+23]\njne %r5, 6, out\nmov %r4, %r2\nadd %r4, 54\n"
                     "jgt %r4, %r3, out\nldxh %r6, [%r2+36]\nldxb %r7, [%r2+47]\n"
                     "and %r7, 2\njeq %r7, 0, out\nmov %r0, 1\nexit\n",
                     kOut})));
  v.push_back(A("byte_swaps",
                "mov %r1, 0x1234\nbe16 %r1\nle32 %r1\nbswap64 %r1\nrsh %r1, 62\nmov %r0, %r1\n"
                "exit\n"));
  v.push_back(
      A("jset_narrows_value",
        "ldxw %r2, [%r1+16]\nmov %r0, 2\njset %r2, 1, odd\nexit\nodd:\nmov %r0, 1\nexit\n"));
  v.push_back(A("sign_extending_loads",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\nldxsb %r5, [%r2+0]\n"
                     "ldxsh %r6, [%r2+2]\nldxsw %r7, [%r2+4]\nmovsx864 %r8, %r5\n",
                     kOut})));
  v.push_back(A("devmap_program_reads_egress", "ldxw %r0, [%r1+20]\nand %r0, 1\nexit\n"));
  v.back().devmap_program = true;
  return v;
}

}  // namespace

const std::vector<CorpusProgram>& safe_corpus() {
  static const std::vector<CorpusProgram> v = build();
  return v;
}

}  // namespace ebpfaas::verifier::testing
