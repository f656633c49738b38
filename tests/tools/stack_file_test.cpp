// faas-cli stack files and the client's stored credentials.
#include "control/client/stack_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "control/client/config.h"
#include "support/file.h"

namespace ebpfaas::client {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/ebpfaas-client-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

constexpr const char* kStack = R"(version: 1.0
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080
functions:
  wire:
    lang: c-ebpf
    handler: ./wire
    image: wire:latest
    annotations:
      com.ebpfaas.section: xdp
      com.ebpfaas.time: 3
    labels:
      team: net
    environment:
      MODE: fast
    secrets: [ignored-by-ebpfaas]
  router:
    lang: c-ebpf
    handler: /abs/router.c
)";

TEST(StackFile, ParsesFaasCliFields) {
  auto s = parse_stack(kStack, "dir/stack.yml");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->version, "1.0");
  EXPECT_EQ(s->provider_name, "openfaas");
  EXPECT_EQ(s->gateway, "http://127.0.0.1:8080");
  ASSERT_EQ(s->functions.size(), 2u);
  const StackFunction& w = s->functions[0];  // file order
  EXPECT_EQ(w.name, "wire");
  EXPECT_EQ(w.lang, "c-ebpf");
  EXPECT_EQ(w.image, "wire:latest");
  EXPECT_EQ(w.annotations.at("com.ebpfaas.section"), "xdp");
  EXPECT_EQ(w.annotations.at("com.ebpfaas.time"), "3");
  EXPECT_EQ(w.labels.at("team"), "net");
  EXPECT_EQ(w.environment.at("MODE"), "fast");
  EXPECT_EQ(s->handler_path(w), "dir/wire");
  EXPECT_EQ(s->handler_path(s->functions[1]), "/abs/router.c");
  EXPECT_EQ(s->find("router"), &s->functions[1]);
  EXPECT_EQ(s->find("nope"), nullptr);
}

void expect_error(const std::string& text, const std::string& part) {
  auto s = parse_stack(text, "stack.yml");
  ASSERT_FALSE(s) << "accepted:\n" << text;
  EXPECT_NE(s.error().message().find(part), std::string::npos) << s.error().message();
}

TEST(StackFile, ErrorsNameFileLineAndColumn) {
  expect_error("functions:\n  x:\n    lang: python3\n    handler: ./x\n",
               "stack.yml:3:11: function \"x\": unknown lang \"python3\"");
  expect_error("functions:\n  x:\n    handler: ./x\n",
               "stack.yml:3:5: function \"x\" has no \"lang\"");
  expect_error("functions:\n  x:\n    lang: c-ebpf\n", "has no \"handler\"");
  expect_error("functions:\n  x:\n    lang: c-ebpf\n    handler: [a, b]\n",
               "stack.yml:4:14: \"functions.x.handler\" must be a string");
  expect_error("functions:\n  x:\n    lang: c-ebpf\n    handler: ./x\n    labels: [a]\n",
               "stack.yml:5:13: \"functions.x.labels\" must be a mapping of strings");
  expect_error(
      "functions:\n  x:\n    lang: c-ebpf\n    handler: ./x\n    annotations:\n      a: {b: c}\n",
      "stack.yml:6:10: \"functions.x.annotations.a\" must be a string");
  expect_error("version: 1.0\nprovider: openfaas\nfunctions: {}\n",
               "stack.yml:2:11: \"provider\" must be a mapping");
  expect_error("version: 1.0\n", "no \"functions\"");
  expect_error("provider:\n  name: faas\nfunctions: {}\n",
               "stack.yml:2:9: provider.name \"faas\": the only valid provider name is openfaas");
  expect_error("functions: [a]\n", "stack.yml:1:12: \"functions\" must be a mapping");
  expect_error("functions:\n  x: {lang: c-ebpf, handler: ./x\n", "stack.yml:3:");  // YAML syntax
  expect_error("- a\n- b\n", "stack.yml:1:1: expected a stack file");
  expect_error("functions:\n  x: {lang: c-ebpf, handler: a}\n  x: {lang: c-ebpf, handler: b}\n",
               "defined twice");
}

// As faas-cli: ${VAR}, ${VAR:-default}, ${VAR-default} before parsing.
TEST(StackFile, SubstitutesEnvironmentVariables) {
  const std::map<std::string, std::string> vars = {
      {"GW", "http://10.0.0.2:8080"}, {"TEAM", "net"}, {"EMPTY", ""}, {"DIR", "./wire"}};
  EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  const std::string text =
      "version: 1.0\n"
      "provider:\n"
      "  name: openfaas\n"
      "  gateway: ${GW}\n"
      "functions:\n"
      "  wire:\n"
      "    lang: c-ebpf\n"
      "    handler: ${DIR}\n"
      "    labels:\n"
      "      team: ${TEAM:-none}\n"
      "      owner: ${OWNER:-nobody}\n"
      "      empty_colon: ${EMPTY:-fallback}\n"
      "      empty_dash: \"${EMPTY-fallback}\"\n"
      "      unset_dash: ${UNSET-x${TEAM}y}\n"
      "      unset: \"${UNSET}\"\n"
      "      text: a $TEAM b\n";
  auto s = parse_stack(text, "stack.yml", env);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->gateway, "http://10.0.0.2:8080");
  ASSERT_EQ(s->functions.size(), 1u);
  const StackFunction& f = s->functions[0];
  EXPECT_EQ(f.handler, "./wire");
  EXPECT_EQ(f.labels.at("team"), "net");
  EXPECT_EQ(f.labels.at("owner"), "nobody");
  EXPECT_EQ(f.labels.at("empty_colon"), "fallback");  // :- also replaces an empty value
  EXPECT_EQ(f.labels.at("empty_dash"), "");           // - only an unset one
  EXPECT_EQ(f.labels.at("unset_dash"), "xnety");      // defaults are substituted too
  EXPECT_EQ(f.labels.at("unset"), "");
  EXPECT_EQ(f.labels.at("text"), "a $TEAM b");  // only the braced form is a variable

  // The process's environment by default.
  ::setenv("EBPFAAS_STACK_TEST_LANG", "c-ebpf", 1);
  auto e = parse_stack("functions:\n  x: {lang: '${EBPFAAS_STACK_TEST_LANG}', handler: ./x}\n",
                       "stack.yml");
  ::unsetenv("EBPFAAS_STACK_TEST_LANG");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->functions[0].lang, "c-ebpf");
}

TEST(StackFile, SubstitutionErrorsNameTheLineAndColumnAsWritten) {
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "LONG") return std::string(40, 'x');
    if (name == "LIST") return std::string("[a, b]");
    return std::nullopt;
  };
  auto error_of = [&](const std::string& text) {
    auto s = parse_stack(text, "stack.yml", env);
    return s ? std::string("accepted") : s.error().message();
  };
  EXPECT_EQ(error_of("functions:\n  x:\n    lang: c-ebpf\n    handler: ${DIR\n"),
            "stack.yml:4:14: unterminated \"${\": expected ${NAME} or ${NAME:-default}");
  EXPECT_NE(error_of("functions:\n  x: {lang: c-ebpf, handler: ${1X}}\n")
                .find("stack.yml:2:30: \"${1X}\": expected ${NAME}"),
            std::string::npos);
  EXPECT_NE(
      error_of("functions:\n  x: {lang: c-ebpf, handler: ${X:?oops}}\n").find("stack.yml:2:30:"),
      std::string::npos);
  // A value that changes line lengths: later positions are still the file's.
  EXPECT_EQ(error_of("version: ${LONG}\nfunctions:\n  x:\n    lang: ${LONG}\n    handler: ./x\n"),
            "stack.yml:4:11: function \"x\": unknown lang \"" + std::string(40, 'x') +
                "\" (ebpfaas builds lang: c-ebpf)");
  // Also after a longer value on the same line.
  EXPECT_NE(error_of("functions:\n  x: {lang: ${LONG}, handler: [a]}\n")
                .find("stack.yml:2:31: \"functions.x.handler\" must be a string"),
            std::string::npos)
      << error_of("functions:\n  x: {lang: ${LONG}, handler: [a]}\n");
  // A position inside a substituted value is the ${ it came from.
  EXPECT_NE(error_of("functions:\n  x:\n    lang: c-ebpf\n    handler: ${LIST}\n")
                .find("stack.yml:4:14: \"functions.x.handler\" must be a string"),
            std::string::npos);
}

TEST(StackFile, ReadNamesAMissingFile) {
  auto s = read_stack("/nonexistent/stack.yml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("/nonexistent/stack.yml"), std::string::npos);
}

TEST(StackFile, AppendCreatesThenAddsAndRefusesDuplicates) {
  TempDir d;
  const std::string path = d.path + "/stack.yml";
  StackFunction f{"one", "c-ebpf", "./one", "one:latest", {{"com.ebpfaas.time", "5"}}, {}, {}};
  ASSERT_TRUE(append_stack_function(path, f, "http://gw:8080"));
  f.name = "two";
  f.handler = "./two";
  ASSERT_TRUE(append_stack_function(path, f, "ignored when the file exists"));
  auto s = read_stack(path);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->version, "1.0");
  EXPECT_EQ(s->provider_name, "openfaas");
  EXPECT_EQ(s->gateway, "http://gw:8080");
  ASSERT_EQ(s->functions.size(), 2u);
  EXPECT_EQ(s->functions[1].name, "two");
  EXPECT_EQ(s->functions[0].annotations.at("com.ebpfaas.time"), "5");

  auto before = read_text_file(path);
  auto dup = append_stack_function(path, f, "");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message().find("\"two\" exists already"), std::string::npos);
  EXPECT_EQ(*read_text_file(path), *before);  // nothing lost

  ASSERT_TRUE(write_file_atomic(path, std::string_view("functions: [broken\n")));
  auto bad = append_stack_function(path, f, "");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find(path + ":"), std::string::npos);
  EXPECT_EQ(*read_text_file(path), "functions: [broken\n");
}

TEST(ClientConfig, Base64) {
  EXPECT_EQ(base64_encode("admin:secret"), "YWRtaW46c2VjcmV0");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_encode(""), "");
  for (std::string s : {"", "a", "ab", "abc", "admin:p@ss:word\xff"})
    EXPECT_EQ(*base64_decode(base64_encode(s)), s);
  EXPECT_FALSE(base64_decode("YQ="));
  EXPECT_FALSE(base64_decode("Y!=="));
}

TEST(ClientConfig, LoginFileIsFaasCliShapedAndMode0600) {
  TempDir d;
  const std::string path = d.path + "/cfg/config.yml";
  auto empty = read_config(path);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->auths.empty());
  ClientConfig c = *empty;
  set_credentials(c, "http://127.0.0.1:8080/", {"admin", "pw1"});
  set_credentials(c, "http://other:8080", {"bob", "x:y"});
  set_credentials(c, "http://127.0.0.1:8080", {"admin", "pw2"});  // replaces
  ASSERT_TRUE(write_config(path, c));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((d.path + "/cfg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto text = read_text_file(path);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("auths:"), std::string::npos);
  EXPECT_NE(text->find("gateway: http://127.0.0.1:8080"), std::string::npos);
  EXPECT_NE(text->find("auth: basic"), std::string::npos);
  EXPECT_NE(text->find("token: " + base64_encode("admin:pw2")), std::string::npos);

  auto back = read_config(path);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->auths.size(), 2u);
  auto creds = find_credentials(*back, "http://127.0.0.1:8080");
  ASSERT_TRUE(creds && *creds);
  EXPECT_EQ((*creds)->user, "admin");
  EXPECT_EQ((*creds)->password, "pw2");
  auto colon = find_credentials(*back, "http://other:8080/");
  ASSERT_TRUE(colon && *colon);
  EXPECT_EQ((*colon)->password, "x:y");
  auto none = find_credentials(*back, "http://nowhere:1");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  EXPECT_TRUE(remove_credentials(*back, "http://other:8080"));
  EXPECT_FALSE(remove_credentials(*back, "http://other:8080"));
  EXPECT_EQ(back->auths.size(), 1u);
}

TEST(ClientConfig, MalformedConfigNamesLine) {
  TempDir d;
  const std::string path = d.path + "/config.yml";
  ASSERT_TRUE(write_file_atomic(path, std::string_view("auths:\n  - gateway: [x\n")));
  auto c = read_config(path);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find(path + ":"), std::string::npos) << c.error().message();
  ASSERT_TRUE(write_file_atomic(path, std::string_view("auths:\n  - auth: basic\n")));
  c = read_config(path);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find(path + ":2:5: an auths entry without \"gateway\""),
            std::string::npos)
      << c.error().message();
  ClientConfig bad;
  bad.auths.push_back({"http://gw", "basic", "not base64!"});
  EXPECT_FALSE(find_credentials(bad, "http://gw"));
}

TEST(ClientConfig, GatewayResolution) {
  ::unsetenv("OPENFAAS_URL");
  EXPECT_EQ(resolve_gateway(""), "http://127.0.0.1:8080");
  ::setenv("OPENFAAS_URL", "http://env:9000/", 1);
  EXPECT_EQ(resolve_gateway(""), "http://env:9000");
  EXPECT_EQ(resolve_gateway("http://flag:1"), "http://flag:1");
  // faas-cli's order: the flag, OPENFAAS_URL, then the stack file's gateway.
  EXPECT_EQ(resolve_gateway("", "http://stack:2/"), "http://env:9000");
  EXPECT_EQ(resolve_gateway("http://flag:1", "http://stack:2"), "http://flag:1");
  ::unsetenv("OPENFAAS_URL");
  EXPECT_EQ(resolve_gateway("", "http://stack:2/"), "http://stack:2");
  EXPECT_EQ(resolve_gateway("http://flag:1", "http://stack:2"), "http://flag:1");
  ::setenv("EBPFAAS_CONFIG", "/some/dir", 1);
  EXPECT_EQ(*config_file_path(), "/some/dir/config.yml");
  ::unsetenv("EBPFAAS_CONFIG");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(*config_file_path(), "/home/u/.ebpfaas/config.yml");
}

}  // namespace
}  // namespace ebpfaas::client
