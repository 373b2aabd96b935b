// The gateway follows the model registry: a promotion or a rollback in the store reaches a
// running gateway without a restart, a champion that fails to load leaves the served model in
// place, and a restarted gateway starts on the registry's champion.
#include <chrono>
#include <mutex>
#include <thread>

#include "gateway_fixture.h"
#include "tunecase/llm/example_pool.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/store/store.h"

namespace tunecase::serve::testing {
namespace {

class ModelWatchTest : public GatewayTest {
 protected:
  GatewayOptions watched() {
    GatewayOptions o = options();
    o.model_poll = std::chrono::milliseconds(20);
    o.notify = [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      notes_.push_back(line);
    };
    return o;
  }

  std::string served_version() {
    return classify({{"text", "I was charged twice for my subscription"}})["model_version"];
  }

  // Waits (up to 10 s) until the gateway answers with `version`; the poll is 20 ms.
  bool wait_for(const std::string& version) {
    for (int i = 0; i < 500; ++i) {
      if (served_version() == version) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void register_folder(const std::filesystem::path& folder, const std::string& version,
                       const std::string& approach = "local-linear") {
    ModelVersion m;
    m.name = "test";
    m.approach = approach;
    m.version = version;
    m.data_fingerprint = version;
    m.path = folder.string();
    gateway_->store().register_model(m);
  }

  // Waits (up to 10 s) for a line of the model watch holding `text`.
  bool wait_for_note(const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      for (const auto& line : notes())
        if (line.find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::vector<std::string> notes() {
    std::lock_guard lock(mutex_);
    return notes_;
  }

  std::mutex mutex_;
  std::vector<std::string> notes_;
};

TEST_F(ModelWatchTest, APromotionAndARollbackReachARunningGateway) {
  start("", watched());
  const std::string v1 = model_fingerprint(dir_ / "eval" / "models" / "local-linear");
  EXPECT_EQ(served_version(), v1);
  auto models = gateway_->store().models("local-linear");
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].status, ModelStatus::champion);
  EXPECT_EQ(models[0].promoted_by, "serve");
  EXPECT_EQ(model_fingerprint(models[0].path), v1);

  // Another trained model of the same kind (the logistic-regression one) is promoted.
  const auto v2_dir = dir_ / "eval" / "models" / "local-logreg";
  const std::string v2 = model_fingerprint(v2_dir);
  ASSERT_NE(v1, v2);
  register_folder(v2_dir, v2);
  gateway_->store().set_model_status("local-linear", v2, ModelStatus::champion, 1, "test");
  ASSERT_TRUE(wait_for(v2));

  gateway_->store().set_model_status("local-linear", v1, ModelStatus::champion, 2,
                                     "rollback by test");
  ASSERT_TRUE(wait_for(v1));
  // The watch swaps the model in, then says so: the line may trail the first answer of v1.
  ASSERT_TRUE(wait_for_note("rollback by test"));
  models = gateway_->store().models("local-linear");
  for (const auto& m : models)
    EXPECT_EQ(m.status, m.version == v1 ? ModelStatus::champion : ModelStatus::rolled_back);
  auto lines = notes();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines.back().find("rollback by test"), std::string::npos) << lines.back();
}

TEST_F(ModelWatchTest, AChampionThatFailsToLoadLeavesTheServedModelInPlace) {
  start("", watched());
  const std::string v1 = served_version();
  std::filesystem::create_directories(dir_ / "empty");
  register_folder(dir_ / "empty", "broken");
  gateway_->store().set_model_status("local-linear", "broken", ModelStatus::champion, 1, "test");
  ASSERT_TRUE(wait_for_note("could not be loaded"));
  EXPECT_EQ(served_version(), v1);
  // /v1/models says what the registry names and what is served instead.
  nlohmann::json models = nlohmann::json::parse(get("/v1/models").body);
  EXPECT_EQ(models["approaches"][0]["registry_champion_not_loaded"], "broken") << models.dump();
  // So does the health check, which had read "ok" while the gateway served another model.
  nlohmann::json health = nlohmann::json::parse(get("/healthz").body);
  EXPECT_EQ(health["status"], "degraded") << health.dump();
  EXPECT_EQ(health["registry_champion_not_loaded"]["local-linear"], "broken") << health.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(notes().size(), 1u) << "a failed champion is reported once, not at every poll";
}

// A champion folder restored after it failed to load is loaded on a later try: the gateway
// had kept serving the old model for good, and `models promote` said "already the champion".
TEST_F(ModelWatchTest, AChampionFolderRestoredAfterAFailedLoadIsLoaded) {
  GatewayOptions o = watched();
  o.model_load_retry = std::chrono::milliseconds(100);
  start("", o);
  const std::string v1 = served_version();
  const auto v2_dir = dir_ / "eval" / "models" / "local-logreg";
  const std::string v2 = model_fingerprint(v2_dir);
  const auto moved = dir_ / "moved-away";
  std::filesystem::rename(v2_dir, moved);
  register_folder(v2_dir, v2);
  gateway_->store().set_model_status("local-linear", v2, ModelStatus::champion, 1, "test");
  ASSERT_TRUE(wait_for_note("could not be loaded"));
  EXPECT_EQ(served_version(), v1);
  std::filesystem::rename(moved, v2_dir);
  ASSERT_TRUE(wait_for(v2)) << "the restored folder was never tried again";
  nlohmann::json models = nlohmann::json::parse(get("/v1/models").body);
  EXPECT_FALSE(models["approaches"][0].contains("registry_champion_not_loaded") &&
               !models["approaches"][0]["registry_champion_not_loaded"].is_null())
      << models.dump();
  EXPECT_EQ(get("/healthz").body, R"({"status":"ok"})");
  std::size_t failures = 0;
  for (const auto& line : notes())
    failures += line.find("could not be loaded") != std::string::npos;
  EXPECT_EQ(failures, 1u) << "the failure is said once, not at every try";
}

// A champion whose folder now holds another model is not loaded: that model, in no registry, had
// answered and been logged while /healthz named the one served before, and putting the right
// folder back changed nothing until a restart.
TEST_F(ModelWatchTest, AChampionFolderHoldingAnotherModelIsNotLoadedAndIsTriedAgain) {
  GatewayOptions o = watched();
  o.model_load_retry = std::chrono::milliseconds(100);
  start("", o);
  const std::string v1 = served_version();
  const auto logreg = dir_ / "eval" / "models" / "local-logreg";
  const std::string v2 = model_fingerprint(logreg);
  const auto folder = dir_ / "promoted";
  std::filesystem::copy(dir_ / "eval" / "models" / "local-linear", folder);  // not v2
  register_folder(folder, v2);
  gateway_->store().set_model_status("local-linear", v2, ModelStatus::champion, 1, "test");
  ASSERT_TRUE(wait_for_note("could not be loaded"));
  auto lines = notes();
  EXPECT_NE(lines.back().find("the folder holds model " + v1.substr(0, 12) +
                              ", not the "
                              "registry's"),
            std::string::npos)
      << lines.back();
  EXPECT_EQ(served_version(), v1);
  nlohmann::json health = nlohmann::json::parse(get("/healthz").body);
  EXPECT_EQ(health["registry_champion_not_loaded"]["local-linear"], v2) << health.dump();
  // The right model put back: loaded at the next try.
  std::filesystem::remove_all(folder);
  std::filesystem::copy(logreg, folder);
  ASSERT_TRUE(wait_for(v2)) << "the restored folder was never tried again";
  EXPECT_EQ(get("/healthz").body, R"({"status":"ok"})");
}

TEST_F(ModelWatchTest, ARestartedGatewayStartsOnTheRegistrysChampion) {
  start("", watched());
  const auto v2_dir = dir_ / "eval" / "models" / "local-logreg";
  const std::string v2 = model_fingerprint(v2_dir);
  register_folder(v2_dir, v2);
  gateway_->store().set_model_status("local-linear", v2, ModelStatus::champion, 1, "test");
  gateway_.reset();
  GatewayOptions o = watched();
  o.model_poll = std::chrono::milliseconds(0);  // no polling: the start alone must do it
  start("", o);
  EXPECT_EQ(served_version(), v2);
}

// An LLM approach answers from the config's examples until `tunecase retrain` promotes an example
// pool; then from the pool, without a restart. A pool edited after it was written is refused
// and the served one stays.
TEST_F(ModelWatchTest, AnLlmApproachFollowsItsChampionExamplePool) {
  SimLlmServer sim(SimLlmOptions{});
  int sim_port = sim.start();
  start(
      "[[approach]]\nname = \"sim-few\"\nkind = \"openai\"\nmodel = \"sim-llm\"\n"
      "prompt = \"few_shot\"\nshots = 3\nbase_url = \"http://127.0.0.1:" +
          std::to_string(sim_port) + "/v1\"\n\n[pilot]\nchampion = \"sim-few\"\n",
      watched());
  EXPECT_EQ(served_version(), "sim-llm");
  EXPECT_TRUE(gateway_->store().models("sim-few").empty())
      << "the config's own examples are not registered by serve";

  ExamplePool pool{"sim-few", labels_, {}};
  pool.labels.push_back("warranty");
  pool.examples.push_back({"p1", "the hinge broke after a month", "warranty", "", 0});
  pool.examples.push_back({"p2", "I was charged twice", labels_.front(), "", 0});
  save_example_pool(dir_ / "pool1", pool);
  const std::string v1 = model_fingerprint(dir_ / "pool1");
  register_folder(dir_ / "pool1", v1, "sim-few");
  gateway_->store().set_model_status("sim-few", v1, ModelStatus::champion, 1, "test");
  ASSERT_TRUE(wait_for("sim-llm (examples " + v1.substr(0, 12) + ")"));
  nlohmann::json a = classify({{"text", "the hinge broke after a month"}, {"id", "W-1"}});
  EXPECT_EQ(a["label"], "warranty") << "the pool's new label and example reach the prompt";
  EXPECT_TRUE(a["simulated"].get<bool>());

  pool.examples.pop_back();
  save_example_pool(dir_ / "pool2", pool);
  const std::string v2 = model_fingerprint(dir_ / "pool2");
  std::ofstream(dir_ / "pool2" / "examples.jsonl", std::ios::app) << "{}\n";
  register_folder(dir_ / "pool2", v2, "sim-few");
  gateway_->store().set_model_status("sim-few", v2, ModelStatus::champion, 2, "test");
  ASSERT_TRUE(wait_for_note("could not be loaded"));
  EXPECT_EQ(served_version(), "sim-llm (examples " + v1.substr(0, 12) + ")");
  gateway_->stop();
  sim.stop();
}

}  // namespace
}  // namespace tunecase::serve::testing
