// `tunecase retrain` for an LLM approach: its example pool refreshed from the feedback labels,
// both pools asked about the holdout through sim-llm (the runner's cache, so a re-run pays
// nothing), the new pool registered and promoted, and a pool folder that reads back.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "monitor_fixture.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/llm/example_pool.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/monitor/replay.h"
#include "tunecase/monitor/retrain.h"

namespace tunecase::monitor {
namespace {

using testing::StoreTest;

class RetrainPool : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    setenv("TUNECASE_POOL_TEST_KEY", "sk-pool-7f3a", 1);
    port_ = sim_.start();
    items_ = replay_items(testing::synthetic_examples(6000));
    first_day_ = items_.front().day;
    http_ = make_http_client();
  }
  void TearDown() override {
    http_.reset();
    sim_.stop();
    StoreTest::TearDown();
  }

  ProjectConfig config(const std::string& prompt) {
    std::string toml =
        "[[approach]]\nname = \"gpt-pool\"\nkind = \"openai\"\nmodel = \"gpt-4.1-mini\"\n"
        "api_key_env = \"TUNECASE_POOL_TEST_KEY\"\nbase_url = \"http://127.0.0.1:" +
        std::to_string(port_) + "/v1\"\nprompt = \"" + prompt + "\"\n";
    return parse_config(toml, dir_ / "tunecase.toml");
  }

  // The config's train split: tickets of the first `days` days, and their label set.
  Examples original(int days, std::vector<std::string>* labels) {
    Examples out;
    std::set<std::string> seen;
    for (const auto& it : items_) {
      if (it.day >= first_day_ + days) break;
      Example e;
      e.id = "orig-" + std::to_string(out.size());
      e.text = it.text;
      e.label = it.label;
      out.push_back(e);
      seen.insert(it.label);
    }
    labels->assign(seen.begin(), seen.end());
    return out;
  }

  // Traffic of days [from, to) logged with its text and its gold label as feedback.
  int64_t log_traffic(int from, int to) {
    return testing::log_labelled_traffic(*store_, items_, first_day_ + from, first_day_ + to,
                                         "gpt-pool");
  }

  RetrainRequest request(int64_t now_ms, const Examples& train,
                         const std::vector<std::string>& labels) {
    RetrainRequest r;
    r.now_ms = now_ms;
    r.out_dir = dir_ / "retrain";
    r.original = train;
    r.labels = labels;
    r.holdout_days = 7;
    r.rule.min_holdout = 40;
    r.http = http_.get();
    r.llm.assume_yes = true;
    r.llm.progress = false;
    r.llm.cache_file = dir_ / "cache.sqlite";
    r.log = &log_;
    return r;
  }

  SimLlmServer sim_{SimLlmOptions{}};
  int port_ = 0;
  std::unique_ptr<HttpClient> http_;
  std::vector<ReplayItem> items_;
  int64_t first_day_ = 0;
  std::ostringstream log_;
};

TEST_F(RetrainPool, TheRefreshedPoolLearnsTheLaunchesCategoryAndAReRunPaysNothing) {
  std::vector<std::string> labels;
  Examples train = original(90, &labels);
  ProjectConfig cfg = config("retrieval_few_shot");
  // Six weeks of traffic around the launch (month 8, about day 212).
  int64_t last = log_traffic(205, 250);
  // Not by default: refreshing a pool asks the model, which costs money.
  EXPECT_THROW(run_retrain(cfg, *store_, request(last + kDayMs, train, labels)), UserError);
  RetrainRequest asked = request(last + kDayMs, train, labels);
  asked.refresh_examples = true;
  RetrainRun run = run_retrain(cfg, *store_, asked);
  ASSERT_EQ(run.approaches.size(), 1u);
  const ApproachRetrain& r = run.approaches[0];
  std::cout << retrain_markdown(run);
  EXPECT_TRUE(r.example_pool);
  EXPECT_TRUE(r.simulated);
  EXPECT_GT(r.spent_usd, 0.0);
  EXPECT_GE(r.comparison.holdout, 40);
  ASSERT_EQ(r.comparison.new_labels.size(), 1u) << "the launch brings one new category";
  EXPECT_GT(r.comparison.challenger_right, r.comparison.champion_right)
      << "the pool with the launch's labels should answer its category";
  EXPECT_TRUE(r.comparison.promote);
  EXPECT_TRUE(r.promoted);

  // The registry: the config's pool as the previous champion, the new pool as champion; both
  // folders read back, and the new one holds the feedback before the holdout.
  auto models = store_->models("gpt-pool");
  ASSERT_EQ(models.size(), 2u);
  const ModelVersion* champion = champion_of(models);
  ASSERT_NE(champion, nullptr);
  EXPECT_EQ(champion->version, r.challenger_version);
  EXPECT_EQ(model_fingerprint(champion->path), champion->version);
  EXPECT_NE(champion->metrics_json.find("\"example-pool\""), std::string::npos);
  ExamplePool pool = load_example_pool(champion->path);
  EXPECT_EQ(pool.approach, "gpt-pool");
  EXPECT_EQ(pool.examples.size(), train.size() + static_cast<std::size_t>(r.train_feedback));
  EXPECT_EQ(pool.labels.size(), labels.size() + 1);
  for (const auto& m : models) {
    if (m.version == r.champion_version) {
      EXPECT_EQ(load_example_pool(m.path).examples.size(), train.size());
    }
  }
  auto doc = retrain_json(run);
  EXPECT_EQ(doc["approaches"][0]["kind"], "example pool");
  EXPECT_EQ(doc["approaches"][0]["comparison_usd_is"], "simulated");
  EXPECT_NE(doc["approaches"][0]["figures"].get<std::string>().find("simulated"),
            std::string::npos);

  // Again on the same labels: the champion is the new pool, the challenger the same pool, every
  // answer comes from the cache.
  RetrainRun again = run_retrain(cfg, *store_, asked);
  ASSERT_EQ(again.approaches.size(), 1u);
  EXPECT_EQ(again.approaches[0].champion_version, r.challenger_version);
  EXPECT_EQ(again.approaches[0].challenger_version, r.challenger_version);
  EXPECT_FALSE(again.approaches[0].promoted);
  EXPECT_EQ(again.approaches[0].spent_usd, 0.0);
  EXPECT_EQ(store_->models("gpt-pool").size(), 2u);
}

TEST_F(RetrainPool, AZeroShotApproachHasNoPoolToRefresh) {
  std::vector<std::string> labels;
  Examples train = original(30, &labels);
  ProjectConfig cfg = config("zero_shot");
  int64_t last = log_traffic(30, 45);
  RetrainRequest r = request(last + kDayMs, train, labels);
  r.approaches = {"gpt-pool"};
  EXPECT_THROW(run_retrain(cfg, *store_, r), UserError);
  r.approaches.clear();
  r.refresh_examples = true;
  EXPECT_THROW(run_retrain(cfg, *store_, r), UserError);  // nothing left to retrain
  EXPECT_FALSE(retrainable(cfg.approaches[0], cfg));
  EXPECT_TRUE(retrainable(config("few_shot").approaches[0], cfg));
}

TEST(ExamplePool, ReadsBackAndRefusesAChangedOrForeignFolder) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-example-pool-test";
  std::filesystem::remove_all(dir);
  ExamplePool pool{"gpt", {"billing", "login"}, {}};
  pool.examples.push_back({"a", "I was charged twice", "billing", "", 0});
  pool.examples.push_back({"b", "cannot sign in \"again\"\nreally", "login", "", 0});
  save_example_pool(dir / "p", pool, {{"trained_by", "test"}});
  EXPECT_TRUE(is_example_pool(dir / "p"));
  ExamplePool back = load_example_pool(dir / "p");
  EXPECT_EQ(back.approach, "gpt");
  EXPECT_EQ(back.labels, pool.labels);
  ASSERT_EQ(back.examples.size(), 2u);
  EXPECT_EQ(back.examples[1].text, pool.examples[1].text);
  EXPECT_EQ(back.examples[1].label, "login");

  // Same examples, same version; one example more, another version.
  save_example_pool(dir / "q", pool, {{"trained_by", "test"}});
  EXPECT_EQ(model_fingerprint(dir / "p"), model_fingerprint(dir / "q"));
  pool.examples.push_back({"c", "where is my parcel", "billing", "", 0});
  save_example_pool(dir / "q", pool, {{"trained_by", "test"}});
  EXPECT_NE(model_fingerprint(dir / "p"), model_fingerprint(dir / "q"));

  // Edited after it was written: refused, naming the file.
  std::ofstream(dir / "p" / "examples.jsonl", std::ios::app) << R"({"text":"x","label":"y"})"
                                                             << "\n";
  try {
    load_example_pool(dir / "p");
    FAIL() << "a changed pool loaded";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("examples.jsonl"), std::string::npos) << e.what();
  }
  // A folder that is not a pool.
  std::filesystem::create_directories(dir / "m");
  std::ofstream(dir / "m" / "approach.json") << R"({"kind":"linear"})";
  EXPECT_FALSE(is_example_pool(dir / "m"));
  EXPECT_THROW(load_example_pool(dir / "m"), UserError);
  EXPECT_FALSE(is_example_pool(dir / "missing"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunecase::monitor
