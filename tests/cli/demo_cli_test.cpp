#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include "../dashboard/headless_chromium.h"
#include "run_cli.h"
#include "sim_llm_process.h"
#include "tunecase/store/store.h"

namespace {

// The dashboard on the store the demo's pilot filled: the tiles show /v1/pilot's figures with
// the simulated arm marked, the charts span the replayed days, the memo is one click away.
void check_dashboard(const std::filesystem::path& out) {
  using tunecase::testing::HeadlessChromium;
  if (access(tunecase::testing::kChromium, X_OK) != 0) return;  // install-deps installs it
  ServerProcess serve(
      out, "serve",
      {"serve", "--config", (out / "tunecase.toml").string(), "--eval", (out / "eval").string(),
       "--plan", (out / "decision" / "decision.json").string(), "--store",
       (out / "pilot" / "pilot.db").string()});
  ASSERT_GT(serve.port(), 0) << "tunecase serve did not start on the demo's output";
  HeadlessChromium browser(out / "chromium");
  browser.call("Runtime.enable");
  browser.call("Log.enable");
  browser.resize(1280, 900, false);
  browser.call("Page.navigate", {{"url", fmt::format("http://127.0.0.1:{}/", serve.port())}});
  ASSERT_TRUE(browser.wait_for("window.tunecase && window.tunecase.updates >= 1"));
  nlohmann::json seen = browser.evaluate(R"((() => ({
      tiles: [...document.querySelectorAll('.tile')].map(t => ({
        approach: t.dataset.approach, role: t.dataset.role,
        accuracy: Number(t.querySelector('[data-field=accuracy]').dataset.value),
        simulated: t.querySelector('.badge.sim') !== null })),
      days: window.tunecase.charts['chart-accuracy'].data.labels.length,
      series: Number(document.getElementById('chart-accuracy').dataset.series),
      memo: document.querySelector('#context-body a') ? document.querySelector('#context-body a').getAttribute('href') : null,
      context_rows: document.querySelectorAll('#context-body tbody tr').length,
      verdict: document.querySelector('[data-field=verdict]').textContent }))())");
  nlohmann::json pilot = read_json(out / "decision" / "pilot.json");
  ASSERT_EQ(seen["tiles"].size(), 2u) << seen.dump();
  for (const auto& tile : seen["tiles"])
    for (const auto& arm : pilot["arms"])
      if (arm["role"] == tile["role"]) {
        EXPECT_EQ(tile["approach"], arm["approach"]);
        EXPECT_NEAR(tile["accuracy"].get<double>(), arm["accuracy"].get<double>(), 1e-12);
        EXPECT_EQ(tile["simulated"], arm["basis"] == "simulated") << tile.dump();
      }
  EXPECT_EQ(seen["verdict"], pilot["verdict"]["outcome"]);
  EXPECT_EQ(seen["series"], 2);
  EXPECT_GE(seen["days"].get<int>(), 30);  // two months replayed, a few days without tickets
  EXPECT_EQ(seen["memo"], "/memo");
  EXPECT_EQ(seen["context_rows"], 2);
  for (const auto& e : browser.errors()) ADD_FAILURE() << "browser console: " << e;
}

TEST(DemoCli, RunsTheWholeJourneyOffline) {
  TempDir out;
  CliResult r = run_cli("demo --quiet --tickets 1500 --out " + out.str());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json eval = read_json(out.path() / "eval" / "eval.json");
  ASSERT_GE(eval["approaches"].size(), 6u);
  std::size_t simulated = 0;
  for (const auto& a : eval["approaches"]) simulated += a["simulated"].get<bool>();
  EXPECT_EQ(simulated, 5u);  // three prompting strategies and two fine-tuned models, on sim-llm
  // Fine-tuned on 30% and on all of train: ordinary approaches in the bake-off, their training
  // cost measured (simulated) in the decision.
  nlohmann::json decision = read_json(out.path() / "decision" / "decision.json");
  int tuned = 0;
  for (const auto& a : decision["approaches"]) {
    if (a["name"] != "sim-fine-tuned" && a["name"] != "sim-fine-tuned-30pct") continue;
    ++tuned;
    EXPECT_EQ(a["inputs"]["training_usd"]["source"], "measured") << a["name"];
    EXPECT_TRUE(a["inputs"]["training_usd"]["simulated"].get<bool>());
    EXPECT_GT(a["inputs"]["training_usd"]["value"].get<double>(), 0);
  }
  EXPECT_EQ(tuned, 2);
  nlohmann::json small = read_json(out.path() / "finetune-30pct" / "finetune.json");
  nlohmann::json full = read_json(out.path() / "finetune" / "finetune.json");
  EXPECT_LT(small["data"]["train_examples"].get<int>(), full["data"]["train_examples"].get<int>());
  EXPECT_GE(eval["dataset"]["labels"].get<int>(), 11);
  EXPECT_TRUE(std::filesystem::exists(out.path() / "decision" / "memo.html"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "optimize" / "winner.toml"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "curve" / "curve.html"));
  std::string memo = read_file(out.path() / "decision" / "memo.md");
  EXPECT_NE(memo.find("SIMULATED"), std::string::npos);
  EXPECT_NE(memo.find("Subset first: the 30.0% run (sim-fine-tuned-30pct"), std::string::npos)
      << "the memo says what the subset fine-tune predicted about the full one";
  EXPECT_NE(memo.find("## After launch"), std::string::npos);
  EXPECT_NE(r.output.find("(simulated)"), std::string::npos) << r.output;

  // The pilot: two later months of tickets replayed through the gateway, every one answered and
  // logged, the report written next to the memo and marked simulated.
  nlohmann::json pilot = read_json(out.path() / "decision" / "pilot.json");
  ASSERT_EQ(pilot["arms"].size(), 2u);
  int64_t requests = 0, labelled = 0;
  for (const auto& arm : pilot["arms"]) {
    requests += arm["requests"].get<int64_t>();
    labelled += arm["labelled"].get<int64_t>();
  }
  EXPECT_EQ(requests, 2 * (1500 / 12));
  EXPECT_EQ(labelled, requests);  // every label arrived before the final report
  EXPECT_EQ(pilot["basis"], "simulated");
  std::string outcome = pilot["verdict"]["outcome"];
  EXPECT_TRUE(outcome == "clear win" || outcome == "marginal" || outcome == "worse" ||
              outcome == "collecting")
      << outcome;
  EXPECT_NE(r.output.find("pilot verdict after"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out.path() / "decision" / "pilot.md"));

  // The retrain on the pilot's feedback: every piloted item is training data or held out, the
  // challenger and the eval model are in the registry, and a rollback undoes a promotion.
  nlohmann::json retrain = read_json(out.path() / "retrain" / "retrain.json");
  ASSERT_EQ(retrain["approaches"].size(), 1u);
  const nlohmann::json& lr = retrain["approaches"][0];
  EXPECT_EQ(lr["train_feedback_rows"].get<int64_t>() + lr["holdout_items"].get<int64_t>(),
            requests);
  EXPECT_NE(r.output.find("9. after the pilot: retrain"), std::string::npos) << r.output;
  std::string store = (out.path() / "pilot" / "pilot.db").string();
  // The routing salt comes from the seed (42 unless --seed says otherwise): the same seed sends
  // every ticket to the same arm, run after run.
  EXPECT_EQ(tunecase::open_store(store)->meta("pilot.salt").value_or(""), "demo-42");
  CliResult listed = run_cli("models --json --approach local-linear --store " + store);
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  nlohmann::json models = nlohmann::json::parse(listed.output);
  ASSERT_EQ(models.size(), 2u) << listed.output;  // the eval model and the challenger
  int champions = 0;
  for (const auto& m : models) champions += m["status"] == "champion";
  EXPECT_EQ(champions, 1);
  // The command itself: a dry run over every local approach changes nothing in the registry;
  // with no accuracy alert open the triggered policy says no retrain is due.
  std::string retrain_args = fmt::format(
      "retrain --config {} --eval {} --store {} --out {}", (out.path() / "tunecase.toml").string(),
      (out.path() / "eval").string(), store, (out.path() / "retrain-cli").string());
  auto registered = [&] {
    return nlohmann::json::parse(run_cli("models --json --store " + store).output).size();
  };
  std::size_t before = registered();
  CliResult dry = run_cli(retrain_args + " --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  for (const char* approach : {"local-linear:", "local-fasttext:", "local-retrieval:"})
    EXPECT_NE(dry.output.find(approach), std::string::npos) << dry.output;
  // Each comparison line says how its figures were obtained, whatever the outcome.
  EXPECT_NE(dry.output.find("held-out items (measured; McNemar p = "), std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("note: approach 'sim-zero-shot' is a zero-shot LLM approach"),
            std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("note: approach 'sim-few-shot' is an LLM approach: its example pool "
                            "is refreshed with --refresh-examples"),
            std::string::npos)
      << dry.output;
  CliResult due = run_cli(retrain_args + " --if-due --approach local-linear");
  ASSERT_EQ(due.exit_code, 0) << due.output;
  EXPECT_NE(due.output.find("local-linear: not due"), std::string::npos) << due.output;
  EXPECT_EQ(registered(), before);
  CliResult back = run_cli("models rollback --by ci --approach local-linear --store " + store);
  if (lr["promoted"].get<bool>()) {
    EXPECT_EQ(back.exit_code, 0) << back.output;
    models = nlohmann::json::parse(
        run_cli("models --json --approach local-linear --store " + store).output);
    for (const auto& m : models)
      EXPECT_EQ(m["status"], m["version"] == lr["champion_version"] ? "champion" : "rolled_back");
  } else {
    EXPECT_EQ(back.exit_code, 2) << back.output;
    EXPECT_NE(back.output.find("no earlier champion"), std::string::npos) << back.output;
  }

  // The replay of the year under each retraining policy.
  nlohmann::json replay = read_json(out.path() / "replay" / "replay.json");
  ASSERT_EQ(replay["policies"].size(), 3u);
  EXPECT_NE(r.output.find("10. the year again"), std::string::npos) << r.output;

  check_dashboard(out.path());
}

// The same demo again into the same folder: it had failed at its fine-tuning step (the earlier
// run's simulated job was made at another sim-llm port) after rewriting the config.
TEST(DemoCli, RunsAgainIntoTheSameFolder) {
  TempDir out;
  CliResult first = run_cli("demo --quiet --tickets 300 --out " + out.str());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  CliResult again = run_cli("demo --quiet --tickets 300 --out " + out.str());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("follows job"), std::string::npos) << again.output;
  EXPECT_TRUE(std::filesystem::exists(out.path() / "decision" / "decision.json"));
}

}  // namespace
