// The gateway follows the model registry: a promotion or a rollback in the store reaches a
// running gateway without a restart, a champion that fails to load leaves the served model in
// place, and a restarted gateway starts on the registry's champion.
#include <chrono>
#include <mutex>
#include <thread>

#include "gateway_fixture.h"
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

  void register_folder(const std::filesystem::path& folder, const std::string& version) {
    ModelVersion m;
    m.name = "test";
    m.approach = "local-linear";
    m.version = version;
    m.data_fingerprint = version;
    m.path = folder.string();
    gateway_->store().register_model(m);
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
  bool reported = false;
  for (int i = 0; i < 500 && !reported; ++i) {
    for (const auto& line : notes())
      reported = reported || line.find("could not be loaded") != std::string::npos;
    if (!reported) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(reported);
  EXPECT_EQ(served_version(), v1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(notes().size(), 1u) << "a failed champion is reported once, not at every poll";
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

}  // namespace
}  // namespace tunecase::serve::testing
