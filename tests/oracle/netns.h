// A private network namespace for kernel-oracle tests: fresh ifindexes (lo is
// 1, then the devices made here), so that packets can name ingress and
// egress devices that exist, the same in every run.
#pragma once

#include <cstdint>
#include <string>

namespace ebpfaas::oracle {

// Moves the calling thread into a new network namespace with `devices` devices
// (veth pairs, rounded up to even) holding ifindexes 2, 3, ..., up, and pins it
// to CPU 0. Returns "" or why it
// could not (then the caller skips).
std::string enter_private_netns(uint32_t devices);

}  // namespace ebpfaas::oracle
