// Unsafe programs: each must be rejected, for the reason given.
#include <linux/bpf.h>

#include "tests/verifier/corpus.h"

namespace ebpfaas::verifier::testing {
namespace {

// r2 = data, r3 = data_end
constexpr const char* kPkt = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\n";
// bounds check of 14 bytes from r2 (r4 = data + 14)
constexpr const char* kCheck14 = "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, out\n";
constexpr const char* kOut = "out:\nmov %r0, 2\nexit\n";
// lookup of key 0 (4 bytes at fp-4) in map 0, r0 = value or NULL
constexpr const char* kLookup =
    "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n";
constexpr const char* kLookupChecked =
    "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
    "jeq %r0, 0, out\n";

std::string cat(std::initializer_list<const char*> parts) {
  std::string s;
  for (const char* p : parts) s += p;
  return s;
}

CorpusProgram U(std::string name, std::string source, std::string reason,
                std::vector<ebpf::MapSpec> maps = {}) {
  CorpusProgram p;
  p.name = std::move(name);
  p.source = std::move(source);
  p.reason = std::move(reason);
  p.maps = std::move(maps);
  return p;
}

// Rejected by ebpfaas, accepted by Linux for root: the rule ebpfaas keeps.
CorpusProgram S(std::string name, std::string source, std::string reason, std::string rule,
                std::vector<ebpf::MapSpec> maps = {}) {
  CorpusProgram p = U(std::move(name), std::move(source), std::move(reason), std::move(maps));
  p.linux = Linux::kAccepts;
  p.why_stricter = std::move(rule);
  return p;
}

const char* kUninitStack = "reading uninitialized stack (Linux allows it for CAP_PERFMON)";
const char* kPtrLeak = "pointer leak (Linux allows it for CAP_PERFMON)";
const char* kPtrCmp = "pointer comparison (Linux allows it for CAP_PERFMON)";
const char* kRetval =
    "XDP return value outside XDP_ABORTED..XDP_REDIRECT (Linux only checks at run time)";

std::vector<CorpusProgram> build() {
  std::vector<CorpusProgram> v;
  const auto H48 = hash_map(4, 8);
  const auto A8 = array_map(8);

  // ---- uninitialized registers -------------------------------------------------
  v.push_back(U("uninit_reg_mov", "mov %r0, %r2\nexit\n", "R2 !read_ok"));
  v.push_back(U("uninit_r0_at_exit", "exit\n", "R0 !read_ok"));
  v.push_back(U("uninit_arg_after_helper", "call 7\nmov %r0, %r1\nexit\n", "R1 !read_ok"));
  v.push_back(U("uninit_caller_saved_after_call",
                "mov %r3, 1\ncall local f\nmov %r0, %r3\nexit\nf:\nmov %r0, 0\nexit\n",
                "R3 !read_ok"));
  v.push_back(U("uninit_store_source", "stxdw [%r10-8], %r3\nmov %r0, 2\nexit\n", "R3 !read_ok"));
  v.push_back(U("uninit_jump_operand", "mov %r0, 2\njeq %r4, 0, +0\nexit\n", "R4 !read_ok"));
  v.push_back(U("uninit_callee_r6",
                "mov %r6, 1\ncall local f\nmov %r0, 2\nexit\nf:\nmov %r0, %r6\nexit\n",
                "R6 !read_ok"));
  v.push_back(U("uninit_helper_key_arg", "lddw %r1, map_idx(0)\ncall 1\nmov %r0, 2\nexit\n",
                "R2 !read_ok", {H48}));
  v.push_back(U("uninit_load_base", "ldxw %r0, [%r5+0]\nexit\n", "R5 !read_ok"));
  v.push_back(U("uninit_r0_from_subprog", "call local f\nexit\nf:\nexit\n", "R0 !read_ok"));

  // ---- uninitialized stack (kept strict) ------------------------------------------
  v.push_back(S("uninit_stack_never_written", "ldxdw %r0, [%r10-8]\nmov %r0, 2\nexit\n",
                "invalid read from stack R10 off=-8 size=8", kUninitStack));
  v.push_back(S("uninit_stack_allocated",
                "stdw [%r10-16], 0\nldxdw %r1, [%r10-8]\nmov %r0, 2\nexit\n",
                "invalid read from stack off -8+0 size 8", kUninitStack));
  v.push_back(S("uninit_stack_partial", "stw [%r10-8], 1\nldxdw %r1, [%r10-8]\nmov %r0, 2\nexit\n",
                "invalid read from stack off -8+4 size 8", kUninitStack));
  v.push_back(S("uninit_stack_map_key",
                "mov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\nmov %r0, 2\nexit\n",
                "invalid read from stack R2 off=-4 size=4", kUninitStack, {H48}));
  v.push_back(S("uninit_stack_map_value",
                "stw [%r10-4], 0\nstdw [%r10-24], 0\nmov %r2, %r10\nadd %r2, -4\n"
                "mov %r3, %r10\nadd %r3, -24\nmov %r4, 0\nlddw %r1, map_idx(0)\ncall 2\n"
                "mov %r0, 2\nexit\n",
                "invalid read from stack R3 off -24+8 size 16", kUninitStack, {hash_map(4, 16)}));
  v.push_back(S("uninit_stack_var_offset",
                "stdw [%r10-8], 0\nstw [%r10-16], 0\ncall 7\nand %r0, 8\nmov %r1, %r10\n"
                "add %r1, -16\nadd %r1, %r0\nldxdw %r2, [%r1+0]\nmov %r0, 2\nexit\n",
                "invalid read from stack R1 var_off (0x0; 0x8)+4 size 8", kUninitStack));
  v.push_back(S("uninit_stack_helper_mem",
                "mov %r6, %r1\nstw [%r10-8], 0\nmov %r1, %r6\nmov %r2, 0\nmov %r3, %r10\n"
                "add %r3, -8\nmov %r4, 8\ncall 190\nmov %r0, 2\nexit\n",
                "invalid read from stack R3 off -8+4 size 8", kUninitStack));
  v.push_back(S("uninit_stack_lpm_key",
                "stw [%r10-8], 32\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map_idx(0)\ncall 1\n"
                "mov %r0, 2\nexit\n",
                "invalid read from stack R2 off -8+4 size 8", kUninitStack,
                {map_of_type(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC)}));

  // ---- stack bounds ----------------------------------------------------------------
  v.push_back(U("stack_write_below_frame", "stdw [%r10-520], 0\nmov %r0, 2\nexit\n",
                "invalid write to stack R10 off=-520 size=8"));
  v.push_back(U("stack_write_at_fp", "stdw [%r10+0], 0\nmov %r0, 2\nexit\n",
                "invalid write to stack R10 off=0 size=8"));
  v.push_back(U("stack_read_above_fp", "ldxdw %r0, [%r10+8]\nmov %r0, 2\nexit\n",
                "invalid read from stack R10 off=8 size=8"));
  v.push_back(U("stack_write_straddles_fp", "stdw [%r10-4], 0\nmov %r0, 2\nexit\n",
                "misaligned stack access off (0x0; 0x0)+-4 size 8"));
  v.push_back(U("stack_misaligned", "stw [%r10-6], 0\nmov %r0, 2\nexit\n",
                "misaligned stack access off (0x0; 0x0)+-6 size 4"));
  v.push_back(U("stack_var_offset_unbounded",
                "call 7\nmov %r1, %r10\nadd %r1, %r0\nstb [%r1+0], 0\nmov %r0, 2\nexit\n",
                "math between fp pointer and register with unbounded min value is not allowed"));
  v.push_back(U("stack_var_offset_out_of_frame",
                "call 7\nand %r0, 0xff\nmov %r1, %r10\nadd %r1, -64\nadd %r1, %r0\nstb [%r1+0], 0\n"
                "mov %r0, 2\nexit\n",
                "invalid variable-offset write to stack R1 var_off=(0x0; 0xff) off=-64 size=1"));
  v.push_back(U("stack_var_offset_atomic",
                "stdw [%r10-8], 0\nstdw [%r10-16], 0\ncall 7\nand %r0, 8\nmov %r1, %r10\n"
                "add %r1, -16\nadd %r1, %r0\nmov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 2\nexit\n",
                "variable offset stack pointer cannot be passed into helper function"));

  // ---- packet --------------------------------------------------------------------------
  v.push_back(U("pkt_no_bounds_check", cat({kPkt, "ldxh %r5, [%r2+12]\nmov %r0, 2\nexit\n"}),
                "invalid access to packet, off=12 size=2"));
  v.push_back(U("pkt_check_too_small", cat({kPkt, kCheck14, "ldxw %r5, [%r2+12]\n", kOut}),
                "invalid access to packet, off=12 size=4"));
  v.push_back(U("pkt_access_on_failed_branch",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, bad\nmov %r0, 2\nexit\nbad:\n"
                     "ldxb %r5, [%r2+0]\nmov %r0, 1\nexit\n"}),
                "R2 offset is outside of the packet"));
  v.push_back(U("pkt_negative_offset", cat({kPkt, kCheck14, "ldxb %r5, [%r2-1]\n", kOut}),
                "invalid access to packet, off=-1 size=1"));
  v.push_back(U("pkt_variable_offset_unchecked",
                cat({kPkt, kCheck14, "ldxb %r5, [%r2+0]\nadd %r2, %r5\nldxb %r6, [%r2+0]\n", kOut}),
                "R2 offset is outside of the packet"));
  v.push_back(U("pkt_plus_unbounded",
                cat({kPkt, "mov %r6, %r2\ncall 7\nadd %r6, %r0\nmov %r0, 2\nexit\n"}),
                "math between pkt pointer and register with unbounded min value is not allowed"));
  v.push_back(U("pkt_after_adjust_head",
                cat({"mov %r6, %r1\n", kPkt, kCheck14,
                     "mov %r7, %r2\nmov %r1, %r6\nmov %r2, 0\ncall 44\nldxb %r0, [%r7+0]\n", kOut}),
                "R7"));
  v.push_back(U("pkt_end_deref", cat({kPkt, "ldxb %r0, [%r3+0]\nmov %r0, 2\nexit\n"}),
                "R3 invalid mem access 'pkt_end'"));
  v.push_back(U("pkt_end_arithmetic", cat({kPkt, "add %r3, -1\nmov %r0, 2\nexit\n"}),
                "R3 pointer arithmetic on pkt_end prohibited"));
  v.push_back(U("pkt_meta_unchecked", "ldxw %r2, [%r1+8]\nldxb %r0, [%r2+0]\nmov %r0, 2\nexit\n",
                "invalid access to packet, off=0 size=1"));
  v.push_back(U("pkt_write_unchecked", cat({kPkt, "stb [%r2+0], 0\nmov %r0, 2\nexit\n"}),
                "invalid access to packet, off=0 size=1"));
  v.push_back(
      U("pkt_access_past_check_via_copy",
        cat({kPkt, "mov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, out\nldxw %r5, [%r4+0]\n", kOut}),
        "invalid access to packet, off=8 size=4"));
  v.push_back(U("pkt_signed_variable_offset",
                cat({kPkt, kCheck14,
                     "ldxb %r5, [%r2+0]\nlsh %r5, 56\narsh %r5, 56\nmov %r6, %r2\nadd %r6, %r5\n"
                     "mov %r7, %r6\nadd %r7, 1\njgt %r7, %r3, out\nldxb %r0, [%r6+0]\n",
                     kOut}),
                "R6 min value is negative"));
  v.push_back(U("pkt_loop_reads_past_check",
                cat({kPkt,
                     "mov %r4, %r2\nadd %r4, 64\njgt %r4, %r3, out\nmov %r6, 0\nloop:\n"
                     "mov %r7, %r2\nadd %r7, %r6\nldxb %r8, [%r7+0]\nadd %r6, 1\n"
                     "jlt %r6, 100, loop\n",
                     kOut}),
                "R7 offset is outside of the packet"));
  v.push_back(U("pkt_spilled_pointer_after_adjust_tail",
                cat({"mov %r6, %r1\n", kPkt, kCheck14,
                     "stxdw [%r10-8], %r2\nmov %r1, %r6\nmov %r2, -4\ncall 65\n"
                     "ldxdw %r2, [%r10-8]\nldxb %r0, [%r2+0]\n",
                     kOut}),
                "R2"));
  v.push_back(S("pkt_compare_with_constant", cat({kPkt, "jgt %r2, 100, +0\nmov %r0, 2\nexit\n"}),
                "R2 pointer comparison prohibited", kPtrCmp));
  v.push_back(S("pkt_jeq_compare", cat({kPkt, "jeq %r2, %r3, +0\nmov %r0, 2\nexit\n"}),
                "R2 pointer comparison prohibited", kPtrCmp));
  v.push_back(S("pkt_jset_compare", cat({kPkt, "jset %r2, 1, +0\nmov %r0, 2\nexit\n"}),
                "R2 pointer comparison prohibited", kPtrCmp));

  // ---- map values ------------------------------------------------------------------------
  v.push_back(U("map_value_null_deref", cat({kLookup, "ldxdw %r1, [%r0+0]\nmov %r0, 2\nexit\n"}),
                "R0 invalid mem access 'map_value_or_null'", {H48}));
  v.push_back(U("map_value_read_past_end", cat({kLookupChecked, "ldxdw %r1, [%r0+8]\n", kOut}),
                "invalid access to map value, value_size=8 off=8 size=8", {H48}));
  v.push_back(U("map_value_negative_offset", cat({kLookupChecked, "ldxdw %r1, [%r0-8]\n", kOut}),
                "invalid access to map value, value_size=8 off=-8 size=8", {H48}));
  v.push_back(U("map_value_unbounded_index",
                cat({kLookupChecked, "ldxdw %r1, [%r0+0]\nadd %r0, %r1\n", kOut}),
                "math between map_value pointer and register with unbounded min value", {H48}));
  v.push_back(U("map_value_index_too_large",
                cat({kLookupChecked,
                     "ldxdw %r1, [%r0+0]\nand %r1, 0xff\nadd %r0, %r1\n"
                     "ldxb %r2, [%r0+0]\n",
                     kOut}),
                "R0 max value is outside of the allowed memory range", {H48}));
  v.push_back(U("map_value_index_maybe_negative",
                cat({kLookupChecked,
                     "ldxb %r1, [%r0+0]\nlsh %r1, 56\narsh %r1, 56\n"
                     "jsgt %r1, 7, out\nadd %r0, %r1\nldxb %r2, [%r0+0]\n",
                     kOut}),
                "R0 min value is negative", {H48}));
  v.push_back(U("map_value_or_null_arithmetic", cat({kLookup, "add %r0, 4\n", kOut}),
                "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first",
                {H48}));
  v.push_back(U("map_readonly_write", cat({kLookupChecked, "stdw [%r0+0], 1\n", kOut}),
                "write into map forbidden", {array_map(8, 4, BPF_F_RDONLY_PROG)}));
  v.push_back(U("map_value_deref_on_null_branch",
                cat({kLookup, "jne %r0, 0, out\nldxdw %r1, [%r0+0]\n", kOut}),
                "R0 invalid mem access 'scalar'", {H48}));
  v.push_back(U("map_key_past_frame",
                "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_idx(0)\ncall 1\n"
                "mov %r0, 2\nexit\n",
                "invalid read from stack R2 off=-4 size=8", {hash_map(8, 8)}));
  v.push_back(U("map_lookup_prog_array", cat({kLookup, "mov %r0, 2\nexit\n"}),
                "cannot pass map_type 3 into func map_lookup_elem#1",
                {map_of_type(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4)}));
  v.push_back(U("map_lookup_queue_zero_size_key",
                "mov %r2, %r10\nadd %r2, -8\nstdw [%r10-8], 0\nlddw %r1, map_idx(0)\ncall 1\n"
                "mov %r0, 2\nexit\n",
                "invalid zero-sized read", {map_of_type(BPF_MAP_TYPE_QUEUE, 0, 8, 4)}));
  v.push_back(U("tail_call_queue_map",
                "lddw %r2, map_idx(0)\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit\n",
                "cannot pass map_type 22 into func tail_call#12",
                {map_of_type(BPF_MAP_TYPE_QUEUE, 0, 8, 4)}));
  v.push_back(U("tail_call_hash_map",
                "lddw %r2, map_idx(0)\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit\n",
                "cannot pass map_type 1 into func tail_call#12", {H48}));
  v.push_back(U("redirect_map_array",
                "lddw %r1, map_idx(0)\nmov %r2, 0\nmov %r3, 0\ncall 51\nexit\n",
                "cannot pass map_type 2 into func redirect_map#51", {A8}));
  v.push_back(U("map_push_hash",
                "stdw [%r10-8], 0\nlddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\n"
                "call 87\nmov %r0, 2\nexit\n",
                "cannot pass map_type 1 into func map_push_elem#87", {H48}));
  v.push_back(U("map_pop_buffer_too_small",
                "lddw %r1, map_idx(0)\nmov %r2, %r10\nadd %r2, -8\ncall 88\nmov %r0, 2\nexit\n",
                "invalid write to stack R2 off=-8 size=16",
                {map_of_type(BPF_MAP_TYPE_QUEUE, 0, 16, 4)}));
  v.push_back(U("lddw_bad_map_index", "lddw %r1, map_idx(3)\nmov %r0, 2\nexit\n",
                "is not pointing to valid bpf_map", {H48}));
  v.push_back(U("global_data_offset_past_value",
                "lddw %r1, map_idx_value(0)+16\nmov %r0, 2\nexit\n",
                "invalid access to map value pointer, value_size=8 off=16", {array_map(8, 1)}));
  v.push_back(U("global_data_on_hash_map", "lddw %r1, map_idx_value(0)+0\nmov %r0, 2\nexit\n",
                "no direct value access support for this map type", {H48}));
  v.push_back(U("global_data_read_past_end",
                "lddw %r1, map_idx_value(0)+4\nldxdw %r0, [%r1+0]\nmov %r0, 2\nexit\n",
                "invalid access to map value, value_size=8 off=4 size=8", {array_map(8, 1)}));
  v.push_back(U("devmap_value_write", cat({kLookupChecked, "stw [%r0+0], 1\n", kOut}),
                "write into map forbidden", {map_of_type(BPF_MAP_TYPE_DEVMAP, 4, 4, 4)}));
  v.push_back(U("map_copy_deref_before_null_check",
                cat({kLookup,
                     "mov %r6, %r0\njeq %r0, 0, bad\nmov %r0, 2\nexit\nbad:\n"
                     "ldxdw %r1, [%r6+0]\nmov %r0, 2\nexit\n"}),
                "R6 invalid mem access 'scalar'", {H48}));

  // ---- pointer leaks and pointer arithmetic ------------------------------------------
  v.push_back(S("leak_pointer_into_map", cat({kLookupChecked, "stxdw [%r0+0], %r10\n", kOut}),
                "R10 leaks addr into map", kPtrLeak, {H48}));
  v.push_back(S("leak_fp_as_return_value", "mov %r0, %r10\nexit\n", "R0 leaks addr as return value",
                kPtrLeak));
  v.push_back(S("leak_ctx_as_return_value", "mov %r0, %r1\nexit\n", "R0 leaks addr as return value",
                kPtrLeak));
  v.push_back(S("leak_map_value_as_return_value", cat({kLookupChecked, "exit\n", kOut}),
                "R0 leaks addr as return value", kPtrLeak, {H48}));
  v.push_back(S("leak_pointer_into_packet", cat({kPkt, kCheck14, "stxdw [%r2+0], %r2\n", kOut}),
                "R2 leaks addr into packet", kPtrLeak));
  v.push_back(S("leak_pointer_into_helper", "mov %r1, %r10\nmov %r2, 0\ncall 23\nexit\n",
                "R1 leaks addr into helper function", kPtrLeak));
  v.push_back(S("leak_pointer_into_trace_printk",
                "stw [%r10-8], 0x6968\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 3\nmov %r3, %r10\n"
                "call 6\nmov %r0, 2\nexit\n",
                "R3 leaks addr into helper function", kPtrLeak));
  v.push_back(S("compare_ctx_with_zero", "jeq %r1, 0, +0\nmov %r0, 2\nexit\n",
                "R1 pointer comparison prohibited", kPtrCmp));
  v.push_back(S("compare_ctx_with_zero_jmp32", "jeq32 %r1, 0, +0\nmov %r0, 2\nexit\n",
                "R1 pointer comparison prohibited", kPtrCmp));
  v.push_back(S("compare_two_pointers", "mov %r2, %r10\njeq %r1, %r2, +0\nmov %r0, 2\nexit\n",
                "R2 pointer comparison prohibited", kPtrCmp));
  v.push_back(S("compare_map_value_or_null_with_one",
                cat({kLookup, "jeq %r0, 1, +0\nmov %r0, 2\nexit\n"}),
                "R0 pointer comparison prohibited", kPtrCmp, {H48}));
  v.push_back(S("subtract_stack_pointers",
                "mov %r1, %r10\nmov %r2, %r10\nsub %r1, %r2\nmov %r0, 2\nexit\n",
                "R1 pointer -= pointer prohibited", kPtrLeak));
  v.push_back(S("partial_copy_of_pointer", "mov32 %r2, %r10\nmov %r0, 2\nexit\n",
                "R10 partial copy of pointer", kPtrLeak));
  v.push_back(S("sign_extend_pointer", "movsx864 %r2, %r10\nmov %r0, 2\nexit\n",
                "R10 sign-extension part of pointer", kPtrLeak));
  v.push_back(S("byte_swap_pointer", "mov %r1, %r10\nbe16 %r1\nmov %r0, 2\nexit\n",
                "R1 pointer arithmetic prohibited", kPtrLeak));
  v.push_back(S("atomic_add_pointer_into_map",
                cat({kLookupChecked, "lock add [%r0+0], %r10\n", kOut}), "R10 leaks addr into mem",
                kPtrLeak, {H48}));
  v.push_back(S("spilled_pointer_to_helper",
                "stw [%r10-4], 0\nstxdw [%r10-16], %r10\nmov %r2, %r10\nadd %r2, -4\n"
                "mov %r3, %r10\nadd %r3, -16\nmov %r4, 0\nlddw %r1, map_idx(0)\ncall 2\n"
                "mov %r0, 2\nexit\n",
                "invalid read from stack R3 off -16+0 size 8", kPtrLeak, {H48}));
  v.push_back(S("corrupt_spilled_pointer",
                "stxdw [%r10-8], %r10\nstw [%r10-8], 0\nmov %r0, 2\nexit\n",
                "attempt to corrupt spilled pointer on stack", kPtrLeak));
  v.push_back(S("atomic_on_spilled_pointer",
                "stxdw [%r10-8], %r10\nmov %r1, 1\nlock add [%r10-8], %r1\nmov %r0, 2\nexit\n",
                "leaking pointer from stack off -8", kPtrLeak));
  v.push_back(U("xor_pointer", "mov %r1, %r10\nxor %r1, 1\nmov %r0, 2\nexit\n",
                "R1 bitwise operator ^= on pointer prohibited"));
  v.push_back(U("map_pointer_arithmetic", "lddw %r1, map_idx(0)\nadd %r1, 8\nmov %r0, 2\nexit\n",
                "R1 pointer arithmetic on map_ptr prohibited", {H48}));
  v.push_back(U("alu32_on_pointer", "mov %r1, %r10\nadd32 %r1, -8\nmov %r0, 2\nexit\n",
                "R1 32-bit pointer arithmetic prohibited"));
  v.push_back(U("multiply_pointer", "mov %r1, %r10\nmul %r1, 2\nmov %r0, 2\nexit\n",
                "R1 pointer arithmetic with *= operator prohibited"));
  v.push_back(U("scalar_minus_pointer", "mov %r1, 8\nsub %r1, %r10\nmov %r0, 2\nexit\n",
                "R1 tried to subtract pointer from scalar"));
  v.push_back(U("stack_pointer_minus_constant", "mov %r1, %r10\nsub %r1, 8\nmov %r0, 2\nexit\n",
                "R1 subtraction from stack pointer prohibited"));
  v.push_back(U("spill_pointer_partially", "stxw [%r10-8], %r10\nmov %r0, 2\nexit\n",
                "invalid size of register spill"));
  v.push_back(U("fill_pointer_partially",
                "stxdw [%r10-8], %r10\nldxw %r1, [%r10-8]\nmov %r0, 2\nexit\n",
                "invalid size of register fill"));
  v.push_back(U("pointer_plus_huge_constant",
                "mov %r1, %r10\nlddw %r2, 0x40000000\nadd %r1, %r2\nmov %r0, 2\nexit\n",
                "math between fp pointer and 1073741824 is not allowed"));

  // ---- context -----------------------------------------------------------------------------
  v.push_back(U("ctx_store_register", "mov %r2, 0\nstxw [%r1+0], %r2\nmov %r0, 2\nexit\n",
                "invalid bpf_context access off=0 size=4"));
  v.push_back(U("ctx_store_immediate", "stw [%r1+0], 0\nmov %r0, 2\nexit\n",
                "BPF_ST stores into R1 ctx is not allowed"));
  v.push_back(U("ctx_read_past_end", "ldxw %r0, [%r1+24]\nmov %r0, 2\nexit\n",
                "invalid bpf_context access off=24 size=4"));
  v.push_back(U("ctx_read_8_bytes", "ldxdw %r0, [%r1+0]\nmov %r0, 2\nexit\n",
                "invalid bpf_context access off=0 size=8"));
  v.push_back(U("ctx_read_2_bytes", "ldxh %r0, [%r1+12]\nmov %r0, 2\nexit\n",
                "invalid bpf_context access off=12 size=2"));
  v.push_back(U("ctx_read_misaligned", "ldxw %r0, [%r1+2]\nmov %r0, 2\nexit\n",
                "invalid bpf_context access off=2 size=4"));
  v.push_back(U("ctx_egress_ifindex_outside_devmap", "ldxw %r0, [%r1+20]\nmov %r0, 2\nexit\n",
                "invalid bpf_context access off=20 size=4"));
  v.push_back(U("ctx_modified_pointer", "add %r1, 4\nldxw %r0, [%r1+0]\nmov %r0, 2\nexit\n",
                "dereference of modified ctx ptr R1 off=4 disallowed"));
  v.push_back(U("ctx_atomic", "mov %r2, 1\nlock add32 [%r1+0], %r2\nmov %r0, 2\nexit\n",
                "BPF_ATOMIC stores into R1 ctx is not allowed"));
  v.push_back(U("ctx_modified_to_helper", "add %r1, 4\nmov %r2, 0\ncall 44\nmov %r0, 2\nexit\n",
                "dereference of modified ctx ptr R1 off=4 disallowed"));
  v.push_back(U("ctx_helper_gets_stack", "mov %r1, %r10\nmov %r2, 0\ncall 44\nmov %r0, 2\nexit\n",
                "R1 type=fp expected=ctx"));
  v.push_back(U("ctx_and_stack_same_load",
                "mov %r6, %r1\nstdw [%r10-8], 0\ncall 7\nmov %r2, %r6\njeq %r0, 0, l\n"
                "mov %r2, %r10\nadd %r2, -8\nl:\nldxw %r3, [%r2+0]\nmov %r0, 2\nexit\n",
                "same insn cannot be used with different pointers"));

  // ---- helpers -------------------------------------------------------------------------------
  v.push_back(U("helper_unknown_id", "call 9999\nmov %r0, 2\nexit\n", "invalid func unknown#9999"));
  v.push_back(U("helper_not_for_xdp", "call 26\nmov %r0, 2\nexit\n",
                "program of this type cannot use helper skb_load_bytes#26"));
  v.push_back(
      U("helper_map_arg_scalar",
        "stw [%r10-4], 0\nmov %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 2\nexit\n",
        "R1 type=scalar expected=map_ptr", {H48}));
  v.push_back(U("helper_key_arg_scalar",
                "lddw %r1, map_idx(0)\nmov %r2, 0\ncall 1\nmov %r0, 2\nexit\n",
                "R2 type=scalar expected=fp", {H48}));
  v.push_back(U("helper_size_negative",
                "stdw [%r10-8], 0\ncall 7\nmov %r2, %r0\nmov %r1, %r10\nadd %r1, -8\nmov %r3, 0\n"
                "mov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 2\nexit\n",
                "R2 min value is negative, either use unsigned or 'var &= const'"));
  v.push_back(U("helper_size_unbounded",
                "stdw [%r10-8], 0\ncall 7\nmov %r2, %r0\nand %r2, 0x7fffffff\nmov %r1, %r10\n"
                "add %r1, -8\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 2\nexit\n",
                "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'"));
  v.push_back(U("helper_size_zero",
                "stw [%r10-8], 0x6968\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 0\ncall 6\n"
                "mov %r0, 2\nexit\n",
                "R2 invalid zero-sized read: u64=[0,0]"));
  v.push_back(
      U("helper_mem_past_frame",
        "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 16\nmov %r3, 0\nmov %r4, 0\n"
        "mov %r5, 0\ncall 28\nmov %r0, 2\nexit\n",
        "invalid read from stack R1 off=-8 size=16"));
  v.push_back(
      U("helper_mem_past_packet",
        cat({kPkt, kCheck14,
             "mov %r1, %r2\nmov %r2, 20\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\n", kOut}),
        "invalid access to packet, off=0 size=20"));
  v.push_back(U("helper_size_not_scalar",
                "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, %r10\nmov %r3, 0\n"
                "mov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 2\nexit\n",
                "R2 type=fp expected=scalar"));
  v.push_back(U("helper_r0_after_tail_call", "lddw %r2, map_idx(0)\nmov %r3, 0\ncall 12\nexit\n",
                "R0 !read_ok", {map_of_type(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4)}));
  v.push_back(U("kfunc_call", "call kfunc 1234\nmov %r0, 2\nexit\n", "kernel function"));
  v.push_back(U("indirect_call", "mov %r1, 5\ncall %r1\nmov %r0, 2\nexit\n", "reserved fields"));

  // ---- return value ---------------------------------------------------------------------
  v.push_back(
      S("return_5", "mov %r0, 5\nexit\n",
        "At program exit the register R0 has value=5 (low 32 bits) should have been in [0, 4]",
        kRetval));
  v.push_back(S("return_minus_1", "mov %r0, -1\nexit\n",
                "has value=4294967295 (low 32 bits) should have been in", kRetval));
  // ---- control flow ----------------------------------------------------------------------
  v.push_back(U("infinite_loop_ja", "l:\nja l\n", "infinite loop detected at insn 0"));
  v.push_back(U("infinite_loop_constant_condition", "mov %r0, 0\nl:\njeq %r0, 0, l\nexit\n",
                "infinite loop detected at insn 1"));
  v.push_back(U("infinite_loop_no_progress",
                "mov %r1, 0\nmov %r0, 2\nl:\nadd %r1, 0\njlt %r1, 10, l\nexit\n",
                "infinite loop detected"));
  v.push_back(U("unbounded_loop_counter",
                "mov %r1, 0\nl:\nadd %r1, 1\njne %r1, 0, l\nmov %r0, 2\nexit\n",
                "BPF program is too large. Processed 1000001 insn"));
  v.push_back(U("unbounded_loop_map_bound",
                cat({kLookupChecked,
                     "ldxdw %r6, [%r0+0]\nmov %r1, 0\nl:\nadd %r1, 1\n"
                     "jlt %r1, %r6, l\n",
                     kOut}),
                "BPF program is too large", {H48}));
  v.push_back(
      U("unreachable_after_exit", "mov %r0, 2\nexit\nmov %r0, 1\nexit\n", "unreachable insn 2"));
  v.push_back(
      U("unreachable_jumped_over", "ja +1\nmov %r0, 1\nmov %r0, 2\nexit\n", "unreachable insn 1"));
  v.push_back(U("unreachable_function",
                "mov %r0, 2\nexit\nmov %r0, 1\ncall local f\nexit\nf:\nmov %r0, 0\nexit\n",
                "unreachable insn 2"));
  v.push_back(U("recursion", "call local f\nmov %r0, 2\nexit\nf:\ncall local f\nmov %r0, 0\nexit\n",
                "too deep"));
  {
    std::string chain = "call local f1\nmov %r0, 2\nexit\n";
    for (int i = 1; i <= 8; ++i)
      chain += "f" + std::to_string(i) + ":\n" +
               (i < 8 ? "call local f" + std::to_string(i + 1) + "\n" : std::string()) +
               "mov %r0, 0\nexit\n";
    v.push_back(U("call_depth_9_frames", chain, "the call stack of 9 frames is too deep"));
  }
  v.push_back(U("combined_stack_too_large",
                "stdw [%r10-512], 0\ncall local f\nmov %r0, 2\nexit\nf:\nstdw [%r10-16], 0\n"
                "mov %r0, 0\nexit\n",
                "combined stack size of 2 calls is 528. Too large"));
  v.push_back(U("callee_returns_stack_pointer",
                "call local f\nmov %r0, 2\nexit\nf:\nmov %r0, %r10\nadd %r0, -8\nexit\n",
                "cannot return stack pointer to the caller frame"));
  v.push_back(U("spill_callee_fp_into_caller_frame",
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 2\nexit\nf:\n"
                "stxdw [%r1+0], %r10\nmov %r0, 0\nexit\n",
                "cannot spill pointers to stack into stack frame of the caller"));
  v.push_back(S("callee_reads_caller_uninit_stack",
                "mov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 2\nexit\nf:\n"
                "ldxdw %r0, [%r1+0]\nmov %r0, 0\nexit\n",
                "invalid read from stack R1 off=-8 size=8", kUninitStack));
  v.push_back(U("tail_call_with_deep_caller_stack",
                "stdw [%r10-256], 0\ncall local f\nmov %r0, 2\nexit\nf:\nlddw %r2, map_idx(0)\n"
                "mov %r3, 0\ncall 12\nmov %r0, 0\nexit\n",
                "tail_calls are not allowed when call stack of previous frames is 256 bytes",
                {map_of_type(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4)}));
  v.push_back(U("legacy_packet_load", "ldabsb 0\nmov %r0, 2\nexit\n",
                "BPF_LD_[ABS|IND] instructions not allowed for this program type"));
  v.push_back(U("divide_by_zero_constant", "mov %r0, 1\ndiv %r0, 0\nexit\n", "div by zero"));
  v.push_back(U("modulo_by_zero_constant", "mov %r0, 1\nmod32 %r0, 0\nexit\n", "div by zero"));
  v.push_back(U("shift_out_of_range", "mov %r0, 1\nlsh %r0, 64\nexit\n", "invalid shift 64"));
  v.push_back(U("shift32_out_of_range", "mov %r0, 1\narsh32 %r0, 32\nexit\n", "invalid shift 32"));
  v.push_back(U("write_frame_pointer", "mov %r10, 0\nmov %r0, 2\nexit\n",
                "frame pointer r10 is read-only"));
  v.push_back(U("callback_function_pointer",
                "lddw %r1, func(f)\nmov %r0, 2\nexit\nf:\nmov %r0, 0\nexit\n",
                "missing btf func_info"));
  v.push_back(U("fall_off_the_end", "mov %r0, 2\n", "can fall off its end"));
  v.push_back(U("jump_out_of_program", "ja +5\nexit\n", "outside the program"));
  return v;
}

}  // namespace

const std::vector<CorpusProgram>& unsafe_corpus() {
  static const std::vector<CorpusProgram> v = build();
  return v;
}

}  // namespace ebpfaas::verifier::testing
