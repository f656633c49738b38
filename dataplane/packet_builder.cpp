#include "dataplane/packet_builder.h"

#include <algorithm>
#include <cstring>

#include "dataplane/checksum.h"

namespace ebpfaas::dataplane {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

const char* kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kEthernet:
      return "ethernet";
    case LayerKind::kVlan:
      return "vlan";
    case LayerKind::kIpv4:
      return "ipv4";
    case LayerKind::kIpv6:
      return "ipv6";
    case LayerKind::kUdp:
      return "udp";
    case LayerKind::kTcp:
      return "tcp";
    case LayerKind::kIcmp:
      return "icmp";
    case LayerKind::kIcmpv6:
      return "icmpv6";
    case LayerKind::kRaw:
      return "raw";
  }
  return "?";
}

size_t padded4(size_t n) {
  return (n + 3) & ~size_t{3};
}

// std::copy rather than memcpy: empty spans may carry a null pointer.
void put(std::vector<uint8_t>& out, size_t at, std::span<const uint8_t> bytes) {
  std::copy(bytes.begin(), bytes.end(), out.begin() + static_cast<ptrdiff_t>(at));
}

// The stored value of a checksum field: the override, else the computed value,
// optionally made wrong. Flipping the low bit changes the one's complement sum
// by one, which never aliases to the other representation of zero, so the
// result always fails verification.
uint16_t checksum_value(std::optional<uint16_t> override_value, bool corrupt, uint16_t computed) {
  uint16_t v = override_value.value_or(computed);
  return corrupt ? static_cast<uint16_t>(v ^ 1) : v;
}

}  // namespace

std::optional<size_t> BuiltPacket::offset_of(LayerKind kind, size_t nth) const {
  for (const LayerSpan& l : layers) {
    if (l.kind != kind) continue;
    if (nth-- == 0) return l.offset;
  }
  return std::nullopt;
}

PacketBuilder& PacketBuilder::ethernet(const EthernetHeader& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::vlan(const VlanTag& tag) {
  layers_.emplace_back(tag);
  return *this;
}
PacketBuilder& PacketBuilder::ipv4(const Ipv4Header& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::ipv6(const Ipv6Header& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::udp(const UdpHeader& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::tcp(const TcpHeader& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::icmp(const IcmpHeader& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::icmpv6(const Icmpv6Header& h) {
  layers_.emplace_back(h);
  return *this;
}
PacketBuilder& PacketBuilder::raw(std::span<const uint8_t> bytes) {
  layers_.emplace_back(Raw{{bytes.begin(), bytes.end()}});
  return *this;
}
PacketBuilder& PacketBuilder::raw(std::initializer_list<uint8_t> bytes) {
  return raw(std::span<const uint8_t>(bytes.begin(), bytes.size()));
}
PacketBuilder& PacketBuilder::payload(std::span<const uint8_t> bytes) {
  payload_.assign(bytes.begin(), bytes.end());
  return *this;
}
PacketBuilder& PacketBuilder::payload(std::initializer_list<uint8_t> bytes) {
  return payload(std::span<const uint8_t>(bytes.begin(), bytes.size()));
}
PacketBuilder& PacketBuilder::payload(std::string_view text) {
  payload_.assign(text.begin(), text.end());
  return *this;
}
PacketBuilder& PacketBuilder::frame_size(size_t n) {
  frame_size_ = n;
  return *this;
}
PacketBuilder& PacketBuilder::trailer(std::span<const uint8_t> bytes) {
  trailer_.assign(bytes.begin(), bytes.end());
  return *this;
}
PacketBuilder& PacketBuilder::trailer(std::initializer_list<uint8_t> bytes) {
  return trailer(std::span<const uint8_t>(bytes.begin(), bytes.size()));
}
PacketBuilder& PacketBuilder::truncate(size_t n) {
  truncate_ = n;
  return *this;
}
PacketBuilder& PacketBuilder::patch(size_t offset, std::span<const uint8_t> bytes) {
  patches_.push_back(Patch{offset, {bytes.begin(), bytes.end()}});
  return *this;
}
PacketBuilder& PacketBuilder::patch(size_t offset, std::initializer_list<uint8_t> bytes) {
  return patch(offset, std::span<const uint8_t>(bytes.begin(), bytes.size()));
}

Expected<std::vector<uint8_t>> PacketBuilder::build() const {
  auto built = build_with_layout();
  if (!built) return built.error();
  return std::move(built->bytes);
}

Expected<BuiltPacket> PacketBuilder::build_with_layout() const {
  const size_t n = layers_.size();
  auto kind_of = [](const Layer& l) {
    return std::visit(Overloaded{[](const EthernetHeader&) { return LayerKind::kEthernet; },
                                 [](const VlanTag&) { return LayerKind::kVlan; },
                                 [](const Ipv4Header&) { return LayerKind::kIpv4; },
                                 [](const Ipv6Header&) { return LayerKind::kIpv6; },
                                 [](const UdpHeader&) { return LayerKind::kUdp; },
                                 [](const TcpHeader&) { return LayerKind::kTcp; },
                                 [](const IcmpHeader&) { return LayerKind::kIcmp; },
                                 [](const Icmpv6Header&) { return LayerKind::kIcmpv6; },
                                 [](const Raw&) { return LayerKind::kRaw; }},
                      l);
  };
  auto where = [&](size_t i) {
    return fmt::format("layer {} ({})", i + 1, kind_name(kind_of(layers_[i])));
  };
  // The number the previous layer stores to announce layer i.
  auto ethertype_of = [&](size_t i) -> std::optional<uint16_t> {
    if (i >= n) return std::nullopt;
    switch (kind_of(layers_[i])) {
      case LayerKind::kVlan:
        return std::get<VlanTag>(layers_[i]).tpid;
      case LayerKind::kIpv4:
        return ethertype::kIpv4;
      case LayerKind::kIpv6:
        return ethertype::kIpv6;
      default:
        return std::nullopt;
    }
  };
  auto ipproto_of = [&](size_t i) -> std::optional<uint8_t> {
    if (i >= n) return std::nullopt;
    switch (kind_of(layers_[i])) {
      case LayerKind::kIpv4:
        return ipproto::kIpip;
      case LayerKind::kIpv6:
        return ipproto::kIpv6;
      case LayerKind::kUdp:
        return ipproto::kUdp;
      case LayerKind::kTcp:
        return ipproto::kTcp;
      case LayerKind::kIcmp:
        return ipproto::kIcmp;
      case LayerKind::kIcmpv6:
        return ipproto::kIcmpv6;
      default:
        return std::nullopt;
    }
  };

  // Pass 1: validate and lay out.
  BuiltPacket out;
  size_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t len = 0;
    const Layer& layer = layers_[i];
    switch (kind_of(layer)) {
      case LayerKind::kEthernet: {
        len = kEthernetHeaderLen;
        if (!std::get<EthernetHeader>(layer).ethertype && !ethertype_of(i + 1))
          return errorf("{}: set ethertype: the next layer has no EtherType of its own", where(i));
        break;
      }
      case LayerKind::kVlan: {
        const auto& t = std::get<VlanTag>(layer);
        if (t.id > 4095) return errorf("{}: VLAN id {} is above 4095", where(i), t.id);
        if (t.pcp > 7) return errorf("{}: priority (pcp) {} is above 7", where(i), t.pcp);
        if (i == 0 || (kind_of(layers_[i - 1]) != LayerKind::kEthernet &&
                       kind_of(layers_[i - 1]) != LayerKind::kVlan))
          return errorf("{}: a VLAN tag must follow an Ethernet header or another tag", where(i));
        if (!t.ethertype && !ethertype_of(i + 1))
          return errorf("{}: set ethertype: the next layer has no EtherType of its own", where(i));
        len = kVlanTagLen;
        break;
      }
      case LayerKind::kIpv4: {
        const auto& h = std::get<Ipv4Header>(layer);
        if (h.options.size() > kIpv4MaxOptionsLen)
          return errorf("{}: {} option bytes, at most {} fit", where(i), h.options.size(),
                        kIpv4MaxOptionsLen);
        if (h.ihl && *h.ihl > 15) return errorf("{}: ihl {} does not fit 4 bits", where(i), *h.ihl);
        if (h.fragment_offset > 8191)
          return errorf("{}: fragment offset {} does not fit 13 bits", where(i), h.fragment_offset);
        if (!h.protocol && !ipproto_of(i + 1))
          return errorf("{}: set protocol: the next layer has no IP protocol number", where(i));
        len = kIpv4HeaderLen + padded4(h.options.size());
        break;
      }
      case LayerKind::kIpv6: {
        const auto& h = std::get<Ipv6Header>(layer);
        if (h.flow_label > 0xfffff)
          return errorf("{}: flow label {:#x} does not fit 20 bits", where(i), h.flow_label);
        if (!h.next_header && !ipproto_of(i + 1))
          return errorf("{}: set next_header: the next layer has no IP protocol number", where(i));
        len = kIpv6HeaderLen;
        break;
      }
      case LayerKind::kUdp:
        len = kUdpHeaderLen;
        break;
      case LayerKind::kTcp: {
        const auto& h = std::get<TcpHeader>(layer);
        if (h.options.size() > kTcpMaxOptionsLen)
          return errorf("{}: {} option bytes, at most {} fit", where(i), h.options.size(),
                        kTcpMaxOptionsLen);
        if (h.data_offset && *h.data_offset > 15)
          return errorf("{}: data offset {} does not fit 4 bits", where(i), *h.data_offset);
        len = kTcpHeaderLen + padded4(h.options.size());
        break;
      }
      case LayerKind::kIcmp:
      case LayerKind::kIcmpv6:
        len = kIcmpHeaderLen;
        break;
      case LayerKind::kRaw:
        len = std::get<Raw>(layer).bytes.size();
        break;
    }
    out.layers.push_back(LayerSpan{kind_of(layer), offset, len});
    offset += len;
  }
  const size_t headers = offset;
  size_t payload_len = payload_.size();
  if (frame_size_) {
    const size_t fixed = headers + payload_.size() + trailer_.size();
    if (*frame_size_ < fixed)
      return errorf("frame size {} is smaller than the {} bytes of headers, payload and trailer",
                    *frame_size_, fixed);
    payload_len = *frame_size_ - headers - trailer_.size();
  }
  const size_t end = headers + payload_len;  // end of the datagram: lengths stop here
  out.payload_offset = headers;
  out.payload_length = payload_len;
  std::vector<uint8_t>& b = out.bytes;
  b.assign(end + trailer_.size(), 0);
  put(b, headers, payload_);
  put(b, end, trailer_);

  // Pass 2: headers, with lengths (which only depend on the layout).
  for (size_t i = 0; i < n; ++i) {
    const size_t o = out.layers[i].offset;
    uint8_t* p = b.data() + o;
    const Layer& layer = layers_[i];
    switch (kind_of(layer)) {
      case LayerKind::kEthernet: {
        const auto& h = std::get<EthernetHeader>(layer);
        put(b, o, h.dst.bytes);
        put(b, o + 6, h.src.bytes);
        store_be16(p + 12, h.ethertype ? *h.ethertype : *ethertype_of(i + 1));
        break;
      }
      case LayerKind::kVlan: {
        const auto& t = std::get<VlanTag>(layer);
        store_be16(p, static_cast<uint16_t>(t.pcp << 13 | (t.dei ? 1 << 12 : 0) | t.id));
        store_be16(p + 2, t.ethertype ? *t.ethertype : *ethertype_of(i + 1));
        break;
      }
      case LayerKind::kIpv4: {
        const auto& h = std::get<Ipv4Header>(layer);
        const size_t hlen = out.layers[i].length;
        p[0] = static_cast<uint8_t>(0x40 | h.ihl.value_or(static_cast<uint8_t>(hlen / 4)));
        p[1] = h.tos;
        const size_t total = end - o;
        if (!h.total_length && total > 0xffff)
          return errorf("{}: the datagram is {} bytes, more than IPv4 can describe", where(i),
                        total);
        store_be16(p + 2, h.total_length.value_or(static_cast<uint16_t>(total)));
        store_be16(p + 4, h.id);
        store_be16(p + 6,
                   static_cast<uint16_t>((h.dont_fragment ? 0x4000 : 0) |
                                         (h.more_fragments ? 0x2000 : 0) | h.fragment_offset));
        p[8] = h.ttl;
        p[9] = h.protocol ? *h.protocol : *ipproto_of(i + 1);
        put(b, o + 12, h.src.bytes);
        put(b, o + 16, h.dst.bytes);
        put(b, o + 20, h.options);
        break;
      }
      case LayerKind::kIpv6: {
        const auto& h = std::get<Ipv6Header>(layer);
        store_be32(p, 0x60000000u | uint32_t{h.traffic_class} << 20 | h.flow_label);
        const size_t plen = end - o - kIpv6HeaderLen;
        if (!h.payload_length && plen > 0xffff)
          return errorf("{}: the payload is {} bytes; jumbograms are not supported", where(i),
                        plen);
        store_be16(p + 4, h.payload_length.value_or(static_cast<uint16_t>(plen)));
        p[6] = h.next_header ? *h.next_header : *ipproto_of(i + 1);
        p[7] = h.hop_limit;
        put(b, o + 8, h.src.bytes);
        put(b, o + 24, h.dst.bytes);
        break;
      }
      case LayerKind::kUdp: {
        const auto& h = std::get<UdpHeader>(layer);
        store_be16(p, h.src_port);
        store_be16(p + 2, h.dst_port);
        const size_t len = end - o;
        if (!h.length && len > 0xffff)
          return errorf("{}: the datagram is {} bytes, more than UDP can describe", where(i), len);
        store_be16(p + 4, h.length.value_or(static_cast<uint16_t>(len)));
        break;
      }
      case LayerKind::kTcp: {
        const auto& h = std::get<TcpHeader>(layer);
        store_be16(p, h.src_port);
        store_be16(p + 2, h.dst_port);
        store_be32(p + 4, h.seq);
        store_be32(p + 8, h.ack);
        p[12] = static_cast<uint8_t>(
            h.data_offset.value_or(static_cast<uint8_t>(out.layers[i].length / 4)) << 4);
        p[13] = h.flags;
        store_be16(p + 14, h.window);
        store_be16(p + 18, h.urgent_pointer);
        put(b, o + 20, h.options);
        break;
      }
      case LayerKind::kIcmp: {
        const auto& h = std::get<IcmpHeader>(layer);
        p[0] = h.type;
        p[1] = h.code;
        store_be16(p + 4, h.id);
        store_be16(p + 6, h.seq);
        break;
      }
      case LayerKind::kIcmpv6: {
        const auto& h = std::get<Icmpv6Header>(layer);
        p[0] = h.type;
        p[1] = h.code;
        store_be16(p + 4, h.id);
        store_be16(p + 6, h.seq);
        break;
      }
      case LayerKind::kRaw:
        put(b, o, std::get<Raw>(layer).bytes);
        break;
    }
  }

  // Pass 3: checksums, innermost first, since an outer one covers inner ones.
  // The pseudo-header of a transport layer is that of the nearest IP layer
  // before it.
  auto pseudo = [&](size_t i, uint8_t proto) -> std::optional<uint64_t> {
    const uint32_t len = static_cast<uint32_t>(end - out.layers[i].offset);
    for (size_t j = i; j-- > 0;) {
      if (const auto* v4 = std::get_if<Ipv4Header>(&layers_[j]))
        return pseudo_header_sum(v4->src, v4->dst, proto, len);
      if (const auto* v6 = std::get_if<Ipv6Header>(&layers_[j]))
        return pseudo_header_sum(v6->src, v6->dst, proto, len);
    }
    return std::nullopt;
  };
  for (size_t i = n; i-- > 0;) {
    const size_t o = out.layers[i].offset;
    uint8_t* p = b.data() + o;
    const std::span<const uint8_t> rest(b.data() + o, end - o);
    const Layer& layer = layers_[i];
    switch (kind_of(layer)) {
      case LayerKind::kIpv4: {
        const auto& h = std::get<Ipv4Header>(layer);
        const uint16_t c = internet_checksum(rest.first(out.layers[i].length));
        store_be16(p + 10, checksum_value(h.checksum, h.corrupt_checksum, c));
        break;
      }
      case LayerKind::kUdp: {
        const auto& h = std::get<UdpHeader>(layer);
        uint16_t c = 0;
        if (!h.checksum) {
          auto ph = pseudo(i, ipproto::kUdp);
          if (!ph)
            return errorf("{}: no IP layer before it for the checksum pseudo-header; set checksum",
                          where(i));
          c = checksum_finish(checksum_add(*ph, rest));
          if (c == 0) c = 0xffff;  // RFC 768: zero means "no checksum"
        }
        store_be16(p + 6, checksum_value(h.checksum, h.corrupt_checksum, c));
        break;
      }
      case LayerKind::kTcp: {
        const auto& h = std::get<TcpHeader>(layer);
        uint16_t c = 0;
        if (!h.checksum) {
          auto ph = pseudo(i, ipproto::kTcp);
          if (!ph)
            return errorf("{}: no IP layer before it for the checksum pseudo-header; set checksum",
                          where(i));
          c = checksum_finish(checksum_add(*ph, rest));
        }
        store_be16(p + 16, checksum_value(h.checksum, h.corrupt_checksum, c));
        break;
      }
      case LayerKind::kIcmp: {
        const auto& h = std::get<IcmpHeader>(layer);
        store_be16(p + 2, checksum_value(h.checksum, h.corrupt_checksum, internet_checksum(rest)));
        break;
      }
      case LayerKind::kIcmpv6: {
        const auto& h = std::get<Icmpv6Header>(layer);
        uint16_t c = 0;
        if (!h.checksum) {
          auto ph = pseudo(i, ipproto::kIcmpv6);
          if (!ph)
            return errorf("{}: no IP layer before it for the checksum pseudo-header; set checksum",
                          where(i));
          c = checksum_finish(checksum_add(*ph, rest));
        }
        store_be16(p + 2, checksum_value(h.checksum, h.corrupt_checksum, c));
        break;
      }
      default:
        break;
    }
  }

  if (truncate_) {
    if (*truncate_ > b.size())
      return errorf("truncate to {} bytes: the frame is only {} bytes", *truncate_, b.size());
    b.resize(*truncate_);
  }
  for (const Patch& patch : patches_) {
    if (patch.offset + patch.bytes.size() > b.size())
      return errorf("patch of {} bytes at offset {} runs past the {}-byte frame",
                    patch.bytes.size(), patch.offset, b.size());
    put(b, patch.offset, patch.bytes);
  }
  return out;
}

}  // namespace ebpfaas::dataplane
