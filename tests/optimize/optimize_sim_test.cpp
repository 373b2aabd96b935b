// The whole prompt search against sim-llm on loopback: the test split stays sealed until the
// final step, the outputs are written, and a killed search resumes without repaying.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <regex>

#include <gtest/gtest.h>

#include "tunecase/core/error.h"
#include "tunecase/data/csv_writer.h"
#include "tunecase/data/prepare.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/optimize/optimize_run.h"
#include "tunecase/runner/budget.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

// Forwards to the real client and keeps every request body, in order.
class RecordingClient : public HttpClient {
 public:
  void submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    {
      std::lock_guard lock(mutex_);
      bodies_.push_back(request.body);
    }
    inner_->submit(std::move(request), std::move(done));
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  std::unique_ptr<HttpClient> inner_ = make_http_client();
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

class OptimizeSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tunecase-optimize-test-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SyntheticOptions o;
    o.tickets = 900;
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : generate_tickets(o)) rows.push_back({t.id, t.text, t.category});
    write_csv(dir_ / "tickets.csv", {"id", "text", "category"}, rows);
    server_ = std::make_unique<SimLlmServer>(SimLlmOptions{});
    port_ = server_->start();
  }
  void TearDown() override {
    server_->stop();
    std::filesystem::remove_all(dir_);
  }
  // The [optimize] table after `models`, and the price per million tokens, can be changed.
  // Two candidates (zero-shot, four-shot) at a price that makes the search worth asking about;
  // `extra` adds [optimize] keys.
  ProjectConfig priced_pair(const std::string& extra = "") const {
    return config(
        "strategies = [\"zero_shot\", \"few_shot\"]\nshots = [4]\nlabel_descriptions = "
        "[false]\n" +
            extra,
        "input = 30, output = 120");
  }
  ProjectConfig config(const std::string& search =
                           "strategies = [\"zero_shot\", \"few_shot\", \"retrieval_few_shot\"]\n"
                           "shots = [4, 8]\nlabel_descriptions = [true, false]\n",
                       const std::string& price = "input = 0.15, output = 0.6") const {
    std::string text = fmt::format(R"(
[data]
path = "tickets.csv"
text = "text"
label = "category"
id = "id"
test_fraction = 0.2
dev_fraction = 0.2
[[approach]]
name = "sim"
kind = "openai"
base_url = "http://127.0.0.1:{}/v1"
model = "sim-llm"
price = {{ {} }}
[optimize]
models = ["sim"]
start_sample = 20
{})",
                                   port_, price, search);
    return parse_config(text, dir_ / "tunecase.toml");
  }
  OptimizeOptions options(const std::string& out) const {
    OptimizeOptions o;
    o.out_dir = dir_ / out;
    o.assume_yes = true;
    o.concurrency = 4;
    return o;
  }
  // Runs `c` with --yes, then again without it and with no terminal: the second run must
  // neither throw nor send a request. Returns what the second run said.
  std::string run_twice_second_unasked(const ProjectConfig& c) {
    std::ostringstream log;
    run_optimize(c, options("first"), log);  // --yes
    const uint64_t sent = server_->stats().requests;
    auto o = options("again");
    o.assume_yes = false;  // and no terminal to ask on
    std::ostringstream again;
    EXPECT_NO_THROW(run_optimize(c, o, again)) << again.str();
    EXPECT_EQ(server_->stats().requests, sent);
    return again.str();
  }
  std::filesystem::path dir_;
  std::unique_ptr<SimLlmServer> server_;
  int port_ = 0;
};

// optimize.json quotes the rows whose copies disagree on their label: under [privacy] redact,
// redacted as eval.json's quotes are (the e-mail address had been written as it was).
TEST_F(OptimizeSimTest, TheConflictSamplesOfTheReportAreRedacted) {
  SyntheticOptions o;
  o.tickets = 900;
  const std::string text = "please mail jane.doe@example.org about my refund";
  std::vector<std::vector<std::string>> rows = {{"C-1", text, "billing"}, {"C-2", text, "refund"}};
  for (const auto& t : generate_tickets(o)) rows.push_back({t.id, t.text, t.category});
  write_csv(dir_ / "tickets.csv", {"id", "text", "category"}, rows);
  ProjectConfig c = config(
      "strategies = [\"zero_shot\"]\nshots = [4]\nlabel_descriptions = [false]\n"
      "[privacy]\nredact = [\"email\"]\n");
  std::ostringstream log;
  nlohmann::json doc = run_optimize(c, options("redacted"), log);
  ASSERT_FALSE(doc["dataset"]["conflict_samples"].empty()) << doc["dataset"].dump();
  std::ifstream in(dir_ / "redacted" / "optimize.json");
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written.find("jane.doe"), std::string::npos);
  EXPECT_NE(written.find("please mail <EMAIL_1> about my refund"), std::string::npos)
      << doc["dataset"]["conflict_samples"].dump();
}

// What the command spent in all is the search's and the winner's test run's (the summary had
// named the search's alone); a winner no better than always answering the most frequent label
// of its dev items says so (a search on imbalanced data had crowned such a prompt silently).
TEST_F(OptimizeSimTest, TheSpendInAllAndAWinnerUnderTheMajorityFloorAreSaid) {
  SyntheticOptions o;
  o.tickets = 900;
  std::vector<std::vector<std::string>> rows;
  int i = 0;
  for (const auto& t : generate_tickets(o))  // nine rows in ten relabelled to one label
    rows.push_back({t.id, t.text, i++ % 10 == 0 ? t.category : std::string("billing")});
  write_csv(dir_ / "tickets.csv", {"id", "text", "category"}, rows);
  std::ostringstream log;
  nlohmann::json doc = run_optimize(
      config("strategies = [\"zero_shot\"]\nshots = [4]\nlabel_descriptions = [false]\n"),
      options("skewed"), log);
  ASSERT_TRUE(doc["winner"].is_object()) << log.str();
  const auto& w = doc["winner"];
  EXPECT_EQ(w["dev_majority_baseline"]["label"], "billing");
  EXPECT_GT(w["dev_majority_baseline"]["accuracy"].get<double>(), 0.8);
  ASSERT_TRUE(w.contains("warning")) << w.dump();
  EXPECT_NE(w["warning"].get<std::string>().find("no better than always answering 'billing'"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(doc["spent"]["usd"].get<double>(),
                   doc["search"]["spent_usd"].get<double>() + w["test"]["spent_usd"].get<double>());
  EXPECT_EQ(
      doc["spent"]["requests"].get<std::size_t>(),
      doc["search"]["requests"].get<std::size_t>() + w["test"]["requests"].get<std::size_t>());
  EXPECT_GT(w["test"]["requests"].get<std::size_t>(), 0u);
  std::ifstream in(dir_ / "skewed" / "optimize.md");
  std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(md.find("WARNING: the winner's dev accuracy"), std::string::npos);
  EXPECT_NE(md.find("with the winner's test run $"), std::string::npos);
}

// Too few rows per label for a dev split at dev_fraction 0.1: the message says so, instead of
// telling the user to set dev_fraction above 0 (it was).
TEST_F(OptimizeSimTest, TooFewRowsForADevSplitSaySo) {
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 30; ++i)
    rows.push_back({"T" + std::to_string(i), "ticket number " + std::to_string(i),
                    "label" + std::to_string(i % 15)});
  write_csv(dir_ / "tiny.csv", {"id", "text", "category"}, rows);
  std::string text = fmt::format(
      "[data]\npath = \"tiny.csv\"\nlabel = \"category\"\ndev_fraction = 0.1\n"
      "[[approach]]\nname = \"sim\"\nkind = \"openai\"\nbase_url = "
      "\"http://127.0.0.1:{}/v1\"\nmodel = \"sim-llm\"\nprice = {{ input = 0.15, output = 0.6 }}\n"
      "[optimize]\nmodels = [\"sim\"]\n",
      port_);
  std::ostringstream log;
  try {
    run_optimize(parse_config(text, dir_ / "tiny.toml"), options("tiny-out"), log);
    FAIL() << "a search ran without a dev split";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the dev split is empty although dev_fraction = 0.1"));
    EXPECT_THAT(e.what(), HasSubstr("over 15 labels leave no row for dev"));
  }
}

std::string json_text(const std::string& s) {
  std::string quoted = nlohmann::json(s).dump();
  return quoted.substr(1, quoted.size() - 2);
}

TEST_F(OptimizeSimTest, NoTestItemIsRequestedBeforeTheFinalStep) {
  RecordingClient client;
  auto o = options("out");
  o.client = &client;
  std::ostringstream log;
  nlohmann::json doc = run_optimize(config(), o, log);
  ASSERT_FALSE(doc["winner"].is_null());

  Examples test = prepare_data(config().data).splits.test;
  auto bodies = client.bodies();
  auto holds_test_item = [&](const std::string& body) {
    // The item being classified closes the user message: "Text: <item>\nLabel:" (a short test
    // text may also occur inside a longer train example, which is allowed).
    for (const auto& e : test)
      if (body.find(json_text("Text: " + e.text + "\nLabel:") + "\"") != std::string::npos)
        return true;
    return false;
  };
  std::size_t first = bodies.size();
  for (std::size_t i = 0; i < bodies.size() && first == bodies.size(); ++i)
    if (holds_test_item(bodies[i])) first = i;
  ASSERT_LT(first, bodies.size()) << "the winner was never scored on test";
  // Everything from the first test request on is the final step: one request per test item.
  for (std::size_t i = first; i < bodies.size(); ++i) EXPECT_TRUE(holds_test_item(bodies[i]));
  EXPECT_EQ(bodies.size() - first, test.size());
  EXPECT_EQ(doc["winner"]["test"]["n"], test.size());
}

TEST_F(OptimizeSimTest, WritesReportsAndAWinnerThatLoadsAsAnApproach) {
  std::ostringstream log;
  nlohmann::json doc = run_optimize(config(), options("out"), log);
  for (const char* f : {"optimize.json", "optimize.md", "optimize.html", "winner.toml"})
    EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / f)) << f;
  // 1 zero-shot + 2 few-shot + 2 retrieval: without [labels] descriptions, label_descriptions =
  // [true, false] changes no prompt and adds no candidate.
  EXPECT_EQ(doc["search"]["candidates"], 5);
  EXPECT_TRUE(doc["simulated"].get<bool>());
  std::size_t winners = 0;
  for (const auto& c : doc["candidates"]) {
    winners += c["status"] == "winner";
    if (c["status"] != "winner") {
      EXPECT_FALSE(c["reason"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(winners, 1u);
  std::ifstream in(dir_ / "out" / "winner.toml");
  std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto back = parse_config("[data]\npath = \"x.csv\"\n" + toml, dir_ / "w.toml");
  ASSERT_EQ(back.approaches.size(), 1u);
  EXPECT_EQ(back.approaches[0].llm.prompt, doc["winner"]["settings"]["prompt"]);
  std::ifstream html(dir_ / "out" / "optimize.html");
  std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_THAT(page, HasSubstr("<svg"));
  EXPECT_THAT(page, HasSubstr("sim-llm"));
}

TEST_F(OptimizeSimTest, ASecondRunPaysForNothing) {
  std::ostringstream log;
  run_optimize(config(), options("out"), log);
  uint64_t after_first = server_->stats().requests;
  nlohmann::json again = run_optimize(config(), options("out"), log);
  EXPECT_EQ(server_->stats().requests, after_first);
  EXPECT_EQ(again["search"]["requests"], 0);
}

TEST_F(OptimizeSimTest, MaxCostCapsTheSearchAndTheFinalStep) {
  std::ostringstream log;
  auto o = options("capped");
  o.max_cost_usd = 0.004;  // the uncapped search with its final step spends about $0.01
  nlohmann::json doc = run_optimize(config(), o, log);
  double total = doc["search"]["spent_usd"].get<double>();
  if (!doc["winner"].is_null()) total += doc["winner"]["test"]["spent_usd"].get<double>();
  EXPECT_LE(total, 0.004 + 1e-12);
  EXPECT_TRUE(doc["search"]["budget_forced"].get<bool>());
}

// A search paid for under budget_usd, then a final test step over the confirmation threshold
// that nobody confirms (no terminal): the search's result is written before the refusal ends the
// command (it was lost, and the rerun paid the cache's way back to it).
std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(OptimizeSimTest, ARefusedFinalStepKeepsTheSearchResult) {
  ProjectConfig c = priced_pair("budget_usd = 2\n");
  auto o = options("refused");
  o.assume_yes = false;  // and no terminal to ask on
  std::ostringstream log;
  std::string refusal;
  try {
    run_optimize(c, o, log);
  } catch (const SpendNotConfirmed& e) {
    refusal = e.what();
  }
  nlohmann::json doc = nlohmann::json::parse(slurp(dir_ / "refused" / "optimize.json"));
  ASSERT_FALSE(doc["winner"].is_null()) << doc.dump();
  EXPECT_TRUE(doc["winner"]["test"].is_null());
  // What the search already spent is in the refusal and in optimize.json's spent.
  EXPECT_THAT(refusal, HasSubstr("the search before it spent $")) << refusal;
  EXPECT_GT(doc["spent"]["usd"].get<double>(), 0);
  EXPECT_EQ(doc["spent"]["usd"], doc["search"]["spent_usd"]);
  EXPECT_TRUE(doc["spent"]["test_usd"].is_null());
  EXPECT_FALSE(doc["winner"]["test_not_run"].get<std::string>().empty());
  // The dev-only check against a constant answer is made without the test run too.
  EXPECT_TRUE(doc["winner"]["dev_majority_baseline"].is_object()) << doc["winner"].dump();
  EXPECT_GT(doc["search"]["requests"].get<int64_t>(), 0);
  EXPECT_NE(slurp(dir_ / "refused" / "optimize.md").find("NOT scored on the test split"),
            std::string::npos);
  // The refusal names the --max-cost that keeps this winner: a rerun under it scores the same
  // winner, chosen by the same search (the test run's amount alone had stopped the rerun's
  // search early and crowned another).
  std::smatch named;
  const std::regex keeps(R"(--max-cost \$([0-9.]+) or more)");
  ASSERT_TRUE(std::regex_search(refusal, named, keeps)) << refusal;
  auto capped = options("refused");
  capped.assume_yes = false;
  capped.max_cost_usd = std::stod(named[1].str());
  nlohmann::json rerun = run_optimize(c, capped, log);
  EXPECT_EQ(rerun["winner"]["name"], doc["winner"]["name"]);
  EXPECT_EQ(rerun["search"]["decided_by"], doc["search"]["decided_by"]);
  EXPECT_FALSE(rerun["winner"]["test"].is_null());
}

// Without a cap or --yes, the whole search is estimated and asked about before its first request
// (one yes had covered a search whose total nobody had estimated): nobody confirms here (no
// terminal), so nothing is sent.
TEST_F(OptimizeSimTest, AnUncappedSearchIsEstimatedAndAskedAboutBeforeItSendsAnything) {
  ProjectConfig c = priced_pair();
  auto o = options("asked");
  o.assume_yes = false;  // and no terminal to ask on
  std::ostringstream log;
  try {
    run_optimize(c, o, log);
    ADD_FAILURE() << "the search ran unconfirmed: " << log.str();
  } catch (const SpendNotConfirmed& e) {
    EXPECT_THAT(e.what(), HasSubstr("optimize: not confirmed (estimated at most $"));
    EXPECT_THAT(e.what(), HasSubstr("nothing was sent"));
  }
  EXPECT_EQ(server_->stats().requests, 0u);
  EXPECT_THAT(log.str(), HasSubstr("estimate: at most $"));
}

// The estimate is an upper bound of what the search and its final step then spend.
TEST_F(OptimizeSimTest, TheSearchsEstimateBoundsItsSpend) {
  ProjectConfig c = priced_pair();
  std::ostringstream log;
  nlohmann::json doc = run_optimize(c, options("bounded"), log);  // --yes
  const std::string text = log.str();
  const std::string marker = "estimate: at most $";
  auto at = text.find(marker);
  ASSERT_NE(at, std::string::npos) << text;
  double estimate = std::stod(text.substr(at + marker.size()));
  double spent = doc["search"]["spent_usd"].get<double>();
  ASSERT_FALSE(doc["winner"].is_null());
  spent += doc["winner"]["test"]["spent_usd"].get<double>();
  EXPECT_GT(spent, 0);
  EXPECT_LE(spent, estimate + 0.005) << text;  // the estimate is printed to the cent
}

// A finished search run again sends nothing, so it is not asked about (the whole worst case had
// been asked, and refused without a terminal).
TEST_F(OptimizeSimTest, AFinishedSearchRunAgainIsNotAskedAbout) {
  EXPECT_THAT(run_twice_second_unasked(priced_pair()),
              HasSubstr("every answer the search can ask for is in the cache"));
}

// The same for a search whose halving dropped candidates (so the cache holds only part of the
// grid's dev answers): run again without --yes or a terminal it pays nothing and is not refused
// on the bound of answers it will never ask for.
TEST_F(OptimizeSimTest, AFinishedHalvingSearchRunAgainIsNotRefused) {
  ProjectConfig c = config(
      "strategies = [\"zero_shot\", \"few_shot\", \"retrieval_few_shot\"]\nshots = [4, 8]\n"
      "label_descriptions = [true, false]\n",
      "input = 30, output = 120");
  EXPECT_THAT(run_twice_second_unasked(c), HasSubstr("a search run again"));
}

// A --max-cost that pays for the search but not the winner's whole test run leaves the test run
// out, said in test_not_run, instead of scoring the winner on the part of the test split the
// money reached (reported as its test figures).
TEST_F(OptimizeSimTest, ATestRunTheCapCannotPayForWholeIsNotRun) {
  ProjectConfig c = priced_pair("budget_usd = 2\n");
  // The search paid for (under budget_usd) and cached; its final step refused (no terminal).
  auto first = options("first");
  first.assume_yes = false;
  std::ostringstream log;
  EXPECT_THROW(run_optimize(c, first, log), SpendNotConfirmed);
  // Again with a --max-cost that the cached search leaves almost whole, and that the test run
  // passes: the test run is not started, and optimize.json says why.
  auto capped = options("capped");
  capped.max_cost_usd = 0.01;
  EXPECT_THROW(run_optimize(c, capped, log), SpendNotConfirmed);
  nlohmann::json doc = nlohmann::json::parse(slurp(dir_ / "capped" / "optimize.json"));
  ASSERT_FALSE(doc["winner"].is_null()) << doc.dump();
  EXPECT_TRUE(doc["winner"]["test"].is_null());
  EXPECT_THAT(doc["winner"]["test_not_run"].get<std::string>(), HasSubstr("more than the $"));
}

// A cap that cannot pay for the first round whole, at the candidates' estimated worst case, sends
// nothing (the first round had been started and stopped part-way, paid for no winner).
TEST_F(OptimizeSimTest, ACapUnderTheFirstRoundSendsNothing) {
  ProjectConfig c = priced_pair("budget_usd = 0.05\n");
  std::ostringstream log;
  nlohmann::json doc = run_optimize(c, options("small"), log);
  EXPECT_TRUE(doc["winner"].is_null());
  EXPECT_EQ(server_->stats().requests, 0u);
  EXPECT_THAT(doc["search"]["notes"].dump(), HasSubstr("does not cover the first round"));
}

// A budgeted search run again on its own cache, as after a kill: the answers the first run paid
// for count toward budget_usd at their price, so the rerun stops where the first one did and
// sends at most the few requests a stop leaves unsent. It had taken cached answers as free and
// spent the budget again on the dev items beyond (a killed search paid a second budget).
TEST_F(OptimizeSimTest, ARerunOfABudgetedSearchDoesNotSpendItsBudgetAgain) {
  std::ostringstream log;
  nlohmann::json whole = run_optimize(config(), options("unbudgeted"), log);
  const double full_spend = whole["search"]["spent_usd"].get<double>();
  ASSERT_GT(full_spend, 0);
  const double budget = full_spend * 0.7;  // the first round at its worst case fits
  ProjectConfig c = config(
      "strategies = [\"zero_shot\", \"few_shot\", \"retrieval_few_shot\"]\nshots = [4, 8]\n"
      "label_descriptions = [true, false]\n" +
      fmt::format("budget_usd = {}\n", budget));
  OptimizeOptions o = options("budgeted");
  o.cache.file = dir_ / "budgeted-cache.sqlite";
  nlohmann::json first = run_optimize(c, o, log);
  ASSERT_TRUE(first["search"]["budget_forced"].get<bool>()) << first["search"].dump();
  EXPECT_LE(first["search"]["spent_usd"].get<double>(), budget + 1e-9);
  const uint64_t before = server_->stats().completions;
  nlohmann::json again = run_optimize(c, o, log);
  EXPECT_LE(server_->stats().completions - before, 2u * 4u) << "at most a stop's worth again";
  EXPECT_GT(again["spent"]["search_cached_counted_answers"].get<int64_t>(), 0) << again["spent"];
  EXPECT_LE(again["spent"]["search_usd"].get<double>() +
                again["spent"]["search_cached_counted_usd"].get<double>(),
            budget + 1e-9);
  EXPECT_TRUE(again["search"]["budget_forced"].get<bool>());
}

// The same under --max-cost alone: the rerun's cached answers count toward the search's share
// of the cap, so the reserve the first run kept for its test run (cached now) does not pay for
// more rounds (a finished capped search run again had spent on more dev items).
TEST_F(OptimizeSimTest, ARerunUnderMaxCostPaysNothing) {
  std::ostringstream log;
  OptimizeOptions o = options("max-cost");
  o.cache.file = dir_ / "max-cost-cache.sqlite";
  nlohmann::json whole = run_optimize(config(), options("uncapped"), log);
  o.max_cost_usd = whole["spent"]["usd"].get<double>() * 1.5;  // binds with the worst-case reserve
  // A search the cap bound may leave too little for the winner's test run at its worst case
  // (the reserve is estimated on dev items' prompts): that run is then refused, sending
  // nothing, and optimize.json holds the search. Either way a rerun pays nothing.
  bool refused = false;
  auto run = [&] {
    try {
      return run_optimize(config(), o, log);
    } catch (const SpendNotConfirmed&) {
      refused = true;
      std::ifstream in(o.out_dir / "optimize.json");
      return nlohmann::json::parse(in);
    }
  };
  nlohmann::json first = run();
  ASSERT_TRUE(first["search"]["budget_forced"].get<bool>()) << "the cap must bind";
  const uint64_t before = server_->stats().completions;
  const bool first_refused = refused;
  nlohmann::json again = run();
  EXPECT_EQ(again["search"]["requests"], 0) << again["search"].dump();
  // The search is not bought again; a test run the first refused may be bought now, once.
  const uint64_t test_items =
      first_refused ? whole["winner"]["test"]["test_items"].get<uint64_t>() : 0;
  EXPECT_LE(server_->stats().completions, before + test_items) << again["search"].dump();
}

// The child half of the kill test: runs only when started by the parent with these variables.
TEST_F(OptimizeSimTest, KilledChildSearch) {
  const char* port = std::getenv("TUNECASE_OPT_KILL_PORT");
  const char* out = std::getenv("TUNECASE_OPT_KILL_OUT");
  if (port == nullptr || out == nullptr) GTEST_SKIP() << "only as the child of the kill test";
  port_ = std::atoi(port);
  OptimizeOptions o = options("unused");
  o.out_dir = out;
  std::ostringstream log;
  run_optimize(config(), o, log);
}

TEST_F(OptimizeSimTest, ResumesAfterAKillWithoutRepaying) {
  server_->stop();  // a little latency, so that the kill lands mid-search
  SimLlmOptions slow;
  slow.latency_base_ms = 3;
  server_ = std::make_unique<SimLlmServer>(slow);
  port_ = server_->start();
  std::ostringstream log;
  run_optimize(config(), options("reference"), log);
  const uint64_t full_run = server_->stats().completions;

  std::filesystem::path out = dir_ / "killed";
  std::vector<std::string> env = {"TUNECASE_OPT_KILL_PORT=" + std::to_string(port_),
                                  "TUNECASE_OPT_KILL_OUT=" + out.string()};
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int quiet = open("/dev/null", O_WRONLY);
    dup2(quiet, STDOUT_FILENO);
    dup2(quiet, STDERR_FILENO);
    execle("/proc/self/exe", "child", "--gtest_filter=OptimizeSimTest.KilledChildSearch", nullptr,
           envp.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server_->stats().completions < full_run + full_run / 3 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before the kill";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const uint64_t before_rerun = server_->stats().completions;

  run_optimize(config(), options("killed"), log);
  uint64_t paid_by_killed_dir = server_->stats().completions - full_run;
  // The killed run and its resume together pay for the full run plus at most the requests in
  // flight at the kill (concurrency 4).
  EXPECT_LE(paid_by_killed_dir, full_run + 4);
  EXPECT_GT(before_rerun, full_run);
}

}  // namespace
}  // namespace tunecase
