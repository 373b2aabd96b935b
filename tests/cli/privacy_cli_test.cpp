// [privacy] end to end: tickets full of personal data evaluated against `tunecase sim-llm` (a real
// server on loopback that records every body it receives), with redaction on, local-only checks,
// the audit file and `tunecase audit`.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "run_cli.h"
#include "tunecase/privacy/pii_generator.h"
#include "tunecase/store/store.h"

namespace {

constexpr const char* kPrivacyKey = "sk-privacy-cli-9e8d7c6b5a4f3e2d";

// sim-llm as a child process that records each request body (--record-bodies).
class RecordingSim {
 public:
  explicit RecordingSim(const std::filesystem::path& dir) : bodies_(dir / "bodies.jsonl") {
    std::filesystem::path port_file = dir / "sim.port";
    pid_ = fork();
    if (pid_ == 0) {
      std::string port_arg = port_file.string(), bodies_arg = bodies_.string();
      execl(TUNECASE_BIN, TUNECASE_BIN, "sim-llm", "--port", "0", "--port-file", port_arg.c_str(),
            "--record-bodies", bodies_arg.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 400 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::string text = read_file(port_file);
      if (!text.empty() && text.back() == '\n') port_ = std::atoi(text.c_str());
    }
  }
  ~RecordingSim() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string bodies() const { return read_file(bodies_); }

 private:
  std::filesystem::path bodies_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Tickets of three labels, each carrying the personal data of a generated ticket; returns every
// raw value written.
std::set<std::string> write_tickets(const std::filesystem::path& file) {
  const std::vector<std::pair<std::string, std::string>> topics = {
      {"billing", "I was charged twice for my invoice"},
      {"shipping", "the parcel delivery is late, courier lost it"},
      {"login", "cannot sign in, password reset fails"}};
  auto pii = tunecase::generate_pii_tickets(150, 77);
  std::set<std::string> values;
  std::ofstream out(file);
  out << "id,text,category\n";
  for (std::size_t i = 0; i < pii.size(); ++i) {
    const auto& [label, text] = topics[i % topics.size()];
    std::string ticket = text + ". " + pii[i].text + " EMP-" + std::to_string(100000 + i);
    for (const auto& s : pii[i].spans) values.insert(pii[i].text.substr(s.begin, s.end - s.begin));
    values.insert("EMP-" + std::to_string(100000 + i));
    std::string quoted;
    for (char c : ticket) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    out << "t" << i << ",\"" << quoted << "\"," << label << "\n";
  }
  return values;
}

void write_config(const std::filesystem::path& dir, int port, const std::string& privacy) {
  std::ofstream(dir / "p.toml")
      << "[data]\npath = \"tickets.csv\"\nlabel = \"category\"\n\n"
      << "[[approach]]\nname = \"api-few-shot\"\nkind = \"openai\"\n"
      << "base_url = \"http://127.0.0.1:" << port << "/v1\"\n"
      << "api_key_env = \"TUNECASE_PRIVACY_KEY\"\nmodel = \"gpt-4o-mini\"\n"
      << "prompt = \"few_shot\"\nshots = 6\n\n"
      << privacy;
}

const char* kRedactAll =
    "[privacy]\nredact = [\"email\", \"phone\", \"card\", \"iban\", \"ip\", \"url\", \"custom\"]\n"
    "custom = { employee_id = \"EMP-######\" }\n";

std::string written_outputs(const std::filesystem::path& out) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out))
    if (entry.is_regular_file()) all += read_file(entry.path());
  return all;
}

std::string env() {
  return std::string("TUNECASE_PRIVACY_KEY=") + kPrivacyKey + " ";
}

TEST(PrivacyCli, SimLlmReceivesNoRawPersonalDataAndOutputsHoldNoneNorTheKey) {
  TempDir dir;
  std::set<std::string> values = write_tickets(dir.path() / "tickets.csv");
  RecordingSim sim(dir.path());
  ASSERT_GT(sim.port(), 0);
  write_config(dir.path(), sim.port(), kRedactAll);
  std::filesystem::path out = dir.path() / "out";
  CliResult r =
      run_cli_with_env(env(), "eval --yes --no-inspect --config " +
                                  (dir.path() / "p.toml").string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;

  std::string bodies = sim.bodies();
  ASSERT_NE(bodies.find("<EMAIL_1>"), std::string::npos) << "no redacted request reached sim-llm";
  std::string outputs = written_outputs(out);
  for (const auto& v : values) {
    EXPECT_EQ(bodies.find(v), std::string::npos) << "sim-llm received " << v;
    EXPECT_EQ(outputs.find(v), std::string::npos) << "an output holds " << v;
    EXPECT_EQ(r.output.find(v), std::string::npos) << "the log holds " << v;
  }
  EXPECT_EQ(outputs.find(kPrivacyKey), std::string::npos);
  EXPECT_EQ(r.output.find(kPrivacyKey), std::string::npos);

  nlohmann::json eval = read_json(out / "eval.json");
  const auto& redaction = eval["approaches"][0]["redaction"];
  EXPECT_TRUE(redaction["on"].get<bool>());
  for (const char* kind : {"email", "phone", "card", "iban", "ip", "url", "employee_id"})
    EXPECT_GT(redaction["redacted"].value(kind, 0), 0) << kind;

  // The audit: one endpoint, loopback, requests and bytes, redactions by kind, a hash per body.
  nlohmann::json audit = read_json(out / "audit.json");
  ASSERT_EQ(audit["endpoints"].size(), 1u) << audit.dump(2);
  const auto& e = audit["endpoints"][0];
  EXPECT_TRUE(e["local"].get<bool>());
  EXPECT_GT(e["requests"].get<int64_t>(), 0);
  EXPECT_EQ(e["bodies"].size(), e["requests"].get<std::size_t>());
  EXPECT_GT(e["redacted"].value("email", 0), 0);
  CliResult shown = run_cli("audit --dir " + out.string());
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("(local)"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find(" email"), std::string::npos) << shown.output;
}

TEST(PrivacyCli, CompareRedactionReportsBothAccuracies) {
  TempDir dir;
  std::set<std::string> values = write_tickets(dir.path() / "tickets.csv");
  RecordingSim sim(dir.path());
  ASSERT_GT(sim.port(), 0);
  write_config(dir.path(), sim.port(), kRedactAll);
  std::filesystem::path out = dir.path() / "out";
  CliResult r =
      run_cli_with_env(env(), "eval --yes --no-inspect --compare-redaction --config " +
                                  (dir.path() / "p.toml").string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json eval = read_json(out / "eval.json");
  ASSERT_EQ(eval["redaction"].size(), 1u) << eval.dump(2);
  const auto& c = eval["redaction"][0];
  EXPECT_EQ(c["approach"], "api-few-shot");
  EXPECT_TRUE(c["redacted"]["accuracy"].is_number());
  EXPECT_TRUE(c["unredacted"]["accuracy"].is_number());
  EXPECT_GT(c["redacted"]["redacted"].value("email", 0), 0);
  EXPECT_NE(r.output.find("redacted vs"), std::string::npos) << r.output;
  // The raw run leaves nothing behind: no prompt copy, no raw value in any output.
  std::string outputs = written_outputs(out);
  for (const auto& v : values) EXPECT_EQ(outputs.find(v), std::string::npos) << v;
  EXPECT_NE(read_file(out / "report.md").find("## Privacy"), std::string::npos);
  // Nor in the project's response cache, which serve, optimize and curve share (the raw run's
  // prompts were cached there, raw values and all).
  std::filesystem::path cache = dir.path() / ".tunecase" / "cache.sqlite";
  ASSERT_TRUE(std::filesystem::exists(cache));
  std::string cached = read_file(cache);
  if (std::filesystem::exists(cache.string() + "-wal"))
    cached += read_file(cache.string() + "-wal");
  ASSERT_NE(cached.find("<EMAIL_1>"), std::string::npos) << "the redacted run cached nothing";
  for (const auto& v : values) EXPECT_EQ(cached.find(v), std::string::npos) << "cached: " << v;
}

// monitor --canary sends a labelled set to every LLM approach: audited like every other sending
// command, and under local_only refused before the first approach sends (the loopback one sent
// the whole set before the external one after it was refused, and no audit was written).
TEST(PrivacyCli, MonitorCanaryIsAuditedAndRefusedUpFrontUnderLocalOnly) {
  TempDir dir;
  write_tickets(dir.path() / "tickets.csv");
  RecordingSim sim(dir.path());
  ASSERT_GT(sim.port(), 0);
  write_config(dir.path(), sim.port(), kRedactAll);
  const std::string store = (dir.path() / "store.db").string();
  tunecase::open_store(store);  // an empty store, as a gateway leaves it before any request
  {
    std::ifstream in(dir.path() / "tickets.csv");
    std::ofstream canary(dir.path() / "canary.csv");
    std::string line;
    for (int i = 0; i < 13 && std::getline(in, line); ++i) canary << line << "\n";
  }
  const std::string args = "monitor --config " + (dir.path() / "p.toml").string() + " --store " +
                           store + " --yes --canary " + (dir.path() / "canary.csv").string() +
                           " --out " + (dir.path() / "mon").string();
  CliResult r = run_cli_with_env(env(), args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json audit = read_json(dir.path() / "mon" / "audit.json");
  ASSERT_EQ(audit["endpoints"].size(), 1u) << audit.dump(2);
  EXPECT_GT(audit["totals"]["requests"].get<int64_t>(), 5) << audit.dump(2);
  EXPECT_EQ(audit["state"], "finished");
  EXPECT_GT(audit["totals"]["redacted"].value("email", 0), 0) << audit.dump(2);

  // An endpoint that answers every request with an error (a wrong path: 404, not retried) leaves
  // the provider unchecked: exit 1, as for an alert, so that a cron line notices (it was 0).
  std::string text;
  {
    std::ifstream in(dir.path() / "p.toml");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string wrong = text;
  wrong.replace(wrong.find("/v1\""), 4, "/nope/v1\"");
  std::ofstream(dir.path() / "p.toml") << wrong;
  CliResult unchecked = run_cli_with_env(env(), args + " --canary-force");
  EXPECT_EQ(unchecked.exit_code, 1) << unchecked.output;
  EXPECT_NE(unchecked.output.find("canary for 'api-few-shot' not checked: every request"),
            std::string::npos)
      << unchecked.output;
  // After five failures in a row the rest is not sent (each waits out its retries otherwise).
  EXPECT_NE(unchecked.output.find("the first 5 in a row, so the other"), std::string::npos)
      << unchecked.output;
  std::ofstream(dir.path() / "p.toml") << text;

  std::ofstream(dir.path() / "p.toml", std::ios::app)
      << "local_only = true\n\n[[approach]]\nname = \"cloud\"\nkind = \"openai\"\n"
      << "model = \"gpt-4o-mini\"\napi_key_env = \"TUNECASE_PRIVACY_KEY\"\n";
  const std::size_t sent = sim.bodies().size();
  CliResult refused = run_cli_with_env(env(), args + " --canary-force");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("cloud (https://api.openai.com/v1)"), std::string::npos)
      << refused.output;
  EXPECT_EQ(sim.bodies().size(), sent) << "sent before the refusal";
}

// A proxy in the environment carries every request to it, a loopback endpoint's too: with
// local_only on, such an endpoint is refused before anything is sent (it was let through, and
// every ticket went to the proxy while the audit said "local").
TEST(PrivacyCli, LocalOnlyRefusesALoopbackEndpointReachedThroughAProxy) {
  TempDir dir;
  write_tickets(dir.path() / "tickets.csv");
  write_config(dir.path(), 9, kRedactAll);
  std::string config = (dir.path() / "p.toml").string();
  CliResult r = run_cli_with_env(env() + "no_proxy= NO_PROXY= http_proxy=http://127.0.0.1:9 ",
                                 "eval --yes --no-inspect --local-only --config " + config +
                                     " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("nothing was sent"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("through the proxy http://127.0.0.1:9 (environment variable "
                          "http_proxy)"),
            std::string::npos)
      << r.output;
}

TEST(PrivacyCli, LocalOnlyRefusesExternalEndpointsBeforeAnyRequest) {
  TempDir dir;
  write_tickets(dir.path() / "tickets.csv");
  std::ofstream(dir.path() / "p.toml")
      << "[data]\npath = \"tickets.csv\"\nlabel = \"category\"\n\n"
      << "[[approach]]\nname = \"cloud\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n"
      << "api_key_env = \"TUNECASE_PRIVACY_KEY\"\n\n"
      << "[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n";
  std::string config = (dir.path() / "p.toml").string();
  CliResult r = run_cli_with_env(env(), "eval --yes --no-inspect --local-only --config " + config +
                                            " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cloud (https://api.openai.com/v1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing was sent"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("local-linear ("), std::string::npos) << r.output;
  // serve refuses the LLM approach it would serve (the first, with no [pilot]) before it loads
  // anything, and says what serve can do instead (it had said to remove it from the config).
  CliResult serve = run_cli_with_env(env(), "serve --local-only --port 0 --config " + config +
                                                " --store " + (dir.path() / "s.db").string() +
                                                " --eval " + (dir.path() / "none").string());
  EXPECT_EQ(serve.exit_code, 2) << serve.output;
  EXPECT_NE(serve.output.find("cloud (https://api.openai.com/v1)"), std::string::npos)
      << serve.output;
  EXPECT_NE(serve.output.find("Serve a local approach instead: name it in [pilot] champion"),
            std::string::npos)
      << serve.output;
  // Without the flag the same config is not refused for locality (it fails later, reaching out).
  std::ofstream(dir.path() / "p.toml", std::ios::app)
      << "\n[privacy]\nlocal_only = true\nallowed_hosts = [\"api.openai.com\"]\n";
  CliResult allowed = run_cli_with_env(env(),
                                       "eval --yes --no-inspect --only local-linear "
                                       "--config " +
                                           config + " --out " + (dir.path() / "out2").string());
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
}

// `tunecase serve` with an LLM champion on sim-llm: the gateway's outbound requests are redacted
// and land in the store's audit, which `tunecase audit --store` prints.
TEST(PrivacyCli, GatewayRequestsAreRedactedAndAuditedInTheStore) {
  TempDir dir;
  write_tickets(dir.path() / "tickets.csv");
  RecordingSim sim(dir.path());
  ASSERT_GT(sim.port(), 0);
  write_config(dir.path(), sim.port(), kRedactAll);
  std::string store = (dir.path() / "pilot.db").string();
  std::filesystem::path out = dir.path() / "serve.out", err = dir.path() / "serve.err";
  setenv("TUNECASE_PRIVACY_KEY", kPrivacyKey, 1);
  pid_t pid = fork();
  if (pid == 0) {
    std::string config = (dir.path() / "p.toml").string();
    FILE* o = freopen(out.c_str(), "w", stdout);
    FILE* e = freopen(err.c_str(), "w", stderr);
    (void)o;
    (void)e;
    execl(TUNECASE_BIN, TUNECASE_BIN, "serve", "--config", config.c_str(), "--store", store.c_str(),
          "--port", "0", "--instance", "privacy-test", static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 400 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::string text = read_file(out);
    auto at = text.find("listening on http://127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(text.c_str() + at + 30);
  }
  ASSERT_GT(port, 0) << read_file(err);
  std::string body =
      R"({"id": "P-1", "text": "refund to anna@example.com, card 4111 1111 1111 1111"})";
  std::string curl = "curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '" +
                     body + "' http://127.0.0.1:" + std::to_string(port) + "/v1/classify";
  int status = std::system(curl.c_str());
  EXPECT_EQ(status, 0);
  // Stored while the gateway runs (after the prediction log's next commit), not only at its stop.
  auto reader = tunecase::open_store(store);
  bool stored = false;
  for (int i = 0; i < 200 && !stored; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    stored = !reader->audit_records(0, INT64_MAX).empty();
  }
  reader.reset();
  EXPECT_TRUE(stored) << "no audit row within 5 s of the request";
  kill(pid, SIGTERM);
  int exit_status = 0;
  waitpid(pid, &exit_status, 0);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << read_file(err);

  std::string received = sim.bodies();
  EXPECT_EQ(received.find("anna@example.com"), std::string::npos) << received;
  EXPECT_EQ(received.find("4111 1111 1111 1111"), std::string::npos) << received;
  EXPECT_NE(received.find("<EMAIL_1>"), std::string::npos) << received;
  CliResult shown = run_cli("audit --store " + store);
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("127.0.0.1:" + std::to_string(sim.port())), std::string::npos)
      << shown.output;
  // The ticket's and the few-shot examples' values, counted per kind.
  EXPECT_NE(shown.output.find(" email"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find(" card"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("requests 1,"), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.find("anna@"), std::string::npos) << shown.output;
}

TEST(PrivacyCli, AuditOfAFolderWithoutOneSaysWhatWritesIt) {
  TempDir dir;
  CliResult r = run_cli("audit --dir " + dir.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("written by eval"), std::string::npos) << r.output;
}

// A mistyped --store must not read as "nothing left this machine": refused, and no store made.
TEST(PrivacyCli, AuditOfAStoreThatDoesNotExistIsRefusedAndCreatesNothing) {
  TempDir dir;
  std::filesystem::path missing = dir.path() / "typo" / "pilot.db";
  CliResult r = run_cli("audit --store " + missing.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no such store"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("nothing was sent"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(missing.parent_path()));
}

}  // namespace
