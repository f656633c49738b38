#include "dataplane/traffic.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/packet_builder.h"

namespace ebpfaas::dataplane {
namespace {

constexpr size_t kMinWireFrame = 60;  // shorter frames are padded on the link

uint8_t address_bits(IpVersion v) {
  return v == IpVersion::kIpv4 ? 32 : 128;
}
const char* version_name(IpVersion v) {
  return v == IpVersion::kIpv4 ? "IPv4" : "IPv6";
}

// A uniformly random address of the prefix: the prefix bits of base, random host bits.
void draw_address(Random& rng, const IpPrefix& p, uint8_t* out) {
  const size_t bytes = address_bits(p.version) / 8;
  for (size_t i = 0; i < bytes; i += 8) {
    uint64_t r = rng.next();
    for (size_t k = i; k < std::min(bytes, i + 8); ++k, r >>= 8) {
      const int bits_into_prefix = static_cast<int>(p.length) - static_cast<int>(8 * k);
      const uint8_t mask = bits_into_prefix >= 8 ? 0xff
                           : bits_into_prefix <= 0
                               ? 0
                               : static_cast<uint8_t>(0xff << (8 - bits_into_prefix));
      out[k] = static_cast<uint8_t>((p.base[k] & mask) | (r & ~mask & 0xff));
    }
  }
}

// ceil(1e9 / rate * 2^64): nanoseconds per packet (or per bit) in 64.64 fixed
// point, never below the true value, so that floor(i * step) is the exact
// floor(i * 1e9 / rate) whenever that is an integer (e.g. 1000 ns per packet
// at 1 Mpps), and otherwise off by less than 2^-64 ns per step. Exact integer
// arithmetic on the rate's binary value, so the same on every machine.
unsigned __int128 fixed_point_ns_per_unit(double rate) {
  int exp = 0;
  const double f = std::frexp(rate, &exp);  // rate = f * 2^exp, f in [0.5, 1)
  uint64_t m = static_cast<uint64_t>(std::ldexp(f, 53));
  int e = exp - 53;  // rate = m * 2^e exactly
  while ((m & 1) == 0) m >>= 1, ++e;
  int shift = 64 - e;            // step = ceil(1e9 * 2^shift / m)
  constexpr int kMaxShift = 97;  // 1e9 < 2^30: 1e9 << 97 still fits 128 bits
  if (shift > kMaxShift) {
    // Drop low bits of m: a smaller divisor only makes the step larger.
    m >>= shift - kMaxShift;
    shift = kMaxShift;
  }
  const unsigned __int128 billion = 1'000'000'000;
  if (shift >= 0) return ((billion << shift) + m - 1) / m;
  const unsigned __int128 den = static_cast<unsigned __int128>(m) << -shift;
  return (billion + den - 1) / den;
}

// Hash of what makes a flow distinct: protocol, addresses and ports.
uint64_t flow_key_hash(uint8_t protocol, const uint8_t* addrs, const uint8_t* ports) {
  uint64_t h = (protocol + 1) * 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 4; ++i) {
    uint64_t w;
    std::memcpy(&w, addrs + 8 * i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  uint32_t p;
  std::memcpy(&p, ports, 4);
  h = (h ^ p) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

}  // namespace

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kUdp:
      return "udp";
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kIcmp:
      return "icmp";
  }
  return "?";
}

IpPrefix IpPrefix::v4(Ipv4Address a, uint8_t len) {
  IpPrefix p;
  p.version = IpVersion::kIpv4;
  std::copy(a.bytes.begin(), a.bytes.end(), p.base.begin());
  p.length = len;
  return p;
}

IpPrefix IpPrefix::v6(Ipv6Address a, uint8_t len) {
  IpPrefix p;
  p.version = IpVersion::kIpv6;
  p.base = a.bytes;
  p.length = len;
  return p;
}

std::string IpPrefix::to_string() const {
  if (version == IpVersion::kIpv4) {
    Ipv4Address a;
    std::copy_n(base.begin(), 4, a.bytes.begin());
    return fmt::format("{}/{}", a.to_string(), length);
  }
  return fmt::format("{}/{}", Ipv6Address{base}.to_string(), length);
}

Expected<TrafficGenerator> TrafficGenerator::create(const TrafficOptions& options) {
  const TrafficOptions& o = options;
  switch (o.size.kind) {
    case SizeSpec::Kind::kFixed:
    case SizeSpec::Kind::kRange:
      if (o.size.min > o.size.max)
        return errorf("size range {}-{} is empty", o.size.min, o.size.max);
      if (o.size.min < kMinFrameSize || o.size.max > kMaxFrameSize)
        return errorf("size {} is outside {}..{} bytes",
                      o.size.min < kMinFrameSize ? o.size.min : o.size.max, kMinFrameSize,
                      kMaxFrameSize);
      break;
    case SizeSpec::Kind::kImix:
      break;
  }
  if (o.flows == 0 || o.flows > kMaxFlows)
    return errorf("flows {} is outside 1..{}", o.flows, kMaxFlows);
  if (o.distribution.kind == FlowDistribution::Kind::kZipf &&
      !(std::isfinite(o.distribution.s) && o.distribution.s >= 0))
    return errorf("Zipf exponent {} must be a finite number >= 0", o.distribution.s);
  if (uint64_t{o.protocols.udp} + o.protocols.tcp + o.protocols.icmp == 0)
    return errorf("protocol mix has no protocol with a positive weight");
  if (uint64_t{o.protocols.udp} + o.protocols.tcp + o.protocols.icmp > UINT32_MAX)
    return errorf("protocol mix weights sum above 2^32");
  if (o.src_ports.first > o.src_ports.last)
    return errorf("source port range {}-{} is empty", o.src_ports.first, o.src_ports.last);
  if (o.dst_ports.first > o.dst_ports.last)
    return errorf("destination port range {}-{} is empty", o.dst_ports.first, o.dst_ports.last);
  if (o.vlan && *o.vlan > 4095) return errorf("VLAN id {} is above 4095", *o.vlan);
  if (o.src_mac.first > o.src_mac.last)
    return errorf("source MAC range {}-{} is empty", o.src_mac.first.to_string(),
                  o.src_mac.last.to_string());
  if (o.dst_mac.first > o.dst_mac.last)
    return errorf("destination MAC range {}-{} is empty", o.dst_mac.first.to_string(),
                  o.dst_mac.last.to_string());
  if (!(std::isfinite(o.timing.rate) && o.timing.rate >= kMinRate && o.timing.rate <= kMaxRate))
    return errorf("rate {} is outside {}..{}", o.timing.rate, kMinRate, kMaxRate);

  TrafficGenerator g;
  g.options_ = o;
  g.rng_ = Random(o.seed);
  if (o.ip_version) {
    g.version_ = *o.ip_version;
  } else {
    const bool v6 = (o.src && o.src->version == IpVersion::kIpv6) ||
                    (o.dst && o.dst->version == IpVersion::kIpv6);
    g.version_ = v6 ? IpVersion::kIpv6 : IpVersion::kIpv4;
  }
  const bool v4 = g.version_ == IpVersion::kIpv4;
  g.src_ = o.src ? *o.src : v4 ? IpPrefix::v4(kDefaultSrcV4, 16) : IpPrefix::v6(kDefaultSrcV6, 64);
  g.dst_ = o.dst ? *o.dst : v4 ? IpPrefix::v4(kDefaultDstV4, 16) : IpPrefix::v6(kDefaultDstV6, 64);
  for (const auto& [name, p] : {std::pair{"source", &g.src_}, std::pair{"destination", &g.dst_}}) {
    if (p->version != g.version_)
      return errorf("{} prefix {} is {} but the traffic is {}", name, p->to_string(),
                    version_name(p->version), version_name(g.version_));
    if (p->length > address_bits(p->version))
      return errorf("{} prefix length /{} is above /{}", name, p->length, address_bits(p->version));
  }
  g.step_ = fixed_point_ns_per_unit(o.timing.rate);
  g.l3_offset_ = static_cast<uint32_t>(kEthernetHeaderLen + (o.vlan ? kVlanTagLen : 0));
  EBPFAAS_TRY(g.make_templates());
  EBPFAAS_TRY(g.make_flows());
  if (o.distribution.kind == FlowDistribution::Kind::kZipf) {
    auto table = AliasTable::create(zipf_weights(o.flows, o.distribution.s));
    if (!table) return table.error();
    g.popularity_ = std::move(*table);
  }
  for (uint32_t i = 0; i < kLookahead; ++i) {
    if (g.popularity_) {
      g.upcoming_[i] = g.popularity_->sample(g.rng_);
      g.drawn_[i] = g.popularity_->draw(g.rng_);
    } else {
      g.upcoming_[i] = static_cast<uint32_t>(g.rng_.below(g.flows_.size()));
    }
  }
  return g;
}

Status TrafficGenerator::make_templates() {
  const bool v4 = version_ == IpVersion::kIpv4;
  size_t longest_header = 0;
  for (Protocol p : {Protocol::kUdp, Protocol::kTcp, Protocol::kIcmp}) {
    PacketBuilder b;
    b.ethernet();
    if (options_.vlan) b.vlan({.id = *options_.vlan});
    if (v4) {
      b.ipv4({.ttl = 64});
    } else {
      b.ipv6({.hop_limit = 64});
    }
    switch (p) {
      case Protocol::kUdp:
        b.udp();
        break;
      case Protocol::kTcp:
        b.tcp({.seq = 1, .ack = 1, .flags = tcpflag::kAck});
        break;
      case Protocol::kIcmp:
        if (v4) {
          b.icmp({.seq = 1});
        } else {
          b.icmpv6({.seq = 1});
        }
        break;
    }
    auto built = b.build_with_layout();
    if (!built) return built.error().context("traffic template");
    Template& t = templates_[static_cast<size_t>(p)];
    t.frame = std::move(built->bytes);
    t.header_len = static_cast<uint32_t>(t.frame.size());
    t.l4_offset = static_cast<uint32_t>(built->layers.back().offset);
    // Per-flow and per-packet fields start from zero so that partial sums
    // computed over the template only hold the constant fields.
    uint8_t* f = t.frame.data();
    std::memset(f, 0, 12);  // MACs
    if (v4) {
      std::memset(f + l3_offset_ + 2, 0, 2);    // total length
      std::memset(f + l3_offset_ + 10, 0, 10);  // checksum, addresses
    } else {
      std::memset(f + l3_offset_ + 4, 0, 2);   // payload length
      std::memset(f + l3_offset_ + 8, 0, 32);  // addresses
    }
    uint8_t* l4 = f + t.l4_offset;
    switch (p) {
      case Protocol::kUdp:
        std::memset(l4, 0, 8);
        break;
      case Protocol::kTcp:
        std::memset(l4, 0, 4);
        std::memset(l4 + 16, 0, 2);
        break;
      case Protocol::kIcmp:
        std::memset(l4 + 2, 0, 6);
        break;
    }
    longest_header = std::max<size_t>(longest_header, t.header_len);
  }
  max_frame_ = std::max<size_t>(longest_header, options_.size.max);
  for (Template& t : templates_) t.frame.resize(max_frame_, 0);
  return {};
}

Status TrafficGenerator::make_flows() {
  const TrafficOptions& o = options_;
  const bool v4 = version_ == IpVersion::kIpv4;
  const uint32_t weights[3] = {o.protocols.udp, o.protocols.tcp, o.protocols.icmp};
  const uint64_t weight_sum = uint64_t{weights[0]} + weights[1] + weights[2];

  // How many distinct 5-tuples the ranges hold (saturating in long double).
  const long double srcs = std::ldexp(1.0L, address_bits(version_) - src_.length);
  const long double dsts = std::ldexp(1.0L, address_bits(version_) - dst_.length);
  const long double sports = o.src_ports.last - o.src_ports.first + 1.0L;
  const long double dports = o.dst_ports.last - o.dst_ports.first + 1.0L;
  const long double space = srcs * dsts *
                            ((weights[0] ? sports * dports : 0) +
                             (weights[1] ? sports * dports : 0) + (weights[2] ? sports : 0));
  if (static_cast<long double>(o.flows) > space)
    return errorf(
        "{} flows asked, but the ranges hold only {} distinct flows (source {}, destination {}, "
        "source ports {}-{}, destination ports {}-{}); widen them or ask for fewer",
        o.flows, static_cast<uint64_t>(space), src_.to_string(), dst_.to_string(),
        o.src_ports.first, o.src_ports.last, o.dst_ports.first, o.dst_ports.last);

  // Distinctness: open addressing over indices into flows_ (+1; 0 is empty),
  // at most half full; much lighter than a node-based set for millions of flows.
  std::vector<uint32_t> slots(std::bit_ceil(2 * size_t{o.flows} + 2), 0);
  const size_t mask = slots.size() - 1;
  auto insert_if_new = [&](const FlowRecord& r) {
    for (size_t i = flow_key_hash(r.protocol, r.addrs, r.ports) & mask;; i = (i + 1) & mask) {
      if (slots[i] == 0) {
        slots[i] = static_cast<uint32_t>(flows_.size() + 1);
        return true;
      }
      const FlowRecord& other = flows_[slots[i] - 1];
      if (other.protocol == r.protocol && std::memcmp(other.addrs, r.addrs, 32) == 0 &&
          std::memcmp(other.ports, r.ports, 4) == 0)
        return false;
    }
  };
  flows_.reserve(o.flows);
  // Rejection sampling; the cap only trips when the ranges are nearly
  // exhausted and collisions dominate.
  const uint64_t max_draws = 64 * uint64_t{o.flows} + 1'000'000;
  uint64_t draws = 0;
  while (flows_.size() < o.flows) {
    if (++draws > max_draws)
      return errorf("found only {} distinct flows of {} after {} draws; widen the ranges",
                    flows_.size(), o.flows, max_draws);
    FlowRecord r{};
    const uint64_t w = rng_.below(weight_sum);
    const Protocol p = w < weights[0]                ? Protocol::kUdp
                       : w < weights[0] + weights[1] ? Protocol::kTcp
                                                     : Protocol::kIcmp;
    r.protocol = static_cast<uint8_t>(p);
    const size_t alen = v4 ? 4 : 16;
    draw_address(rng_, src_, r.addrs);
    draw_address(rng_, dst_, r.addrs + alen);
    const uint16_t sport = static_cast<uint16_t>(rng_.between(o.src_ports.first, o.src_ports.last));
    const uint16_t dport =
        p == Protocol::kIcmp
            ? 1  // ICMP: sequence number
            : static_cast<uint16_t>(rng_.between(o.dst_ports.first, o.dst_ports.last));
    store_be16(r.ports, sport);
    store_be16(r.ports + 2, dport);
    const MacAddress smac =
        MacAddress::from_value(rng_.between(o.src_mac.first.value(), o.src_mac.last.value()));
    const MacAddress dmac =
        MacAddress::from_value(rng_.between(o.dst_mac.first.value(), o.dst_mac.last.value()));
    std::memcpy(r.macs, dmac.bytes.data(), 6);
    std::memcpy(r.macs + 6, smac.bytes.data(), 6);

    if (!insert_if_new(r)) continue;

    // Partial sums: the template with this flow's fields, lengths still zero.
    const Template& t = templates_[r.protocol];
    uint8_t scratch[128];
    std::memcpy(scratch, t.frame.data(), t.header_len);
    uint8_t* ip = scratch + l3_offset_;
    uint8_t* l4 = scratch + t.l4_offset;
    std::memcpy(ip + (v4 ? 12 : 8), r.addrs, 2 * alen);
    std::memcpy(p == Protocol::kIcmp ? l4 + 4 : l4, r.ports, 4);
    if (v4) r.ip_sum = checksum_fold(checksum_add(0, {ip, kIpv4HeaderLen}));
    uint64_t sum = checksum_add(0, {l4, t.header_len - t.l4_offset});
    if (p != Protocol::kIcmp || !v4) {
      const uint8_t proto = p == Protocol::kUdp   ? ipproto::kUdp
                            : p == Protocol::kTcp ? ipproto::kTcp
                                                  : ipproto::kIcmpv6;
      if (v4) {
        Ipv4Address s, d;
        std::memcpy(s.bytes.data(), r.addrs, 4);
        std::memcpy(d.bytes.data(), r.addrs + 4, 4);
        sum += pseudo_header_sum(s, d, proto, 0);
      } else {
        Ipv6Address s, d;
        std::memcpy(s.bytes.data(), r.addrs, 16);
        std::memcpy(d.bytes.data(), r.addrs + 16, 16);
        sum += pseudo_header_sum(s, d, proto, 0);
      }
    }
    r.l4_sum = checksum_fold(sum);
    flows_.push_back(r);
  }
  return {};
}

uint32_t TrafficGenerator::next_size() {
  const SizeSpec& s = options_.size;
  switch (s.kind) {
    case SizeSpec::Kind::kFixed:
      return s.min;
    case SizeSpec::Kind::kRange:
      return static_cast<uint32_t>(rng_.between(s.min, s.max));
    case SizeSpec::Kind::kImix:
      if (imix_pos_ == imix_run_.size()) {
        size_t k = 0;
        for (const ImixEntry& e : kSimpleImix)
          for (uint32_t i = 0; i < e.weight; ++i) imix_run_[k++] = e.size;
        for (size_t i = imix_run_.size() - 1; i > 0; --i)
          std::swap(imix_run_[i], imix_run_[rng_.below(i + 1)]);
        imix_pos_ = 0;
      }
      return imix_run_[imix_pos_++];
  }
  return s.min;
}

void TrafficGenerator::prefetch_flow(uint32_t index) const {
  const char* p = reinterpret_cast<const char*>(&flows_[index]);
  __builtin_prefetch(p);
  __builtin_prefetch(p + sizeof(FlowRecord) - 1);  // records may straddle two lines
}

uint32_t TrafficGenerator::next_flow() {
  const uint32_t slot = ahead_;
  ahead_ = (ahead_ + 1) % kLookahead;
  const uint32_t index = upcoming_[slot];
  if (popularity_) {
    upcoming_[slot] = popularity_->resolve(drawn_[slot]);
    drawn_[slot] = popularity_->draw(rng_);
    popularity_->prefetch(drawn_[slot]);
  } else {
    upcoming_[slot] = static_cast<uint32_t>(rng_.below(flows_.size()));
  }
  prefetch_flow(upcoming_[slot]);
  return index;
}

GeneratedPacket TrafficGenerator::next(uint8_t* frame) {
  const uint32_t index = next_flow();
  const FlowRecord& r = flows_[index];
  const Template& t = templates_[r.protocol];
  const uint32_t size = std::max(next_size(), t.header_len);

  std::memcpy(frame, t.frame.data(), size);
  std::memcpy(frame, r.macs, 12);
  uint8_t* ip = frame + l3_offset_;
  const bool v4 = version_ == IpVersion::kIpv4;
  if (v4) {
    const uint16_t total = static_cast<uint16_t>(size - l3_offset_);
    std::memcpy(ip + 12, r.addrs, 8);
    store_be16(ip + 2, total);
    store_be16(ip + 10, checksum_finish(uint64_t{r.ip_sum} + total));
  } else {
    std::memcpy(ip + 8, r.addrs, 32);
    store_be16(ip + 4, static_cast<uint16_t>(size - l3_offset_ - kIpv6HeaderLen));
  }
  uint8_t* l4 = frame + t.l4_offset;
  const uint16_t l4_len = static_cast<uint16_t>(size - t.l4_offset);
  switch (static_cast<Protocol>(r.protocol)) {
    case Protocol::kUdp: {
      std::memcpy(l4, r.ports, 4);
      store_be16(l4 + 4, l4_len);
      // The length is counted twice: pseudo-header and UDP header.
      const uint16_t c = checksum_finish(uint64_t{r.l4_sum} + 2u * l4_len);
      store_be16(l4 + 6, c == 0 ? 0xffff : c);
      break;
    }
    case Protocol::kTcp:
      std::memcpy(l4, r.ports, 4);
      store_be16(l4 + 16, checksum_finish(uint64_t{r.l4_sum} + l4_len));
      break;
    case Protocol::kIcmp:
      std::memcpy(l4 + 4, r.ports, 4);
      // ICMPv4 has no pseudo-header, and the zero payload adds nothing.
      store_be16(l4 + 2, checksum_finish(uint64_t{r.l4_sum} + (v4 ? 0u : l4_len)));
      break;
  }

  GeneratedPacket out{size, index, options_.timing.start_ns + static_cast<uint64_t>(clock_ >> 64)};
  if (options_.timing.kind == Timing::Kind::kPacketsPerSecond) {
    clock_ += step_;
  } else {
    clock_ += step_ * (8 * (std::max<uint64_t>(size, kMinWireFrame) + kEthernetWireOverhead));
  }
  ++count_;
  return out;
}

Flow TrafficGenerator::flow(size_t i) const {
  const FlowRecord& r = flows_.at(i);
  Flow f;
  f.version = version_;
  f.protocol = static_cast<Protocol>(r.protocol);
  std::memcpy(f.dst_mac.bytes.data(), r.macs, 6);
  std::memcpy(f.src_mac.bytes.data(), r.macs + 6, 6);
  const size_t alen = version_ == IpVersion::kIpv4 ? 4 : 16;
  std::memcpy(f.src_ip.data(), r.addrs, alen);
  std::memcpy(f.dst_ip.data(), r.addrs + alen, alen);
  f.src_port = load_be16(r.ports);
  f.dst_port = f.protocol == Protocol::kIcmp ? 0 : load_be16(r.ports + 2);
  return f;
}

}  // namespace ebpfaas::dataplane
