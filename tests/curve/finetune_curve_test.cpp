// `tunecase curve` with a fine-tuned approach: one sim-llm job per size, each tuned model scored.
#include <regex>

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "../finetune/finetune_support.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/curve/curve_run.h"
#include "tunecase/llm/sim_llm_server.h"

namespace tunecase {
namespace {

using namespace finetune_test;
using nlohmann::json;

constexpr const char* kKey = "sk-ft-curve-3c9e1b7a5d2f";

class FinetuneCurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TUNECASE_FT_TEST_KEY", kKey, 1);
    SimLlmOptions o;
    o.require_key = kKey;
    o.finetune.queue_s = 0.05;  // each job still passes through queued and running
    o.finetune.run_s = 0.1;
    server_ = std::make_unique<SimLlmServer>(o);
    port_ = server_->start();
  }
  void TearDown() override { server_->stop(); }

  ProjectConfig config(const std::string& curve = "") {
    return parse_config(project_toml(port_, "\n[curve]\nfinetune_fractions = [0.3, 0.6]\n" + curve),
                        dir_ / "tunecase.toml");
  }

  // The project with a retrieval-few-shot LLM approach "gpt-rag" on sim-llm besides `extra`.
  ProjectConfig with_rag_approach(const std::string& extra) {
    return parse_config(
        project_toml(port_, extra +
                                "\n[[approach]]\nname = \"gpt-rag\"\nkind = \"openai\"\nbase_url = "
                                "\"http://127.0.0.1:" +
                                std::to_string(port_) +
                                "/v1\"\napi_key_env = \"TUNECASE_FT_TEST_KEY\"\nmodel = "
                                "\"gpt-4.1-mini\"\nprompt = \"retrieval_few_shot\"\n"),
        dir_ / "tunecase.toml");
  }

  CurveOptions options() {
    CurveOptions o;
    o.out_dir = dir_ / "curve";
    o.approaches = std::vector<std::string>{};  // the fine-tuned points alone
    o.finetune = std::vector<std::string>{"gpt-ft"};
    o.finetune_poll = std::chrono::milliseconds(50);
    o.assume_yes = true;
    return o;
  }

  // Every finetune.json the run wrote: its job id, or "" when none was created.
  std::vector<std::string> recorded_jobs() {
    std::vector<std::string> ids;
    auto root = dir_ / "curve" / "finetune";
    if (!std::filesystem::exists(root)) return ids;
    for (const auto& d : std::filesystem::directory_iterator(root)) {
      auto file = d.path() / "finetune.json";
      if (!std::filesystem::exists(file)) continue;
      json record = json::parse(slurp(file));
      ids.push_back(record["job"].value("id", std::string()));
    }
    return ids;
  }

  std::filesystem::path dir_ =
      scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<SimLlmServer> server_;
  int port_ = 0;
  std::ostringstream log_;
};

TEST_F(FinetuneCurveTest, OneJobPerSizeEachTunedModelScoredAndPricedAsSimulated) {
  json doc = run_curve(config(), options(), log_);
  ASSERT_EQ(doc["approaches"].size(), 1u);
  // The whole spend is said before the first job, --yes or not.
  EXPECT_NE(log_.str().find("curve: 3 fine-tuning jobs to start, about $"), std::string::npos)
      << log_.str();
  const json& a = doc["approaches"][0];
  EXPECT_EQ(a["name"], "gpt-ft-ft");
  EXPECT_TRUE(a["fine_tuned"].get<bool>());
  EXPECT_TRUE(a["simulated"].get<bool>());
  EXPECT_EQ(a["training_usd_is"], "simulated");
  const json& points = a["points"];
  ASSERT_EQ(points.size(), 3u);  // 30%, 60% and all of train
  std::set<std::string> models, jobs;
  double total = 0;
  std::size_t train = doc["train_labels"];
  for (std::size_t i = 0; i < points.size(); ++i) {
    const json& p = points[i];
    if (i > 0) {
      EXPECT_GT(p["labels"].get<std::size_t>(), points[i - 1]["labels"].get<std::size_t>());
    }
    EXPECT_EQ(p["pooled_n"].get<std::size_t>(), doc["test_items"].get<std::size_t>());
    EXPECT_EQ(p["runs"], 1);
    EXPECT_TRUE(p["fine_tuned_model"].get<std::string>().starts_with("ft:gpt-4.1-mini"));
    models.insert(p["fine_tuned_model"].get<std::string>());
    jobs.insert(p["job"].get<std::string>());
    ASSERT_TRUE(p["training_usd"].is_number());
    EXPECT_GT(p["training_usd"].get<double>(), 0);
    total += p["training_usd"].get<double>();
    // The job's own record: trained on this many examples of train, never the test split.
    json record = json::parse(slurp(p["finetune_record"].get<std::string>()));
    EXPECT_EQ(record["data"]["train_examples"], p["labels"]);
    EXPECT_EQ(record["data"]["test_examples_in_files"], 0);
  }
  EXPECT_EQ(points[2]["labels"].get<std::size_t>(), train);
  EXPECT_EQ(models.size(), 3u);
  EXPECT_EQ(jobs.size(), 3u);
  EXPECT_NEAR(a["training_usd"].get<double>(), total, 1e-9);
  // More data costs more to train on.
  EXPECT_LT(points[0]["training_usd"].get<double>(), points[2]["training_usd"].get<double>());
  std::string md = slurp(dir_ / "curve" / "curve.md");
  EXPECT_NE(md.find("## Fine-tuned"), std::string::npos);
  EXPECT_NE(md.find("simulated"), std::string::npos);
  EXPECT_EQ(md.find(kKey), std::string::npos);
  EXPECT_EQ(slurp(dir_ / "curve" / "curve.json").find(kKey), std::string::npos);
}

TEST_F(FinetuneCurveTest, RunningTheCurveAgainFollowsTheRecordedJobsAndPaysForNone) {
  json first = run_curve(config(), options(), log_);
  auto before = recorded_jobs();
  ASSERT_EQ(before.size(), 3u);
  CurveOptions again = options();
  again.assume_yes = false;
  int asked = 0;
  again.confirm = [&](const std::string&) { return ++asked, false; };
  json second = run_curve(config(), again, log_);
  EXPECT_EQ(asked, 0);  // nothing new to spend, nothing to ask
  EXPECT_EQ(recorded_jobs(), before);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(second["approaches"][0]["points"][i]["job"],
              first["approaches"][0]["points"][i]["job"]);
}

TEST_F(FinetuneCurveTest, TheWholeSpendIsAskedOnceAndARefusalStartsNoJob) {
  CurveOptions o = options();
  o.assume_yes = false;
  std::vector<std::string> questions;
  o.confirm = [&](const std::string& q) { return questions.push_back(q), false; };
  try {
    run_curve(config(), o, log_);
    FAIL() << "a refused spend must stop the curve";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--yes"), std::string::npos) << e.what();
  }
  ASSERT_EQ(questions.size(), 1u);
  EXPECT_NE(questions[0].find("3 fine-tuning jobs"), std::string::npos) << questions[0];
  EXPECT_NE(questions[0].find("estimated"), std::string::npos) << questions[0];
  for (const auto& id : recorded_jobs()) EXPECT_EQ(id, "");
}

// A fraction too small to give one example is said and recorded, not dropped silently.
TEST_F(FinetuneCurveTest, AFractionTooSmallForAnyExampleIsSaid) {
  CurveOptions o = options();
  o.assume_yes = false;
  o.confirm = [](const std::string&) { return false; };
  ProjectConfig c =
      parse_config(project_toml(port_, "\n[curve]\nfinetune_fractions = [0.00001, 0.3]\n"),
                   dir_ / "tunecase.toml");
  EXPECT_THROW(run_curve(c, o, log_), UserError);  // refused: nothing is spent
  EXPECT_NE(log_.str().find("finetune_fractions 1e-05 gives 0 of"), std::string::npos)
      << log_.str();
  EXPECT_NE(log_.str().find("2 fine-tuning jobs"), std::string::npos) << log_.str();
}

TEST_F(FinetuneCurveTest, MaxCostBelowTheEstimateStartsNoJob) {
  CurveOptions o = options();
  o.assume_yes = false;
  o.max_cost_usd = 1e-6;
  try {
    run_curve(config(), o, log_);
    FAIL() << "--max-cost below the estimate must stop the curve";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--max-cost"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(recorded_jobs().empty());
}

// A cap that pays for the jobs' training but not for scoring their models on the test split
// starts no job: a paid job whose model the cap then left unscored bought nothing.
TEST_F(FinetuneCurveTest, ACapThatCannotScoreTheTunedModelsStartsNoJob) {
  CurveOptions o = options();
  o.assume_yes = false;
  o.max_cost_usd = 1e-6;
  EXPECT_THROW(run_curve(config(), o, log_), UserError);
  const std::string said = log_.str();
  const std::string jobs = "(estimated) in all, and about $";
  const auto at = said.find(jobs);
  ASSERT_NE(at, std::string::npos) << said;
  const auto training_at = said.rfind("about $", at) + 7;
  const double training = std::stod(said.substr(training_at));
  const double scoring = std::stod(said.substr(at + jobs.size()));
  ASSERT_GT(scoring, 0);
  // At the tuned model's rates, as its answers will be priced (the base model's had let a cap
  // start the largest job and then leave its model unscored).
  EXPECT_NE(said.find("(estimated at the tuned models' price)"), std::string::npos) << said;
  o.max_cost_usd = training + scoring / 2;
  try {
    run_curve(config(), o, log_);
    FAIL() << "a cap short of the scoring must start no job";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("with the scoring of their models"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(recorded_jobs().empty());
}

// A run the spend cap stops part-way is not a point: it was written as "accuracy 0.000"
// (measured) for sizes never run, and sizes scored on part of the test split sat beside whole
// ones. Sizes left out are named, with why, and the spend is written.
TEST_F(FinetuneCurveTest, SizesTheSpendCapCutShortAreNotMeasuredAndSaySo) {
  ProjectConfig c = with_rag_approach("");
  CurveOptions o = options();
  o.finetune = std::vector<std::string>{};
  o.approaches = std::vector<std::string>{"gpt-rag"};
  o.sizes = std::vector<std::size_t>{20, 40};
  o.seeds = 1;
  o.cache.disabled = true;
  o.max_cost_usd = 0.002;  // a handful of requests, fewer than the test split
  json doc = run_curve(c, o, log_);
  const json& a = doc["approaches"][0];
  ASSERT_FALSE(a["not_measured"].empty()) << a.dump(2);
  EXPECT_NE(a["not_measured"][0]["why"].get<std::string>().find("--max-cost"), std::string::npos);
  for (const auto& p : a["points"])  // each point whole: every run on every test item
    EXPECT_EQ(p["pooled_n"], p["runs"].get<std::size_t>() * doc["test_items"].get<std::size_t>())
        << p.dump();
  EXPECT_EQ(log_.str().find("accuracy 0.000"), std::string::npos) << log_.str();
  EXPECT_GT(doc["spend"]["spent_usd"].get<double>(), 0.0);
  EXPECT_LE(doc["spend"]["spent_usd"].get<double>(), 0.002);
  std::string md = slurp(dir_ / "curve" / "curve.md");
  EXPECT_NE(md.find("gpt-rag (simulated): not measured at "), std::string::npos) << md;
}

// With LLM sizes beside the jobs, a refusal names the --max-cost that covers both, since the
// LLM runs are paid from the cap first (the jobs' amount alone had been spent on them, and every
// job refused); a rerun under it starts the jobs.
TEST_F(FinetuneCurveTest, ARefusalNamesTheCapThatCoversTheLlmRunsAndTheJobs) {
  ProjectConfig c = with_rag_approach("\n[curve]\nfinetune_fractions = [0.3, 0.6]\n");
  CurveOptions o = options();
  o.approaches = std::vector<std::string>{"gpt-rag"};
  o.sizes = std::vector<std::size_t>{20, 40};
  o.seeds = 1;
  o.assume_yes = false;
  o.confirm = [](const std::string&) { return false; };
  std::string refusal;
  try {
    run_curve(c, o, log_);
  } catch (const UserError& e) {
    refusal = e.what();
  }
  std::smatch named;
  ASSERT_TRUE(
      std::regex_search(refusal, named, std::regex(R"(a --max-cost of \$([0-9.]+) covers)")))
      << refusal;
  CurveOptions capped = o;
  capped.confirm = nullptr;
  capped.max_cost_usd = std::stod(named[1].str());
  json doc = run_curve(c, capped, log_);
  const auto jobs = recorded_jobs();
  ASSERT_FALSE(jobs.empty());
  for (const auto& id : jobs) EXPECT_NE(id, "") << "a job the named cap should have paid for";
  EXPECT_LE(doc["spend"]["spent_usd"].get<double>(), *capped.max_cost_usd);
}

TEST_F(FinetuneCurveTest, AnApproachThatCannotBeFineTunedIsNamed) {
  ProjectConfig c =
      parse_config(project_toml(port_, "[[approach]]\nname = \"lin\"\nkind = \"linear\"\n"),
                   dir_ / "tunecase.toml");
  for (const char* name : {"lin", "missing"}) {
    try {
      read_curve_settings(c, {}, std::vector<std::string>{name});
      FAIL() << name;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  CurveSettings s = read_curve_settings(c, {}, std::vector<std::string>{"gpt-ft"});
  ASSERT_EQ(s.finetune.size(), 1u);
  EXPECT_EQ(s.finetune_fractions, (std::vector<double>{0.1, 0.3}));  // the default
}

}  // namespace
}  // namespace tunecase
