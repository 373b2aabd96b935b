#include "tunecase/privacy/audit.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tunecase/privacy/endpoint_locality.h"
#include "tunecase/privacy/sha256.h"

namespace tunecase {
namespace {

TEST(EndpointLocality, CountsLoopbackAsLocal) {
  for (const char* url :
       {"http://127.0.0.1:8080/v1", "http://localhost/v1", "http://[::1]:9/v1", "http://127.5.5.5"})
    EXPECT_TRUE(endpoint_locality(url, {}).local) << url;
}

TEST(EndpointLocality, CountsOtherHostsAsExternalUnlessAllowed) {
  auto openai = endpoint_locality("https://api.openai.com/v1", {});
  EXPECT_FALSE(openai.local);
  EXPECT_EQ(openai.host, "api.openai.com");
  EXPECT_NE(openai.reason.find("allowed_hosts"), std::string::npos);
  std::vector<std::string> allowed = {"vllm.corp.internal", "*.gpu.internal", "10.0.0.0/8"};
  EXPECT_TRUE(endpoint_locality("http://VLLM.corp.internal:8000/v1", allowed).local);
  EXPECT_TRUE(endpoint_locality("http://a.gpu.internal/v1", allowed).local);
  EXPECT_FALSE(endpoint_locality("http://gpu.internal/v1", allowed).local);
  EXPECT_TRUE(endpoint_locality("http://10.20.30.40:11434/v1", allowed).local);
  EXPECT_FALSE(endpoint_locality("http://11.0.0.1/v1", allowed).local);
  EXPECT_FALSE(endpoint_locality("http://user@evil.example/v1", allowed).local);
}

// Sets environment variables for one test and puts back what was there.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::initializer_list<std::pair<const char*, const char*>> values) {
    for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                             "no_proxy", "NO_PROXY"}) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      unsetenv(name);
    }
    for (const auto& [name, value] : values) setenv(name, value, 1);
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_)
      value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// libcurl sends a request through the proxy the environment names: the data goes to the proxy,
// so a loopback endpoint is not local then (it was judged by its host alone, and --local-only
// let every ticket go through a proxy).
TEST(EndpointLocality, ARequestThroughAProxyIsLocalOnlyWhenTheProxyIsAllowed) {
  {
    ScopedEnvironment env({{"http_proxy", "http://user:pw@127.0.0.1:3128"}});
    auto via = endpoint_locality("http://127.0.0.1:8080/v1", {});
    EXPECT_FALSE(via.local);
    EXPECT_EQ(via.proxy, "http://127.0.0.1:3128");
    EXPECT_NE(via.reason.find("no_proxy"), std::string::npos) << via.reason;
    EXPECT_EQ(via.reason.find("pw"), std::string::npos) << via.reason;
    EXPECT_TRUE(endpoint_locality("http://127.0.0.1:8080/v1", {"127.0.0.1"}).local);
    // http_proxy is not read for https://, and HTTP_PROXY never (libcurl's rules).
    EXPECT_TRUE(endpoint_locality("https://localhost/v1", {}).local);
  }
  {
    ScopedEnvironment env({{"ALL_PROXY", "socks5://proxy.corp:1080"}, {"no_proxy", "localhost"}});
    EXPECT_TRUE(endpoint_locality("http://localhost:8080/v1", {}).local);
    EXPECT_FALSE(endpoint_locality("http://127.0.0.1:8080/v1", {}).local);
    EXPECT_FALSE(endpoint_locality("https://10.1.2.3/v1", {"10.0.0.0/8"}).local);
  }
  {
    // libcurl reads "010" as octal: the host it compares is not the one the text says.
    ScopedEnvironment env({{"http_proxy", "http://proxy.corp:3128"}, {"no_proxy", "127.0.0.010"}});
    EXPECT_FALSE(endpoint_locality("http://127.0.0.010:8080/v1", {}).local);
  }
  {
    ScopedEnvironment env(
        {{"HTTPS_PROXY", "http://proxy.corp:3128"}, {"NO_PROXY", " .gpu.internal, 10.0.0.0/8"}});
    EXPECT_TRUE(endpoint_locality("https://a.gpu.internal/v1", {"*.gpu.internal"}).local);
    EXPECT_TRUE(endpoint_locality("https://10.1.2.3/v1", {"10.0.0.0/8"}).local);
    EXPECT_FALSE(endpoint_locality("https://vllm.corp/v1", {"vllm.corp"}).local);
    EXPECT_FALSE(environment_proxy("http://vllm.corp/v1"));  // HTTPS_PROXY is for https only
  }
  {
    ScopedEnvironment env({{"http_proxy", "http://proxy.corp:3128"}, {"no_proxy", "*"}});
    EXPECT_TRUE(endpoint_locality("http://127.0.0.1:8080/v1", {}).local);
  }
  // libcurl reads "*" only as the whole value, and an IP host only against addresses and
  // blocks: these lists send the requests through the proxy, so the endpoint is not local.
  for (const char* list : {"localhost,*", ".0.0.1", "0.0.1", "127.0.0.1:8080", " *", "*\t",
                           "0.0.0.0/0", "[127.0.0.1]", "127.000.000.001/32"}) {
    ScopedEnvironment env({{"http_proxy", "http://proxy.corp:3128"}, {"no_proxy", list}});
    EXPECT_FALSE(endpoint_locality("http://127.0.0.1:8080/v1", {}).local) << list;
  }
}

TEST(EndpointLocality, ChecksTheFormOfAllowedEntries) {
  EXPECT_EQ(allowed_host_problem("10.0.0.0/8"), "");
  EXPECT_EQ(allowed_host_problem("*.corp"), "");
  EXPECT_NE(allowed_host_problem("https://x.corp"), "");
  EXPECT_NE(allowed_host_problem("a*.corp"), "");
  EXPECT_NE(allowed_host_problem(""), "");
  // A block with an impossible prefix or address is a mistyped block, not a URL.
  for (const char* block : {"10.0.0.0/33", "300.0.0.0/8"})
    EXPECT_NE(allowed_host_problem(block).find("not an IPv4 block"), std::string::npos) << block;
  EXPECT_NE(allowed_host_problem("x.corp/v1").find("not a URL"), std::string::npos);
  // Entries that could never match a host are refused, each named for what it is.
  EXPECT_NE(allowed_host_problem("vllm.corp.internal:8000").find("a port"), std::string::npos);
  EXPECT_NE(allowed_host_problem("10.0.0.0-10.0.0.255").find("a range"), std::string::npos);
  EXPECT_NE(allowed_host_problem("300.1.1.1").find("not an IPv4 address"), std::string::npos);
  EXPECT_NE(allowed_host_problem("fd00::/8").find("an IPv6 block"), std::string::npos);
  EXPECT_NE(allowed_host_problem("10.0.0.0/8 ").find("spaces around it"), std::string::npos);
  EXPECT_NE(allowed_host_problem("*.").find("needs a suffix"), std::string::npos);
  EXPECT_EQ(allowed_host_problem("10.1.2.3"), "");
  EXPECT_EQ(allowed_host_problem("::1"), "");
}

TEST(Audit, RecordsCountsBytesAndHashesButNeverTheBody) {
  AuditLog log("eval", {});
  std::string body = R"({"messages":[{"content":"mail <EMAIL_1> or <EMAIL_2>, card <CARD_1>"}]})";
  log.record("https://api.example.com/v1/chat/completions?key=SECRET", body);
  log.record("https://api.example.com/v1/chat/completions", body);
  log.record("http://127.0.0.1:9000/v1/chat/completions", "{}");
  nlohmann::json j = log.to_json();
  std::string text = j.dump();
  EXPECT_EQ(text.find("messages"), std::string::npos);
  EXPECT_EQ(text.find("SECRET"), std::string::npos);
  ASSERT_EQ(j["endpoints"].size(), 2u);
  // Endpoints are listed by name: http://127... before https://api...
  const auto& external = j["endpoints"][1];
  EXPECT_EQ(external["endpoint"], "https://api.example.com/v1/chat/completions");
  EXPECT_FALSE(external["local"].get<bool>());
  EXPECT_EQ(external["requests"], 2);
  EXPECT_EQ(external["bytes"], 2 * body.size());
  EXPECT_EQ(external["redacted"]["email"], 4);
  EXPECT_EQ(external["redacted"]["card"], 2);
  EXPECT_EQ(external["bodies"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(j["endpoints"][0]["local"].get<bool>());
  EXPECT_EQ(j["totals"]["requests"], 3);
  std::string shown = audit_text(j, true);
  EXPECT_NE(shown.find("EXTERNAL"), std::string::npos);
  EXPECT_NE(shown.find("4 email"), std::string::npos);
}

// The person's view says the run's state, and an earlier run whose last write still said
// "running" (it had been killed) is said to have not finished (it had been shown as running).
TEST(Audit, TheFolderViewSaysEachRunsStateAndAKilledRunDidNotFinish) {
  const auto dir = std::filesystem::temp_directory_path() / "tunecase_audit_states";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  AuditLog log("eval", {});
  nlohmann::json killed = log.to_json();
  killed["state"] = "running";
  std::ofstream(dir / "audit.run-1.json") << killed.dump();
  nlohmann::json failed = log.to_json();
  failed["state"] = "failed";
  std::ofstream(dir / "audit.json") << failed.dump();
  nlohmann::json folder = folder_audit(dir / "audit.json");
  ASSERT_EQ(folder["earlier_runs"].size(), 1u);
  EXPECT_EQ(folder["earlier_runs"][0]["state"], "did not finish: killed or crashed");
  const std::string shown = audit_text(folder, false);
  EXPECT_NE(shown.find("audit of `tunecase eval` (failed)"), std::string::npos) << shown;
  EXPECT_NE(shown.find("(did not finish: killed or crashed)"), std::string::npos) << shown;
  std::filesystem::remove_all(dir);
}

TEST(Audit, RecordsIntoTheProcessLogOnlyWhileOneIsInstalled) {
  audit_outbound("http://x/v1", "ignored");
  AuditLog log("serve");
  set_process_audit(&log);
  audit_outbound("http://x/v1", "a");
  set_process_audit(nullptr);
  audit_outbound("http://x/v1", "b");
  ASSERT_EQ(log.endpoints().size(), 1u);
  EXPECT_EQ(log.endpoints()[0].requests, 1);
}

// The gateway's audit hands each body's record over (to the store) and keeps only totals: its
// memory stays flat however many requests it sends.
TEST(Audit, HandingBodiesOverKeepsOnlyTheTotals) {
  AuditLog log("serve", {}, AuditLog::Bodies::kHandOver);
  for (int i = 0; i < 1000; ++i) log.record("http://127.0.0.1:8000/v1/chat/completions", "body");
  auto first = log.take_new();
  ASSERT_EQ(first.size(), 1000u);
  EXPECT_EQ(first[0].body.bytes, 4);
  EXPECT_EQ(first[0].body.sha256.size(), 64u);
  EXPECT_TRUE(log.take_new().empty());
  auto endpoints = log.endpoints();
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].requests, 1000);
  EXPECT_EQ(endpoints[0].bytes, 4000);
  EXPECT_TRUE(endpoints[0].bodies.empty());

  // The hash and the placeholder counts are taken when the bodies are handed over, off the
  // thread that sent them; the totals count them from then on.
  log.record("http://127.0.0.1:8000/v1/chat/completions", "mail <EMAIL_1> or <EMAIL_2>");
  EXPECT_TRUE(log.endpoints()[0].redacted.empty());
  auto second = log.take_new();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].body.redacted.at("email"), 2);
  EXPECT_EQ(second[0].body.sha256, sha256_hex("mail <EMAIL_1> or <EMAIL_2>"));
  EXPECT_EQ(log.endpoints()[0].redacted.at("email"), 2);
  EXPECT_EQ(log.endpoints()[0].requests, 1001);

  AuditLog run("eval");  // a run keeps every body for its audit.json, and hands nothing over
  run.record("http://127.0.0.1:8000/v1/chat/completions", "body");
  EXPECT_TRUE(run.take_new().empty());
  EXPECT_EQ(run.endpoints()[0].bodies.size(), 1u);
}

}  // namespace
}  // namespace tunecase
