#include "tunecase/finetune/finetune_run.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <thread>

#include "finetune_support.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/data/prepare.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/openai_finetune.h"
#include "tunecase/llm/sim_llm_server.h"

namespace tunecase {
namespace {

using namespace finetune_test;
using nlohmann::json;

constexpr const char* kKey = "sk-ft-test-5d1e9a7c3b2f4e6a8c0d";

class FinetuneRunTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("TUNECASE_FT_TEST_KEY", kKey, 1); }
  void TearDown() override {
    if (server_) server_->stop();
  }

  void start(SimFinetuneOptions finetune = {}) {
    SimLlmOptions o;
    o.require_key = kKey;
    o.finetune = finetune;
    server_ = std::make_unique<SimLlmServer>(o);
    port_ = server_->start();
  }

  ProjectConfig config(const std::string& extra = "") {
    return parse_config(project_toml(port_, extra), dir_ / "tunecase.toml");
  }

  FinetuneOptions options() {
    FinetuneOptions o;
    o.out_dir = dir_ / "out";
    o.assume_yes = true;
    o.poll_interval = std::chrono::milliseconds(50);
    return o;
  }

  // A config of `csv` (text, category), with `data_lines` in [data] and `tables` before the
  // approach to fine-tune on this test's server.
  std::string csv_toml(const std::filesystem::path& csv, const std::string& data_lines,
                       const std::string& tables = "") {
    return "[data]\npath = \"" + csv.string() + "\"\nlabel = \"category\"\n" + data_lines + "\n" +
           tables +
           "[[approach]]\nname = \"gpt-ft\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:" +
           std::to_string(port_) +
           "/v1\"\napi_key_env = \"TUNECASE_FT_TEST_KEY\"\nmodel = \"gpt-4.1-mini\"\n"
           "finetune = { base_model = \"gpt-4.1-mini-2025-04-14\", epochs = 1 }\n";
  }

  // Options under which no spend is confirmed: a run stops before it pays.
  FinetuneOptions unconfirmed() {
    FinetuneOptions o = options();
    o.assume_yes = false;
    o.confirm = [](const std::string&) { return false; };
    return o;
  }

  std::string error_of(const ProjectConfig& c, const FinetuneOptions& o) {
    try {
      run_finetune(c, "gpt-ft", o, log_);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }

  // A run that dies right after the provider created its job (as a kill -9 there would): its
  // progress output throws once "created job" is written.
  void die_after_creating_the_job(const FinetuneOptions& o) {
    struct Dying : std::streambuf {
      std::string seen;
      int overflow(int c) override {
        seen += static_cast<char>(c);
        if (seen.find("created job") != std::string::npos) throw std::runtime_error("killed");
        return c;
      }
    } dying;
    std::ostream dying_log(&dying);
    dying_log.exceptions(std::ios::badbit);
    EXPECT_ANY_THROW(run_finetune(config(), "gpt-ft", o, dying_log));
  }

  std::filesystem::path dir_ =
      scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<SimLlmServer> server_;
  int port_ = 0;
  std::ostringstream log_;
};

TEST_F(FinetuneRunTest, AJobGoesQueuedRunningSucceededAndTheResultIsRecorded) {
  start();
  FinetuneResult r = run_finetune(config(), "gpt-ft", options(), log_);
  std::string log = log_.str();
  EXPECT_NE(log.find(" queued"), std::string::npos) << log;
  EXPECT_NE(log.find(" running"), std::string::npos) << log;
  EXPECT_NE(log.find(" succeeded"), std::string::npos) << log;
  const json& job = r.record["job"];
  EXPECT_TRUE(job["fine_tuned_model"].get<std::string>().starts_with(
      "ft:gpt-4.1-mini-2025-04-14:tunecase-sim:tickets:"));
  // sim-llm counts the uploaded file's tokens the way the estimate does: they must agree.
  EXPECT_EQ(job["trained_tokens"], r.record["estimate"]["trained_tokens"]);
  EXPECT_EQ(r.record["estimate"]["trained_tokens"].get<int64_t>(),
            2 * r.record["estimate"]["tokens_per_epoch"].get<int64_t>());
  EXPECT_TRUE(r.record["simulated"].get<bool>());
  EXPECT_EQ(r.record["training_usd_is"], "simulated");
  EXPECT_NEAR(r.record["training_usd"].get<double>(),
              job["trained_tokens"].get<double>() * 5.0 / 1e6, 1e-12);
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
  // The snippet is an approach the config reader accepts, pointing at the tuned model.
  // Its record path is relative to the config the run read, so it resolves in that config
  // wherever the project is moved (an absolute path had named this machine's folder).
  EXPECT_NE(r.approach_toml.find("finetune_record = 'out/finetune.json'"), std::string::npos)
      << r.approach_toml;
  EXPECT_NE(r.approach_toml.find(fmt::format("# training_usd: simulated from {} trained tokens.",
                                             job["trained_tokens"].get<int64_t>())),
            std::string::npos)
      << r.approach_toml;
  ProjectConfig pasted =
      parse_config(project_toml(port_) + "\n" + r.approach_toml, dir_ / "tunecase.toml");
  const ApproachConfig* tuned = pasted.find_approach("gpt-ft-ft");
  ASSERT_NE(tuned, nullptr);
  EXPECT_EQ(tuned->llm.model, job["fine_tuned_model"]);
  EXPECT_FALSE(tuned->llm.finetune.has_value());
  EXPECT_EQ(tuned->costs.finetune_record,
            std::filesystem::absolute(dir_ / "out" / "finetune.json").lexically_normal());
  EXPECT_TRUE(tuned->costs.trained.value_or(false));
  EXPECT_EQ(json::parse(slurp(dir_ / "out" / "finetune.json")), r.record);
}

TEST_F(FinetuneRunTest, TheTestSplitNeverReachesATrainingFile) {
  start();
  ProjectConfig c = config();
  run_finetune(c, "gpt-ft", options(), log_);
  std::string files =
      slurp(dir_ / "out" / "train.jsonl") + slurp(dir_ / "out" / "validation.jsonl");
  PreparedData data = prepare_data(c.data);
  ASSERT_FALSE(data.splits.test.empty());
  // A text as the user message holds it, JSON-escaped in the file.
  auto needle = [](const std::string& text) {
    std::string quoted = json(text).dump();
    return "Text: " + quoted.substr(1, quoted.size() - 2) + "\\nLabel:";
  };
  for (const auto& e : data.splits.test)
    EXPECT_EQ(files.find(needle(e.text)), std::string::npos) << e.text;
  std::size_t train_found = 0;  // and the same search does find train texts
  for (const auto& e : data.splits.train)
    train_found += files.find(needle(e.text)) != std::string::npos;
  EXPECT_EQ(train_found, data.splits.train.size());
}

TEST_F(FinetuneRunTest, ReRunningTheSameCommandFollowsTheRecordedJobInsteadOfPayingAgain) {
  start();
  FinetuneResult first = run_finetune(config(), "gpt-ft", options(), log_);
  FinetuneOptions again = options();
  again.assume_yes = false;  // no new spend, so nothing to confirm
  FinetuneResult second = run_finetune(config(), "gpt-ft", again, log_);
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
  EXPECT_EQ(second.record["job"]["id"], first.record["job"]["id"]);
  EXPECT_EQ(second.record["job"]["fine_tuned_model"], first.record["job"]["fine_tuned_model"]);
  EXPECT_NE(log_.str().find("nothing paid again"), std::string::npos);
}

// A succeeded job is final: a re-run while the provider cannot be reached reports it from the
// record, its cost and simulated mark kept (they had been reset to unknown, which flipped the
// memo's recommendation).
TEST_F(FinetuneRunTest, ReRunningAFinishedJobNeedsNoProviderAndKeepsItsCost) {
  start();
  FinetuneResult first = run_finetune(config(), "gpt-ft", options(), log_);
  ASSERT_TRUE(first.record["training_usd"].is_number());
  ProjectConfig c = config();  // still naming the stopped server's port
  server_->stop();
  server_.reset();
  unsetenv("TUNECASE_FT_TEST_KEY");  // nothing is asked of the provider: no key needed
  FinetuneResult second = run_finetune(c, "gpt-ft", options(), log_);
  EXPECT_EQ(second.record["training_usd"], first.record["training_usd"]);
  EXPECT_EQ(second.record["training_usd_is"], "simulated");
  EXPECT_TRUE(second.record["simulated"].get<bool>());
  EXPECT_EQ(json::parse(slurp(dir_ / "out" / "finetune.json")), first.record);
  EXPECT_NE(log_.str().find("reporting the finished job"), std::string::npos) << log_.str();
}

TEST_F(FinetuneRunTest, AnInterruptedRunResumesTheJobInProgress) {
  start({.queue_s = 0.2, .run_s = 0.5, .fault = ""});
  // The first run dies right after creating the job: its progress output throws.
  die_after_creating_the_job(options());
  json recorded = json::parse(slurp(dir_ / "out" / "finetune.json"));
  ASSERT_FALSE(recorded["job"].value("id", "").empty());
  EXPECT_FALSE(recorded["job"]["status"] == "succeeded");
  FinetuneOptions again = options();
  again.assume_yes = false;
  FinetuneResult r = run_finetune(config(), "gpt-ft", again, log_);
  EXPECT_EQ(r.record["job"]["id"], recorded["job"]["id"]);
  EXPECT_EQ(r.record["job"]["status"], "succeeded");
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
}

TEST_F(FinetuneRunTest, ARunThatDiedBeforeRecordingItsJobFindsItByTheUploadedFile) {
  start({.queue_s = 0.2, .run_s = 0.3, .fault = ""});
  FinetuneResult first = run_finetune(config(), "gpt-ft", options(), log_);
  // As if the answer to "create job" had been lost: the record holds the files, not the job.
  json record = json::parse(slurp(dir_ / "out" / "finetune.json"));
  record["job"] = json::object();
  std::ofstream(dir_ / "out" / "finetune.json") << record.dump(2);
  FinetuneResult second = run_finetune(config(), "gpt-ft", options(), log_);
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
  EXPECT_EQ(second.record["job"]["id"], first.record["job"]["id"]);
  EXPECT_NE(log_.str().find("on the uploaded file"), std::string::npos) << log_.str();
}

// A recorded job the provider does not know (made under another key, or at another base_url):
// a re-run would follow it into the same 404 for ever, so it stops at once and says both ways
// out, and pays for nothing.
TEST_F(FinetuneRunTest, ARecordedJobTheProviderDoesNotKnowSaysWhatToDo) {
  start({.queue_s = 0.2, .run_s = 0.3, .fault = ""});
  run_finetune(config(), "gpt-ft", options(), log_);
  json record = json::parse(slurp(dir_ / "out" / "finetune.json"));
  record["job"]["id"] = "ftjob-from-another-organisation";
  record["job"]["status"] = "running";
  std::ofstream(dir_ / "out" / "finetune.json") << record.dump(2);
  try {
    run_finetune(config(), "gpt-ft", options(), log_);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("ftjob-from-another-organisation"), std::string::npos) << what;
    EXPECT_NE(what.find("404"), std::string::npos) << what;
    EXPECT_NE(what.find("another API key"), std::string::npos) << what;
    EXPECT_NE(what.find("finetune.json"), std::string::npos) << what;
  }
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
}

// A record whose job was edited into another type: it read as no job, and the next run asked to
// pay for a new one (and rewrote the record without its ids) while the recorded job ran on.
TEST_F(FinetuneRunTest, ARecordWhoseJobIsNotAnObjectIsRefusedAndLeftAsItIs) {
  start({.queue_s = 0.2, .run_s = 0.3, .fault = ""});
  run_finetune(config(), "gpt-ft", options(), log_);
  json record = json::parse(slurp(dir_ / "out" / "finetune.json"));
  record["job"] = "ftjob-123";
  const std::string edited = record.dump(2);
  std::ofstream(dir_ / "out" / "finetune.json") << edited;
  std::string error = error_of(config(), options());
  EXPECT_NE(error.find("its \"job\" is not a JSON object"), std::string::npos) << error;
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
  EXPECT_EQ(slurp(dir_ / "out" / "finetune.json"), edited);
}

TEST_F(FinetuneRunTest, ChangedDataWithAJobInProgressIsRefusedNotSilentlyRepaid) {
  start({.queue_s = 30, .run_s = 30, .fault = ""});
  FinetuneOptions o = options();
  die_after_creating_the_job(o);
  std::string job = json::parse(slurp(dir_ / "out" / "finetune.json"))["job"]["id"];
  o.fraction = 0.5;  // other training data
  std::string error = error_of(config(), o);
  EXPECT_NE(error.find("follows job"), std::string::npos) << error;
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
  // The refusal left the record as it was: the original command follows the same job.
  EXPECT_EQ(json::parse(slurp(dir_ / "out" / "finetune.json"))["job"]["id"], job);
  EXPECT_TRUE(plan_finetune(config(), "gpt-ft", options()).follows_job);
}

// A run that stops before it reaches the provider (the key's variable unset in a new shell, the
// spend not confirmed) leaves finetune.json as it found it: the next run follows the recorded
// job, or finds the job on the recorded files, instead of paying for another.
TEST_F(FinetuneRunTest, ARunStoppedBeforeTheProviderKeepsTheRecordedJob) {
  start({.queue_s = 0.2, .run_s = 0.3, .fault = ""});
  die_after_creating_the_job(options());
  json recorded = json::parse(slurp(dir_ / "out" / "finetune.json"));
  ASSERT_FALSE(recorded["job"].value("id", "").empty());

  unsetenv("TUNECASE_FT_TEST_KEY");
  EXPECT_NE(error_of(config(), options()).find("TUNECASE_FT_TEST_KEY"), std::string::npos);
  EXPECT_EQ(json::parse(slurp(dir_ / "out" / "finetune.json"))["job"], recorded["job"]);
  setenv("TUNECASE_FT_TEST_KEY", kKey, 1);

  // As if the answer to "create job" had been lost, and the next run is not given --yes: the
  // job on the uploaded file is found before anything is asked.
  recorded["job"] = json::object();
  std::ofstream(dir_ / "out" / "finetune.json") << recorded.dump(2);
  FinetuneOptions ask = options();
  ask.assume_yes = false;
  std::string asked;
  ask.confirm = [&asked](const std::string& q) {
    asked = q;
    return false;
  };
  FinetuneResult r = run_finetune(config(), "gpt-ft", ask, log_);
  EXPECT_EQ(asked, "") << "nothing to pay, nothing to ask";
  EXPECT_EQ(r.record["job"]["status"], "succeeded");
  EXPECT_EQ(r.record["files"]["train"]["id"], recorded["files"]["train"]["id"]);
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
}

TEST_F(FinetuneRunTest, AFailedJobReportsTheProvidersMessage) {
  start({.queue_s = 0.05, .run_s = 0.1, .fault = "failed_job"});
  std::string error = error_of(config(), options());
  EXPECT_NE(error.find("failed"), std::string::npos) << error;
  EXPECT_NE(error.find("failed during training"), std::string::npos) << error;  // provider's words
  json recorded = json::parse(slurp(dir_ / "out" / "finetune.json"));
  EXPECT_EQ(recorded["job"]["status"], "failed");
  EXPECT_EQ(recorded["training_usd"], nullptr);
}

// Labels spelt two ways would be paid for and learnt as two labels: the files' report says so
// before the spend is asked about, and names the setting that merges them.
TEST_F(FinetuneRunTest, LabelsSpeltTwoWaysAreNamedBeforeTheSpend) {
  start();
  std::ofstream csv(dir_ / "variants.csv");
  csv << "text,category\n";
  for (int i = 0; i < 14; ++i) csv << "my invoice " << i << " is wrong,billing\n";
  for (int i = 0; i < 4; ++i) csv << "charged twice for order " << i << ",BILLING\n";
  for (int i = 0; i < 14; ++i) csv << "cannot sign in attempt " << i << ",login\n";
  csv.close();
  std::string toml = csv_toml(dir_ / "variants.csv", "normalize_labels = false\n");
  error_of(parse_config(toml, dir_ / "variants.toml"), unconfirmed());
  EXPECT_NE(log_.str().find("the label \"billing\" is spelt 2 ways"), std::string::npos)
      << log_.str();
  EXPECT_NE(log_.str().find("normalize_labels = true"), std::string::npos);
  EXPECT_EQ(server_->stats().requests, 0u);
}

// Tickets that differ only in the personal data redaction replaces become one line each: one
// copy is kept and the others said (the run had stopped on "duplicated lines", advising a
// de-duplication [data] had already done), and a test row that reads as a training line once
// redacted is counted and said.
TEST_F(FinetuneRunTest, RowsThatRedactionMakesTheSameAreKeptOnceAndSaid) {
  start();
  std::ofstream csv(dir_ / "templated.csv");
  csv << "text,category\n";
  for (int i = 0; i < 40; ++i)
    csv << "Please reset my password for user" << i << "@example.com,login\n";
  for (int i = 0; i < 40; ++i) csv << "I was billed twice on invoice " << 1000 + i << ",billing\n";
  // One template labelled both ways: two answers for one prompt, said.
  for (int i = 0; i < 12; ++i)
    csv << "please update contact to c" << i << "@z.com," << (i % 2 ? "login" : "billing") << "\n";
  csv.close();
  std::string toml = csv_toml(dir_ / "templated.csv", "", "[privacy]\nredact = [\"email\"]\n\n");
  std::string error = error_of(parse_config(toml, dir_ / "templated.toml"), unconfirmed());
  const std::string log = log_.str();
  EXPECT_EQ(log.find("duplicated lines;"), std::string::npos) << log;
  EXPECT_NE(log.find("became the same line as another once [privacy] redaction"), std::string::npos)
      << log;
  EXPECT_NE(log.find("the same as a line of the training files once redacted"), std::string::npos)
      << log;
  EXPECT_NE(log.find("1 text reads the same once redacted but carries more than one label"),
            std::string::npos)
      << log;
  EXPECT_NE(error.find("not started"), std::string::npos) << error;
  std::ifstream train(dir_ / "out" / "train.jsonl");
  std::set<std::string> lines;
  int login = 0, all = 0;
  for (std::string line; std::getline(train, line); ++all) {
    login += line.find("reset my password") != std::string::npos;
    EXPECT_TRUE(lines.insert(line).second) << "a duplicated line: " << line;
  }
  EXPECT_EQ(login, 1);
  EXPECT_GT(all, 10);
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(FinetuneRunTest, ACancelledJobIsReportedAsCancelled) {
  start({.queue_s = 1.0, .run_s = 1.0, .fault = ""});
  std::thread canceller([this] {
    // The job's id, once the run has recorded it.
    std::string id;
    for (int i = 0; i < 1000 && id.empty(); ++i) {
      json record = json::parse(slurp(dir_ / "out" / "finetune.json"), nullptr, false);
      if (record.is_object() && record.contains("job") && record["job"].is_object())
        id = record["job"].value("id", "");
      if (id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(id.empty());
    auto http = make_http_client(1);
    OpenAiFinetuneClient client("http://127.0.0.1:" + std::to_string(port_) + "/v1", kKey, *http);
    client.cancel(id);
  });
  std::string error = error_of(config(), options());
  canceller.join();
  EXPECT_NE(error.find("cancelled"), std::string::npos) << error;
  EXPECT_EQ(json::parse(slurp(dir_ / "out" / "finetune.json"))["job"]["status"], "cancelled");
}

TEST_F(FinetuneRunTest, ARejectedFileStopsBeforeAnyJob) {
  start({.fault = "rejected_file"});
  std::string error = error_of(config(), options());
  EXPECT_NE(error.find("HTTP 400"), std::string::npos) << error;
  EXPECT_NE(error.find("could not be accepted"), std::string::npos) << error;
  // A refusal comes back the same on a rerun: the message says to fix its cause first (it
  // said only "run the same command again to go on").
  EXPECT_NE(error.find("the provider refused the request, and will again until its cause is "
                       "fixed"),
            std::string::npos)
      << error;
  EXPECT_EQ(server_->stats().finetune_jobs, 0u);
}

// A 429 (a rate limit, too many jobs at once) passes: the advice is to wait, not to fix a cause
// (it had read as a refusal).
TEST(FinetuneAdvice, ARateLimitSaysToWaitARefusalToFixItsCause) {
  EXPECT_NE(provider_failure_advice("the fine-tuning API answered HTTP 429: too many jobs")
                .find("wait, or let other jobs finish"),
            std::string::npos);
  EXPECT_NE(provider_failure_advice("the fine-tuning API answered HTTP 400: bad file")
                .find("will again until its cause is fixed"),
            std::string::npos);
  EXPECT_EQ(provider_failure_advice("connection refused"), "run the same command again to go on");
  // An account out of credit is not a rate limit: waiting does not help (it had said to wait).
  const std::string quota = provider_failure_advice(
      "the OpenAI fine-tuning API answered HTTP 429: You exceeded your current quota, please "
      "check your plan and billing details.");
  EXPECT_NE(quota.find("out of credit"), std::string::npos) << quota;
  EXPECT_EQ(quota.find("wait, or let"), std::string::npos) << quota;
}

TEST_F(FinetuneRunTest, AnUnknownPriceIsUnknownAndNeedsAnExplicitYes) {
  start();
  std::ofstream(dir_ / "prices.toml") << "[models.\"gpt-4.1-mini\"]\ninput = 0.4\noutput = 1.6\n"
                                         "date = \"d\"\nsource = \"s\"\n";
  ProjectConfig c = config("prices = \"prices.toml\"\n");
  FinetuneOptions o = options();
  o.assume_yes = false;
  std::string asked;
  o.confirm = [&asked](const std::string& q) {
    asked = q;
    return false;
  };
  std::string error = error_of(c, o);
  EXPECT_NE(asked.find("UNKNOWN"), std::string::npos) << asked;
  EXPECT_NE(error.find("--yes"), std::string::npos) << error;
  // --max-cost cannot bound an unknown price, so the refusal does not offer it.
  EXPECT_EQ(error.find("or --max-cost USD to start only within that spend"), std::string::npos)
      << error;
  json recorded = json::parse(slurp(dir_ / "out" / "finetune.json"));
  EXPECT_EQ(recorded["estimate"]["usd"], nullptr);  // never $0
  o.confirm = nullptr;
  o.max_cost_usd = 100;
  EXPECT_NE(error_of(c, o).find("cannot bound"), std::string::npos);
  EXPECT_EQ(server_->stats().finetune_jobs, 0u);
  o.assume_yes = true;  // --yes runs it; the cost stays unknown
  FinetuneResult r = run_finetune(c, "gpt-ft", o, log_);
  EXPECT_EQ(r.record["training_usd"], nullptr);
  EXPECT_EQ(r.record["training_usd_is"], "unknown");
}

TEST_F(FinetuneRunTest, MaxCostBelowTheEstimateStartsNothing) {
  start();
  FinetuneOptions o = options();
  o.assume_yes = false;
  o.max_cost_usd = 0.0;
  std::string error = error_of(config(), o);
  EXPECT_NE(error.find("over --max-cost"), std::string::npos) << error;
  EXPECT_EQ(server_->stats().finetune_jobs, 0u);
  o.max_cost_usd = 10.0;
  EXPECT_NO_THROW(run_finetune(config(), "gpt-ft", o, log_));
  EXPECT_EQ(server_->stats().finetune_jobs, 1u);
}

TEST_F(FinetuneRunTest, TheKeyIsNeverWrittenToAnyOutputFile) {
  start();
  run_finetune(config(), "gpt-ft", options(), log_);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_ / "out")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(slurp(entry.path()).find(kKey), std::string::npos) << entry.path();
  }
  EXPECT_GE(files, 4u);  // finetune.json, train.jsonl, validation.jsonl, approach.toml
  EXPECT_EQ(log_.str().find(kKey), std::string::npos);
}

TEST_F(FinetuneRunTest, AMissingKeyVariableIsAUserErrorBeforeAnything) {
  start();
  unsetenv("TUNECASE_FT_TEST_KEY");
  EXPECT_NE(error_of(config(), options()).find("TUNECASE_FT_TEST_KEY"), std::string::npos);
  EXPECT_EQ(server_->stats().finetune_jobs, 0u);
}

TEST_F(FinetuneRunTest, FractionTrainsOnAStratifiedPartOfTrain) {
  start();
  FinetuneOptions o = options();
  o.fraction = 0.5;
  FinetuneResult r = run_finetune(config(), "gpt-ft", o, log_);
  auto train = r.record["data"]["train_examples"].get<std::size_t>();
  auto split = r.record["data"]["train_split"].get<std::size_t>();
  EXPECT_EQ(train, (split + 1) / 2);
  EXPECT_EQ(r.record["files"]["train"]["label_counts"].size(), 4u);  // every label kept
  o.fraction = 1.5;
  EXPECT_NE(error_of(config(), o).find("--fraction"), std::string::npos);
}

TEST_F(FinetuneRunTest, TheTunedModelLearntFromItsTrainingFile) {
  start();
  FinetuneResult r = run_finetune(config(), "gpt-ft", options(), log_);
  std::string tuned = r.record["job"]["fine_tuned_model"];
  auto http = make_http_client(4);
  auto ask = [&](const std::string& model, json messages) {
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/chat/completions";
    request.headers = {{"Authorization", std::string("Bearer ") + kKey}};
    request.body = json{{"model", model}, {"messages", messages}}.dump();
    return http_send_sync(*http, request);
  };
  // The training prompts themselves: the tuned model has seen their answers, the base model
  // only reads the label list, so the tuned one must do clearly better on them.
  std::istringstream lines(slurp(dir_ / "out" / "train.jsonl"));
  std::size_t n = 0, tuned_right = 0, base_right = 0;
  for (std::string line; std::getline(lines, line);) {
    json messages = json::parse(line)["messages"];
    std::string label = messages.back()["content"];
    messages.erase(messages.size() - 1);
    auto answer = [&](const std::string& model) {
      std::string text = json::parse(ask(model, messages).body)["choices"][0]["message"]["content"];
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return text;  // sim-llm varies the answer's form, case included
    };
    ++n;
    tuned_right += answer(tuned).find(label) != std::string::npos;
    base_right += answer("gpt-4.1-mini").find(label) != std::string::npos;
  }
  ASSERT_GT(n, 50u);
  EXPECT_GE(tuned_right, n * 9 / 10);
  EXPECT_GT(tuned_right, base_right) << "base model: " << base_right << " of " << n;
  EXPECT_EQ(
      ask("ft:gpt-4.1-mini:nobody::x", json::array({{{"role", "user"}, {"content", "x"}}})).status,
      404);
}

TEST(FinetuneApi, MalformedAnswersAreClearErrors) {
  using finetune_api::read_job;
  auto reply = [](long status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  };
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const ProviderError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message([&] { read_job(reply(200, "{}")); }).find("`id`"), std::string::npos);
  EXPECT_NE(message([&] { read_job(reply(200, "not json")); }).find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(message([&] {
              read_job(reply(500, R"({"error":{"message":"the server broke","code":"x"}})"));
            }).find("the server broke"),
            std::string::npos);
  EXPECT_NE(message([&] {
              read_job(reply(200, R"({"id":"j","status":"succeeded"})"));
            }).find("fine_tuned_model"),
            std::string::npos);
  EXPECT_NE(
      message([&] { finetune_api::read_events(reply(200, R"({"object":"list"})")); }).find("data"),
      std::string::npos);
  FinetuneJob failed = read_job(
      reply(200, R"({"id":"j","status":"failed","error":{"code":"c","message":"bad file"}})"));
  EXPECT_TRUE(failed.finished());
  EXPECT_EQ(failed.error_message, "bad file");
}

TEST(FinetuneApi, RequestsFollowTheDocumentedShapes) {
  FinetuneJobRequest job{"gpt-4.1-mini-2025-04-14", "file-1", "file-2", 3, "tickets"};
  HttpRequest create = finetune_api::create_request("https://x/v1", "k", job);
  EXPECT_EQ(create.url, "https://x/v1/fine_tuning/jobs");
  json body = json::parse(create.body);
  EXPECT_EQ(body["method"]["supervised"]["hyperparameters"]["n_epochs"], 3);
  EXPECT_EQ(body["validation_file"], "file-2");
  HttpRequest upload = finetune_api::upload_request("https://x/v1", "", "train.jsonl", "{}\n");
  EXPECT_NE(upload.body.find("name=\"purpose\"\r\n\r\nfine-tune"), std::string::npos);
  for (const auto& [name, value] : upload.headers) EXPECT_NE(name, "Authorization");
  EXPECT_EQ(finetune_api::job_request("https://x/v1", "k", "j", "cancel").method, "POST");
  EXPECT_EQ(finetune_api::job_request("https://x/v1", "k", "j", "events").url,
            "https://x/v1/fine_tuning/jobs/j/events");
}

}  // namespace
}  // namespace tunecase
