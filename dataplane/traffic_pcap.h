// Generated traffic into a pcap file: the work behind `ebpfaas gen`.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/pcap_file.h"
#include "dataplane/traffic.h"
#include "support/error.h"

namespace ebpfaas::dataplane {

struct TrafficPcapResult {
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;  // sum of frame lengths
  uint64_t file_bytes = 0;   // size of the pcap file
  uint64_t first_timestamp_ns = 0;
  uint64_t last_timestamp_ns = 0;
  double seconds = 0;  // wall-clock time of generation and writing
};

Expected<TrafficPcapResult> write_traffic_pcap(const TrafficOptions& options, uint64_t count,
                                               const std::string& path,
                                               const PcapWriterOptions& writer_options = {});

}  // namespace ebpfaas::dataplane
