#include "loader/line_info.h"

#include <bpf/btf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "loader/libbpf_log.h"

namespace ebpfaas::loader {
namespace {

constexpr uint16_t kBtfMagic = 0xeB9F;

// The fixed part of struct btf_ext_header (libbpf_internal.h); offsets in the
// header are relative to its end (hdr_len).
struct ExtHeader {
  uint16_t magic;
  uint8_t version;
  uint8_t flags;
  uint32_t hdr_len;
  uint32_t func_info_off;
  uint32_t func_info_len;
  uint32_t line_info_off;
  uint32_t line_info_len;
};

struct ExtFree {
  void operator()(btf_ext* e) const { btf_ext__free(e); }
};

uint32_t read_u32(std::span<const uint8_t> s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, sizeof v);
  return v;
}

}  // namespace

Expected<LineTable> read_line_info(std::span<const uint8_t> ext, const BtfData& btf,
                                   const std::string& where) {
  {
    LibbpfLogCapture log;
    std::unique_ptr<btf_ext, ExtFree> parsed(
        btf_ext__new(ext.data(), static_cast<uint32_t>(ext.size())));
    if (!parsed) {
      std::string why = log.text();
      return errorf("{}: invalid .BTF.ext: {}", where,
                    why.empty() ? std::string(std::strerror(errno)) : why);
    }
  }
  ExtHeader h{};
  if (ext.size() < sizeof h) return errorf("{}: header truncated", where);
  std::memcpy(&h, ext.data(), sizeof h);
  if (h.magic != kBtfMagic) return errorf("{}: bad magic {:#x}", where, h.magic);
  const uint64_t start = static_cast<uint64_t>(h.hdr_len) + h.line_info_off;
  if (h.hdr_len < sizeof h || start > ext.size() || h.line_info_len > ext.size() - start)
    return errorf("{}: line info at offset {:#x} (+{:#x}) lies outside the section ({} bytes)",
                  where, start, h.line_info_len, ext.size());
  LineTable table;
  if (h.line_info_len == 0) return table;
  std::span<const uint8_t> info = ext.subspan(start, h.line_info_len);
  if (info.size() < 4) return errorf("{}: line info at offset {:#x} truncated", where, start);
  const uint32_t rec_size = read_u32(info, 0);
  if (rec_size < sizeof(bpf_line_info))
    return errorf("{}: line info record size {} is below {}", where, rec_size,
                  sizeof(bpf_line_info));
  size_t pos = 4;
  while (pos < info.size()) {
    if (info.size() - pos < 8)
      return errorf("{}: line info section header at offset {:#x} truncated", where, start + pos);
    const uint32_t sec_name_off = read_u32(info, pos);
    const uint32_t count = read_u32(info, pos + 4);
    pos += 8;
    if (static_cast<uint64_t>(count) * rec_size > info.size() - pos)
      return errorf("{}: {} line records at offset {:#x} run past the section", where, count,
                    start + pos);
    const char* sec_name = btf.name(sec_name_off);
    if (!sec_name)
      return errorf("{}: line info section name at offset {:#x} is not a BTF string", where,
                    start + pos - 8);
    std::vector<SectionLine>& lines = table[sec_name];
    for (uint32_t i = 0; i < count; ++i, pos += rec_size) {
      bpf_line_info rec;
      std::memcpy(&rec, info.data() + pos, sizeof rec);
      const char* file = btf.name(rec.file_name_off);
      const char* text = btf.name(rec.line_off);
      if (!file || !text || rec.insn_off % sizeof(bpf_insn) != 0) continue;
      lines.push_back({rec.insn_off / static_cast<uint32_t>(sizeof(bpf_insn)), file,
                       BPF_LINE_INFO_LINE_NUM(rec.line_col), BPF_LINE_INFO_LINE_COL(rec.line_col),
                       text});
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const SectionLine& a, const SectionLine& b) { return a.insn < b.insn; });
  }
  return table;
}

size_t count_core_relocations(std::span<const uint8_t> ext) {
  // The optional part of the header: core_relo_off, core_relo_len.
  constexpr size_t kCoreHeaderEnd = sizeof(ExtHeader) + 8;
  if (ext.size() < kCoreHeaderEnd) return 0;
  const uint32_t hdr_len = read_u32(ext, 4);
  if (hdr_len < kCoreHeaderEnd) return 0;
  const uint64_t start = uint64_t{hdr_len} + read_u32(ext, sizeof(ExtHeader));
  const uint32_t len = read_u32(ext, sizeof(ExtHeader) + 4);
  if (len < 4 || start > ext.size() || len > ext.size() - start) return 0;
  std::span<const uint8_t> info = ext.subspan(start, len);
  const uint32_t rec_size = read_u32(info, 0);
  if (rec_size == 0) return 0;
  size_t count = 0, pos = 4;
  while (info.size() - pos >= 8) {
    const uint32_t n = read_u32(info, pos + 4);
    pos += 8;
    if (uint64_t{n} * rec_size > info.size() - pos) break;
    count += n;
    pos += size_t{n} * rec_size;
  }
  return count;
}

}  // namespace ebpfaas::loader
