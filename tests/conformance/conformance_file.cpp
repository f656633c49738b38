#include "tests/conformance/conformance_file.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "ebpf/assembler.h"
#include "support/file.h"
#include "support/hex.h"

namespace ebpfaas::conformance {

Expected<TestCase> parse_test_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  TestCase test;
  test.name = std::filesystem::path(path).filename().string();
  std::string section, raw, mem, result;
  bool has_raw = false, has_result = false;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("-- ", 0) == 0) {
      section = line.substr(3);
      while (!section.empty() && std::isspace(static_cast<unsigned char>(section.back())))
        section.pop_back();
      if (section == "raw") has_raw = true;
      if (section == "result") has_result = true;
      continue;
    }
    if (section == "asm")
      test.asm_text += line + "\n";
    else if (section == "raw")
      raw += line + "\n";
    else if (section == "mem")
      mem += line + " ";
    else if (section == "result")
      result += line + " ";
  }
  if (has_raw) test.raw = raw;
  auto m = parse_hex(mem);
  if (!m) return m.error().context(path + ": -- mem");
  test.memory = std::move(*m);
  if (has_result) {
    std::string r;
    for (char c : result)
      if (!std::isspace(static_cast<unsigned char>(c))) r += c;
    // "hex when it contains 0x, else decimal"
    Expected<int64_t> v = r.find("0x") != std::string::npos ? parse_int(r) : parse_int(r);
    if (!v) return v.error().context(path + ": -- result");
    test.result = static_cast<uint64_t>(*v);
  }
  return test;
}

Expected<std::vector<ebpf::Insn>> test_program(const TestCase& test) {
  if (test.raw) {
    std::vector<ebpf::Insn> insns;
    std::istringstream in(*test.raw);
    std::string word;
    while (in >> word) {
      if (word[0] == '#') {
        std::string rest;
        std::getline(in, rest);
        continue;
      }
      auto v = parse_int(word.find("0x") == 0 ? word : "0x" + word);
      if (!v) return v.error().context(test.name + ": -- raw");
      ebpf::Insn insn;
      uint64_t bits = static_cast<uint64_t>(*v);
      std::memcpy(&insn, &bits, sizeof insn);
      insns.push_back(insn);
    }
    return insns;
  }
  auto insns = ebpf::assemble(test.asm_text);
  if (!insns) return insns.error().context(test.name);
  return insns;
}

Expected<std::vector<std::string>> list_test_files(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".data") files.push_back(it->path().string());
  if (ec) return errorf("cannot list {}: {}", dir, ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ebpfaas::conformance
