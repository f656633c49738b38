/* Stands in for libbpf's bpf_helpers.h when an NF is compiled natively
 * (bench/native): everything it provides comes from the shim. */
#include "ebpfaas_native.h"
