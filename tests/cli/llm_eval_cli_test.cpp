#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "run_cli.h"
#include "sim_llm_process.h"

namespace {

void write_config(const std::filesystem::path& file, int port) {
  std::ofstream(file) << "[data]\npath = \"" << fixture("cli/tickets.csv")
                      << "\"\nlabel = \"category\"\n\n"
                         "[labels]\nbilling = \"invoices, charges, payments\"\n"
                         "login = \"passwords and signing in\"\n"
                         "shipping = \"parcels and deliveries\"\n"
                         "refund = \"money back\"\n\n"
                         "[[approach]]\nname = \"api-few-shot\"\nkind = \"openai\"\n"
                         "base_url = \"http://127.0.0.1:"
                      << port
                      << "/v1\"\napi_key_env = \"TUNECASE_TEST_KEY\"\nmodel = \"gpt-4o-mini\"\n"
                         "prompt = \"few_shot\"\nshots = 8\nstructured_output = true\n";
}

std::string everything_written(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) all += read_file(entry.path());
  }
  return all;
}

// A project folder with sim-llm running (ask sim.port() > 0) and a config that points at it;
// `env` carries the key the config names.
struct SimProject {
  TempDir dir;
  SimLlmProcess sim{dir.path()};
  std::string config = (dir.path() / "p.toml").string();
  std::string env = std::string("TUNECASE_TEST_KEY=") + kKey + " ";
  SimProject() { write_config(config, sim.port()); }
};

TEST(LlmEvalCli, ScoresAnApiApproachAndNeverWritesTheKey) {
  SimProject p;
  ASSERT_GT(p.sim.port(), 0);
  std::string args =
      "eval --yes --config " + p.config + " --out " + (p.dir.path() / "out").string();
  CliResult first = run_cli_with_env(p.env, args);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  nlohmann::json eval = read_json(p.dir.path() / "out" / "eval.json");
  const auto& a = eval["approaches"][0];
  EXPECT_EQ(a["simulated"], true);
  EXPECT_EQ(a["n"], eval["dataset"]["test"]);
  EXPECT_EQ(a["error_rate"], 0.0);  // injected 429s were retried, none lost
  EXPECT_GT(a["tokens_in_mean"].get<double>(), 0);
  EXPECT_TRUE(a["usd_per_1k"].is_number());  // gpt-4o-mini is in the price catalogue
  EXPECT_NE(first.output.find("(simulated)"), std::string::npos);

  // A second run answers from the cache: nothing is sent, nothing is paid twice.
  CliResult second = run_cli_with_env(p.env, args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  nlohmann::json again = read_json(p.dir.path() / "out" / "eval.json");
  EXPECT_EQ(again["approaches"][0]["runner"]["requests_sent"], 0);
  EXPECT_EQ(again["approaches"][0]["accuracy"], a["accuracy"]);

  // The cache is the project's, beside the config: a run into a fresh folder pays nothing again.
  EXPECT_TRUE(std::filesystem::exists(p.dir.path() / ".tunecase" / "cache.sqlite"));
  CliResult fresh = run_cli_with_env(
      p.env, "eval --yes --config " + p.config + " --out " + (p.dir.path() / "out2").string());
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  nlohmann::json third = read_json(p.dir.path() / "out2" / "eval.json");
  EXPECT_EQ(third["approaches"][0]["runner"]["requests_sent"], 0);
  EXPECT_EQ(third["approaches"][0]["accuracy"], a["accuracy"]);

  // The key is in no file the runs wrote (the shared cache included) and in nothing they printed.
  EXPECT_EQ(everything_written(p.dir.path()).find(kKey), std::string::npos);
  EXPECT_EQ(first.output.find(kKey), std::string::npos);
  EXPECT_EQ(second.output.find(kKey), std::string::npos);
}

TEST(LlmEvalCli, MaxTextCharsCutsPromptsAndSaysHowMany) {
  SimProject p;
  ASSERT_GT(p.sim.port(), 0);
  ASSERT_EQ(run_cli_with_env(p.env, "eval --yes --quiet --config " + p.config + " --out " +
                                        (p.dir.path() / "whole").string())
                .exit_code,
            0);
  std::ofstream(p.config, std::ios::app) << "max_text_chars = 20\n";
  CliResult r = run_cli_with_env(
      p.env, "eval --yes --quiet --config " + p.config + " --out " + p.dir.str() + "/cut");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json whole = read_json(p.dir.path() / "whole" / "eval.json")["approaches"][0];
  const nlohmann::json cut = read_json(p.dir.path() / "cut" / "eval.json")["approaches"][0];
  EXPECT_FALSE(whole.contains("texts_cut"));
  ASSERT_TRUE(cut.contains("texts_cut"));
  EXPECT_GT(cut["texts_cut"]["count"].get<int>(), 0);
  EXPECT_EQ(cut["texts_cut"]["of"], cut["n"]);
  // Cut items and examples make shorter prompts: fewer input tokens, measured by the API.
  EXPECT_LT(cut["tokens_in_mean"].get<double>(), whole["tokens_in_mean"].get<double>());
  EXPECT_NE(read_file(p.dir.path() / "cut" / "report.md").find("cut to that in the prompt"),
            std::string::npos);
}

TEST(LlmEvalCli, NoCacheSendsEveryRequestAgain) {
  SimProject p;
  ASSERT_GT(p.sim.port(), 0);
  std::string args = "eval --yes --quiet --no-cache --config " + p.config + " --out " +
                     (p.dir.path() / "out").string();
  ASSERT_EQ(run_cli_with_env(p.env, args).exit_code, 0);
  ASSERT_EQ(run_cli_with_env(p.env, args).exit_code, 0);
  nlohmann::json eval = read_json(p.dir.path() / "out" / "eval.json");
  EXPECT_EQ(eval["approaches"][0]["runner"]["requests_sent"], eval["approaches"][0]["n"]);
  EXPECT_FALSE(std::filesystem::exists(p.dir.path() / ".tunecase"));
}

TEST(LlmEvalCli, EvalOfTheSearchWinnerSendsNoTestRequestTwice) {
  SimProject p;
  ASSERT_GT(p.sim.port(), 0);
  std::ofstream(p.config, std::ios::app)
      << "\n[optimize]\nmodels = [\"api-few-shot\"]\nstrategies = [\"zero_shot\", \"few_shot\"]\n"
         "shots = [4]\nstart_sample = 6\n";
  CliResult search = run_cli_with_env(
      p.env, "optimize --yes --config " + p.config + " --out " + p.dir.str() + "/search");
  ASSERT_EQ(search.exit_code, 0) << search.output;
  std::string winner = read_file(p.dir.path() / "search" / "winner.toml");
  ASSERT_NE(winner.find("api-few-shot-optimized"), std::string::npos) << winner;
  std::ofstream(p.config, std::ios::app) << "\n" << winner;
  CliResult eval =
      run_cli_with_env(p.env, "eval --yes --quiet --config " + p.config +
                                  " --only api-few-shot-optimized --out " + p.dir.str() + "/out");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  nlohmann::json e = read_json(p.dir.path() / "out" / "eval.json");
  EXPECT_EQ(e["approaches"][0]["runner"]["requests_sent"], 0);
  EXPECT_EQ(e["approaches"][0]["runner"]["cache_hits"], e["approaches"][0]["n"]);
}

TEST(LlmEvalCli, MissingKeyVariableStopsBeforeAnyRequest) {
  TempDir dir;
  write_config(dir.path() / "p.toml", 9);  // nothing listens there; nothing must be tried
  CliResult r = run_cli_with_env("env -u TUNECASE_TEST_KEY ",
                                 "eval --yes --config " + (dir.path() / "p.toml").string() +
                                     " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("TUNECASE_TEST_KEY"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("connection refused"), std::string::npos) << r.output;
}

// An endpoint that fails every request (fewer items than stop a run): the outputs are written,
// the approach's 0% is called what it is, and the exit status is 1 so that a script notices.
TEST(LlmEvalCli, AnApproachWhoseEveryRequestFailedExitsOne) {
  TempDir dir;
  ServerProcess failing(dir.path(), "failing", {"sim-llm", "--rate-500", "1"}, {});
  ASSERT_GT(failing.port(), 0);
  std::string rows = "text,category\n";
  for (int i = 0; i < 20; ++i)
    rows += fmt::format("my invoice {} is wrong,billing\nI cannot log in ({}),login\n", i, i);
  std::ofstream(dir.path() / "t.csv") << rows;
  std::ofstream(dir.path() / "p.toml")
      << "[data]\npath = \"t.csv\"\nlabel = \"category\"\n\n[[approach]]\nname = \"down\"\n"
         "kind = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"http://127.0.0.1:"
      << failing.port() << "/v1\"\n\n[[approach]]\nname = \"lin\"\nkind = \"linear\"\n";
  CliResult r =
      run_cli("eval --yes --no-inspect --no-cache --config " + (dir.path() / "p.toml").string() +
              " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("approach 'down': every one of its 8 requests failed"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("HTTP 500"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "out" / "eval.json"));
}

// Two LLM approaches each estimated under $1, together over it, no --yes and no terminal: the
// second is asked about (the command's spend so far plus its estimate passes $1) and refused.
// Each had been asked about alone, so a config of several approaches spent over $1 unasked.
TEST(LlmEvalCli, SeveralApproachesAreAskedAboutOnceTheirSpendTogetherPassesADollar) {
  TempDir dir;
  SimLlmProcess sim(dir.path());
  ASSERT_GT(sim.port(), 0);
  std::string rows = "text,category\n";
  for (int i = 0; i < 20; ++i)
    rows += fmt::format("my invoice {} is wrong,billing\nI cannot log in ({}),login\n", i, i);
  std::ofstream(dir.path() / "t.csv") << rows;
  auto write = [&](double price, bool both) {
    std::string approach =
        "[[approach]]\nname = \"{}\"\nkind = \"openai\"\nmodel = \"m\"\nbase_url = "
        "\"http://127.0.0.1:{}/v1\"\napi_key_env = \"TUNECASE_TEST_KEY\"\ntemperature = {}\n"
        "price = {{ input = {}, output = {} }}\n\n";
    std::ofstream(dir.path() / "p.toml")
        << "[data]\npath = \"t.csv\"\nlabel = \"category\"\n\n"
        << fmt::format(fmt::runtime(approach), "a", sim.port(), 0, price, price)
        << (both ? fmt::format(fmt::runtime(approach), "b", sim.port(), 1, price, price) : "");
  };
  // What one approach's run is estimated at, at $1,000 per million tokens (capped at nothing,
  // so nothing is sent).
  write(1000, false);
  const std::string env = std::string("TUNECASE_TEST_KEY=") + kKey + " ";
  const std::string args = "eval --no-inspect --no-cache --config " +
                           (dir.path() / "p.toml").string() + " --out " +
                           (dir.path() / "out").string();
  CliResult probe = run_cli_with_env(env, args + " --max-cost 0.000001");
  const std::size_t at = probe.output.find("estimated cost $");
  ASSERT_NE(at, std::string::npos) << probe.output;
  const double estimate = std::stod(probe.output.substr(at + 16));
  ASSERT_GT(estimate, 0);
  write(1000 * 0.9 / estimate, true);  // each about $0.90, together about $1.80
  CliResult r = run_cli_with_env(env, args);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("b: the run was not confirmed"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("a: the run was not confirmed"), std::string::npos) << r.output;
}

TEST(LlmEvalCli, UnreachableEndpointIsAClearError) {
  TempDir dir;
  write_config(dir.path() / "p.toml", 9);
  CliResult r = run_cli_with_env("TUNECASE_TEST_KEY=x ",
                                 "eval --yes --config " + (dir.path() / "p.toml").string() +
                                     " --out " + (dir.path() / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:9"), std::string::npos) << r.output;
  // Its audit says it failed (it had said "finished").
  EXPECT_EQ(read_json(dir.path() / "out" / "audit.json")["state"], "failed");
  // serve refuses an eval folder a killed run left half-written: its models are not final.
  std::filesystem::create_directories(dir.path() / "out" / ".earlier-run");
  CliResult serve =
      run_cli("serve --port 0 --config " + (dir.path() / "p.toml").string() + " --store " +
              (dir.path() / "s.db").string() + " --eval " + (dir.path() / "out").string());
  EXPECT_EQ(serve.exit_code, 2) << serve.output;
  EXPECT_NE(serve.output.find("an eval on this folder was killed part-way"), std::string::npos)
      << serve.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "s.db"));
}

}  // namespace
