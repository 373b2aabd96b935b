// `tunecase models` and `tunecase retrain` from the command line: the registry listed, a version
// promoted by a prefix, a rollback, and the errors a user can make (a store that does not exist,
// an unknown version, nothing to roll back to, a config without a local approach).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/approaches/registry.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/store/store.h"

namespace {

// The versions registered here have no model folder on disk: the registry's own logic is
// tested with --force, which skips the check of the folder (tested on its own below).
class ModelsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = (dir_.path() / "store.db").string();
    auto store = tunecase::open_store(store_);
    for (const char* version : {"aaaa1111bbbb2222", "cccc3333dddd4444"}) {
      tunecase::ModelVersion m;
      m.name = version;
      m.approach = "local-linear";
      m.version = version;
      m.created_at_ms = version[0] == 'a' ? 1000 : 2000;
      m.path = (dir_.path() / version).string();
      m.status =
          version[0] == 'a' ? tunecase::ModelStatus::champion : tunecase::ModelStatus::challenger;
      if (version[0] == 'a') m.promoted_at_ms = 1000;
      m.metrics_json = version[0] == 'a' ? "{}" : R"({"accuracy": 0.91})";
      store->register_model(m);
    }
  }
  std::string status_of(const std::string& version) {
    CliResult r = run_cli("models --json --store " + store_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const auto& m : nlohmann::json::parse(r.output))
      if (m["version"] == version) return m["status"];
    return "missing";
  }

  TempDir dir_;
  std::string store_;
};

// A promotion checks that the version's folder is here and still holds that model: a gateway
// that cannot load it keeps serving the old champion while the registry names the new one.
TEST_F(ModelsCli, APromotionChecksTheModelFolder) {
  CliResult missing =
      run_cli("models promote --approach local-linear --version cccc --store " + store_);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("is not on this machine (no approach.json)"), std::string::npos)
      << missing.output;
  EXPECT_EQ(status_of("cccc3333dddd4444"), "challenger");

  // A real model, registered under its fingerprint, then overwritten by another model.
  auto folder = dir_.path() / "real";
  tunecase::ApproachConfig approach =
      tunecase::approach_from_json({{"name", "local-linear"}, {"kind", "linear"}}, "test.toml");
  tunecase::Examples train;
  for (int i = 0; i < 20; ++i)
    train.push_back({.text = i % 2 ? "refund my card" : "where is my parcel",
                     .label = i % 2 ? "billing" : "shipping"});
  std::unique_ptr<tunecase::Classifier> classifier = tunecase::make_classifier(approach);
  classifier->train(train, {}, {"billing", "shipping"});
  tunecase::save_model(folder, approach, *classifier, {"billing", "shipping"}, train.size());
  const std::string manifest = [&] {
    std::ifstream in(folder / "approach.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  tunecase::ModelVersion m;
  m.name = "real";
  m.approach = "local-linear";
  m.version = tunecase::model_fingerprint(folder);
  m.created_at_ms = 3000;
  m.path = folder.string();
  tunecase::open_store(store_)->register_model(m);
  std::ofstream(folder / "approach.json") << R"({"name": "local-linear", "train_rows": 99})";
  CliResult changed = run_cli("models promote --approach local-linear --version " +
                              m.version.substr(0, 12) + " --store " + store_);
  EXPECT_EQ(changed.exit_code, 2) << changed.output;
  EXPECT_NE(changed.output.find("now holds another model"), std::string::npos) << changed.output;
  std::ofstream(folder / "approach.json") << manifest;
  // A file of it damaged since: the gateways could not load it, so the promotion is refused (a
  // rollback to such a folder had been announced while the gateways kept the champion).
  std::ofstream(folder / "linear.model", std::ios::app) << "0.5\n";
  CliResult damaged = run_cli("models promote --approach local-linear --version " +
                              m.version.substr(0, 12) + " --store " + store_);
  EXPECT_EQ(damaged.exit_code, 2) << damaged.output;
  EXPECT_NE(damaged.output.find("cannot be loaded, so a gateway would keep serving the current "
                                "champion"),
            std::string::npos)
      << damaged.output;
  EXPECT_NE(damaged.output.find("linear.model: not the file that was trained"), std::string::npos)
      << damaged.output;
  tunecase::save_model(folder, approach, *classifier, {"billing", "shipping"}, train.size());
  CliResult fine = run_cli("models promote --approach local-linear --version " +
                           m.version.substr(0, 12) + " --store " + store_);
  EXPECT_EQ(fine.exit_code, 0) << fine.output;
  EXPECT_EQ(status_of(m.version), "champion");
}

TEST_F(ModelsCli, ListsPromotesByPrefixAndRollsBack) {
  CliResult listed = run_cli("models --store " + store_);
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("aaaa1111bbbb"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("91.0%"), std::string::npos) << listed.output;

  CliResult up = run_cli(
      "models promote --force --by ci --approach local-linear --version cccc --store " + store_);
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(status_of("cccc3333dddd4444"), "champion");
  EXPECT_EQ(status_of("aaaa1111bbbb2222"), "retired");

  CliResult back =
      run_cli("models rollback --force --by ci --approach local-linear --store " + store_);
  ASSERT_EQ(back.exit_code, 0) << back.output;
  EXPECT_EQ(status_of("aaaa1111bbbb2222"), "champion");
  EXPECT_EQ(status_of("cccc3333dddd4444"), "rolled_back");
  nlohmann::json all = nlohmann::json::parse(run_cli("models --json --store " + store_).output);
  for (const auto& m : all) {
    if (m["status"] == "champion") {
      EXPECT_EQ(m["promoted_by"], "rollback by ci");
    }
  }
  // A second rollback does not undo the first: the version it took out is no earlier champion.
  CliResult again =
      run_cli("models rollback --force --by ci --approach local-linear --store " + store_);
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("no earlier champion"), std::string::npos) << again.output;
  EXPECT_EQ(status_of("aaaa1111bbbb2222"), "champion");
  // Named, it comes back.
  ASSERT_EQ(
      run_cli("models rollback --force --by ci --approach local-linear --version cccc --store " +
              store_)
          .exit_code,
      0);
  EXPECT_EQ(status_of("cccc3333dddd4444"), "champion");
}

// A step dated before the registry's latest one is refused: the history would say a version was
// rolled back before it was registered, and the monitor would judge the wrong version's days.
TEST_F(ModelsCli, AStepDatedBeforeTheLatestOneIsRefused) {
  const std::string promote =
      "models promote --force --by ci --approach local-linear --version cccc --store " + store_;
  ASSERT_EQ(run_cli(promote + " --now-ms 1700000000000").exit_code, 0);
  CliResult back = run_cli("models rollback --force --by ci --approach local-linear --store " +
                           store_ + " --now-ms 1600000000000");
  EXPECT_EQ(back.exit_code, 2) << back.output;
  EXPECT_NE(back.output.find("is before the latest step in the registry"), std::string::npos)
      << back.output;
  EXPECT_NE(back.output.find("at or after 1700000000000"), std::string::npos) << back.output;
  EXPECT_EQ(status_of("cccc3333dddd4444"), "champion");
  EXPECT_EQ(run_cli("models rollback --force --by ci --approach local-linear --store " + store_ +
                    " --now-ms 1700000000000")
                .exit_code,
            0);
}

// On a replay's store a step is dated by the replay's clock, said on stderr, as monitor judges
// it: dated today, months after the replay's traffic, it had blocked every later step at the
// replay's time and made the triggered retrain policy think the alert answered.
TEST_F(ModelsCli, AStepOnAReplayStoreIsDatedByTheReplayClock) {
  tunecase::open_store(store_)->set_meta("pilot.replay_clock_ms", "1740787200000");  // 2025-03-01
  CliResult r = run_cli(
      "models promote --force --by ci --approach local-linear --version cccc "
      "--store " +
      store_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("as of the replay's last time, 2025-03-01 00:00:00 UTC"),
            std::string::npos)
      << r.output;
  for (const auto& m : tunecase::open_store(store_)->models("local-linear"))
    if (m.version == "cccc3333dddd4444") {
      EXPECT_EQ(m.promoted_at_ms, 1740787200000);
    }
}

// A rollback returns to a version that served; one that never did (a refused challenger) is
// put in service by a promotion, said so (it had marked the serving version rolled_back, which
// then nothing could roll back to).
TEST_F(ModelsCli, ARollbackToAVersionThatNeverServedIsRefused) {
  CliResult r = run_cli(
      "models rollback --force --by ci --approach local-linear --version cccc "
      "--store " +
      store_);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("was never the champion"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tunecase models promote"), std::string::npos) << r.output;
  EXPECT_EQ(status_of("aaaa1111bbbb2222"), "champion");
}

TEST_F(ModelsCli, TheHistoryKeepsEveryPromotionAndRollback) {
  ASSERT_EQ(
      run_cli("models promote --force --by ci --approach local-linear --version cccc --store " +
              store_)
          .exit_code,
      0);
  ASSERT_EQ(run_cli("models rollback --force --by ci --approach local-linear --store " + store_)
                .exit_code,
            0);
  CliResult r = run_cli("models history --json --store " + store_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> steps;
  for (const auto& e : nlohmann::json::parse(r.output))
    steps.push_back(e["version"].get<std::string>().substr(0, 4) + " " +
                    e["event"].get<std::string>() + " " + e["by"].get<std::string>());
  EXPECT_EQ(steps, (std::vector<std::string>{
                       "aaaa registered ", "aaaa champion ", "cccc registered ",
                       "aaaa retired ci (tunecase models promote)",
                       "cccc champion ci (tunecase models promote)",
                       "cccc rolled_back rollback by ci", "aaaa champion rollback by ci"}));
  CliResult text = run_cli("models history --approach local-linear --store " + store_);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("rolled_back"), std::string::npos) << text.output;
}

TEST_F(ModelsCli, MistakesAreClearErrors) {
  CliResult missing = run_cli("models --store " + (dir_.path() / "typo.db").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("no such store"), std::string::npos) << missing.output;
  CliResult scheme = run_cli("models --store mysql://db/tunecase");
  EXPECT_NE(scheme.output.find("unknown store scheme 'mysql'"), std::string::npos) << scheme.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "typo.db")) << "a typo creates nothing";
  std::ofstream(dir_.path() / "empty.db");  // an empty file is read as no store, not made one
  CliResult empty = run_cli("models --store " + (dir_.path() / "empty.db").string());
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.output.find("the file is empty, not a store"), std::string::npos) << empty.output;
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "empty.db"), 0u);
  // Another SQLite database (another application's, the response cache) is not made a store:
  // the store's tables were written into it, and "no model is registered" said.
  const std::string other = (dir_.path() / "other.db").string();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE foo(a)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  const auto before = std::filesystem::file_size(other);
  CliResult foreign = run_cli("models --store " + other);
  EXPECT_EQ(foreign.exit_code, 2) << foreign.output;
  EXPECT_NE(foreign.output.find("holds no tunecase store (its tables are foo, with no "
                                "schema_version); nothing was written"),
            std::string::npos)
      << foreign.output;
  EXPECT_EQ(std::filesystem::file_size(other), before);
  // Nor is the store made a response cache, and that is said before the data is read.
  std::ofstream(dir_.path() / "c.toml")
      << "[data]\npath = \"" << fixture("cli/tickets.csv")
      << "\"\nlabel = \"category\"\n\n[[approach]]\nname = \"api\"\nkind = \"openai\"\n"
         "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n";
  CliResult cache = run_cli("eval --yes --config " + (dir_.path() / "c.toml").string() +
                            " --cache " + store_ + " --out " + (dir_.path() / "out").string());
  EXPECT_EQ(cache.exit_code, 2) << cache.output;
  EXPECT_NE(cache.output.find("is not a response cache"), std::string::npos) << cache.output;
  EXPECT_EQ(cache.output.find("inspecting"), std::string::npos) << cache.output;

  CliResult unknown =
      run_cli("models promote --approach local-linear --version zzzz --store " + store_);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("has no version zzzz"), std::string::npos) << unknown.output;

  // An approach the registry does not know is named as such (it was "has no version").
  CliResult nothing = run_cli("models rollback --approach other --store " + store_);
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.output.find("has no approach 'other'; its approaches: 'local-linear'"),
            std::string::npos)
      << nothing.output;
  CliResult slip =
      run_cli("models promote --approach local-linaer --version zzzz --store " + store_);
  EXPECT_EQ(slip.exit_code, 2);
  EXPECT_NE(slip.output.find("has no approach 'local-linaer' (did you mean 'local-linear'?)"),
            std::string::npos)
      << slip.output;

  std::ofstream(dir_.path() / "llm.toml")
      << "[[approach]]\nname = \"api\"\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n\n"
         "[labels]\nbilling = \"money\"\n";
  CliResult no_local = run_cli("retrain --config " + (dir_.path() / "llm.toml").string() +
                               " --store " + store_ + " --out " + (dir_.path() / "r").string());
  EXPECT_EQ(no_local.exit_code, 2);
  EXPECT_NE(no_local.output.find("no local approach"), std::string::npos) << no_local.output;

  std::ofstream(dir_.path() / "linear.toml")
      << "[data]\npath = \"" << fixture("cli/tickets.csv")
      << "\"\nlabel = \"category\"\n\n[[approach]]\nname = \"local-linear\"\nkind = \"linear\"\n";
  CliResult no_texts = run_cli("retrain --config " + (dir_.path() / "linear.toml").string() +
                               " --store " + store_ + " --out " + (dir_.path() / "r").string());
  EXPECT_EQ(no_texts.exit_code, 2) << no_texts.output;
  EXPECT_NE(no_texts.output.find("keep_texts"), std::string::npos) << no_texts.output;
}

}  // namespace
