// DPDK ethdev ports (DPDK 22.11): PCI NICs and the virtual devices net_null,
// net_ring, net_af_packet, net_af_xdp, net_tap, net_pcap. The EAL starts
// inside ebpfaas at the first DPDK port (--in-memory with hugepages; without
// them --no-huge -m 1024 --no-shconf, since DPDK refuses --in-memory with
// --no-huge); devices are probed then (rte_dev_probe,
// rte_vdev_init), so ports can be opened one by one.
//
// Zero copy: packets are mbufs whose private area holds the Packet descriptor
// and 128 bytes of extra headroom, so that with DPDK's own 128-byte headroom
// the XDP program sees Linux's 256 bytes in front of the packet. Packets from
// another kind of port are copied into an mbuf on TX.
//
// RSS: with several queues on a device that hashes (flow_type_rss_offloads),
// the port programs the Microsoft key (dataplane/rss.h) and a round-robin
// redirection table through rte_eth_dev_rss_reta_update. A device with a
// single RX queue (net_pcap, af_packet with one qpair, ...) is spread by
// software RSS with the same key: the engine of queue 0 drains the device and
// hands each packet over an SPSC ring to the engine of its queue.
#pragma once

#include <memory>
#include <string>

#include "dataplane/port.h"

namespace ebpfaas::dataplane {

// Built with DPDK (else every DPDK call is an error saying so)?
bool dpdk_available();
// Why the EAL could not start, once it was tried (empty when it started).
std::string dpdk_init_error();

// `device`: a PCI address (0000:3b:00.0) or a vdev with arguments
// (net_null0, net_ring0, net_tap0,iface=tap0, net_pcap0,rx_pcap=in.pcap,...).
Expected<std::unique_ptr<Port>> open_dpdk_port(std::string name, std::string device,
                                               const PortOptions& options);
// A Linux interface: net_af_xdp, falling back to net_af_packet.
Expected<std::unique_ptr<Port>> open_iface_port(std::string name, std::string iface,
                                                const PortOptions& options);

}  // namespace ebpfaas::dataplane
