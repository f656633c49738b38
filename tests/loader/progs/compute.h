// Shared by run_compute.c (compiled for BPF) and the loader tests (compiled
// natively): the test runs the relocated BPF program in the interpreter and
// compares its result with the native one, which proves that global data
// offsets and subprogram calls were relocated to the right places.
#ifndef EBPFAAS_TESTS_LOADER_COMPUTE_H
#define EBPFAAS_TESTS_LOADER_COMPUTE_H

#define COMPUTE_NOINLINE __attribute__((noinline))
#ifndef COMPUTE_CUSTOM_SECTION
#define COMPUTE_CUSTOM_SECTION
#endif

int table[8] = {3, 1, 4, 1, 5, 9, 2, 6};                         // .data
const volatile int scale = 7;                                     // .rodata
const volatile unsigned long long bias[3] = {100, 200, 300};      // .rodata
const volatile int seed = 5;                                      // .rodata
int total;                                                        // .bss
static int calls;                                                 // .bss, static
int custom_seed COMPUTE_CUSTOM_SECTION = 11;                      // .data.custom

static COMPUTE_NOINLINE int weigh(int i) {
  calls++;
  return table[i & 7] * scale;
}

static COMPUTE_NOINLINE int sum_range(int from, int to) {
  int s = 0;
  for (int i = from; i < to && i < 8; i++) s += weigh(i);
  return s;
}

// A global function: a subprogram in .text that the kernel verifies on its own.
COMPUTE_NOINLINE int global_mix(int x) {
  return x ^ (int)bias[(x & 1) ? 2 : 1];
}

static inline int compute_impl(void) {
  int s = seed;
  total = sum_range(s & 3, 6) + global_mix(s) + custom_seed;
  return total + calls * 1000 + (int)bias[0];
}

#endif
