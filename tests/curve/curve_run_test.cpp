#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/core/error.h"
#include "tunecase/curve/curve_report.h"
#include "tunecase/curve/curve_run.h"
#include "tunecase/data/csv_writer.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/llm/sim_llm_server.h"
#include "tunecase/stats/proportion.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

class CurveRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tunecase-curve-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    SyntheticOptions o;
    o.tickets = 1500;
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : generate_tickets(o)) rows.push_back({t.text, t.category});
    write_csv(dir_ / "tickets.csv", {"text", "category"}, rows);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // A retrieval_few_shot approach "llm" on a sim-llm at `port`, at `price` (a TOML table).
  static std::string llm_approach(int port, const std::string& price) {
    return "[[approach]]\nname = \"llm\"\nkind = \"openai\"\nmodel = \"some-model\"\n"
           "base_url = \"http://127.0.0.1:" +
           std::to_string(port) + "/v1\"\nprompt = \"retrieval_few_shot\"\nprice = " + price + "\n";
  }
  // The "llm" approach alone at sizes 30 and 100 (and all of train), two seeds.
  ProjectConfig llm_curve(int port, const std::string& price) const {
    return config(llm_approach(port, price) +
                  "[curve]\nsizes = [30, 100]\nseeds = 2\napproaches = [\"llm\"]\n");
  }
  // A run with --yes into `out`, its response cache as given.
  CurveOptions yes_options(const std::string& out, CacheChoice cache) const {
    CurveOptions o;
    o.out_dir = dir_ / out;
    o.assume_yes = true;
    o.cache = std::move(cache);
    return o;
  }
  ProjectConfig config(const std::string& curve) const {
    return parse_config(
        "[data]\npath = \"tickets.csv\"\ntext = \"text\"\nlabel = \"category\"\n"
        "[[approach]]\nname = \"lin\"\nkind = \"linear\"\n" +
            curve,
        dir_ / "tunecase.toml");
  }
  // The linear approach's curve at `sizes` (a TOML list) on `rows` of text and category, written
  // to NAME.csv, its outputs in NAME-out.
  nlohmann::json curve_of(const std::string& name,
                          const std::vector<std::vector<std::string>>& rows,
                          const std::string& sizes) {
    write_csv(dir_ / (name + ".csv"), {"text", "category"}, rows);
    ProjectConfig c =
        parse_config("[data]\npath = \"" + name +
                         ".csv\"\ntext = \"text\"\nlabel = \"category\"\n"
                         "[[approach]]\nname = \"lin\"\nkind = \"linear\"\n[curve]\nsizes = " +
                         sizes + "\n",
                     dir_ / "tunecase.toml");
    CurveOptions o;
    o.out_dir = dir_ / (name + "-out");
    std::ostringstream log;
    return run_curve(c, o, log);
  }
  std::filesystem::path dir_;
};

std::string slurp_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(CurveRunTest, MoreLabelsHelpAndEveryFigureIsWritten) {
  CurveOptions o;
  o.out_dir = dir_ / "out";
  std::ostringstream log;
  auto doc = run_curve(
      config("[curve]\nsizes = [30, 100, 300]\nseeds = 2\ntarget_accuracy = 0.99\n"), o, log);
  ASSERT_EQ(doc["approaches"].size(), 1u);
  const auto& points = doc["approaches"][0]["points"];
  ASSERT_EQ(points.size(), 4u);  // 30, 100, 300 and all of train
  EXPECT_EQ(points[0]["runs"], 2);
  EXPECT_EQ(points[3]["runs"], 1);  // all of train is the same for every seed
  EXPECT_GT(points[3]["mean_accuracy"].get<double>(), points[0]["mean_accuracy"].get<double>());
  const auto& fit = doc["approaches"][0]["fit"];
  ASSERT_TRUE(fit["fitted"].get<bool>());
  EXPECT_EQ(fit["projection_2x"]["provenance"], "projection");
  EXPECT_TRUE(fit["target"].contains("reachable"));
  for (const char* f : {"curve.json", "curve.md", "curve.html"})
    EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / f)) << f;
  // The interval is the mean's: never narrower than measuring it once on the shared test items
  // (the pooled count of k runs had counted each item k times), wider with the seeds' spread.
  const std::size_t test_items = doc["test_items"].get<std::size_t>();
  for (const auto& p : points) {
    const double mean = p["mean_accuracy"].get<double>();
    const Interval once = wilson_interval(
        static_cast<std::size_t>(std::lround(mean * static_cast<double>(test_items))), test_items);
    EXPECT_LE(p["accuracy_ci95"][0].get<double>(), once.lo + 1e-12) << p.dump();
    EXPECT_GE(p["accuracy_ci95"][1].get<double>(), once.hi - 1e-12) << p.dump();
  }
  // What the data and split were, for decide to compare with eval's.
  EXPECT_TRUE(doc["data_settings"].contains("file_hashes")) << doc["data_settings"].dump();
}

// Texts that say nothing of their label, nine in ten labelled "a": no size does better than
// always answering "a", and the fit says its projections promise nothing.
TEST_F(CurveRunTest, ACurveNoBetterThanTheMostFrequentLabelSaysSo) {
  std::vector<std::vector<std::string>> rows;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 400; ++i)
    rows.push_back(
        {fmt::format("w{} w{} w{}", rng() % 50, rng() % 50, rng() % 50), i % 10 == 0 ? "b" : "a"});
  auto doc = curve_of("noise", rows, "[20, 60, 150]");
  const auto& fit = doc["approaches"][0]["fit"];
  ASSERT_TRUE(fit.value("fitted", false)) << fit.dump();
  EXPECT_EQ(fit["majority_only"], true) << fit.dump();
  EXPECT_NE(fit["warning"].get<std::string>().find("most frequent label"), std::string::npos);
}

// Few test items: a size above the train split is named, not dropped in silence, the log says
// each point is coarse, and a projection's interval is no narrower than measuring its accuracy on
// those items would give (the bootstrap over points that share one tiny test set was).
TEST_F(CurveRunTest, FewTestItemsAndSizesAboveTrainAreSaid) {
  CurveOptions o;
  o.out_dir = dir_ / "few";
  o.test_limit = 20;
  std::ostringstream log;
  auto doc = run_curve(config("[curve]\nsizes = [30, 100, 300, 99999]\nseeds = 2\n"), o, log);
  EXPECT_EQ(doc["sizes_not_measured"], nlohmann::json::array({99999}));
  EXPECT_THAT(log.str(), HasSubstr("sizes 99999 are above the"));
  EXPECT_THAT(log.str(), HasSubstr("the test split has 20 items"));
  const auto& fit = doc["approaches"][0]["fit"];
  ASSERT_TRUE(fit["fitted"].get<bool>());
  const auto& ci = fit["projection_2x"]["ci95"];
  ASSERT_TRUE(ci.is_array());
  // 95% Wilson on 20 items is at least about 0.2 wide at any accuracy up to 0.95.
  EXPECT_GE(ci[1].get<double>() - ci[0].get<double>(), 0.15) << ci.dump();
}

// The default sizes stop at 2,500: on a much larger train split the local approaches also
// measure 5,000, 10,000, 25,000, ... up to three quarters of it (a fit with nothing between 2,500
// and all of train had projected below what all of train measured, and given no answer).
TEST(CurveSizes, TheDefaultsReachTowardALargeTrainSplit) {
  const std::vector<std::size_t> defaults = {50, 100, 250, 500, 1000, 2500};
  auto with_all = [&](std::size_t train) {
    std::vector<std::size_t> v = defaults;
    v.push_back(train);
    return v;
  };
  EXPECT_EQ(with_sizes_toward_train(with_all(10836), 10836),
            (std::vector<std::size_t>{50, 100, 250, 500, 1000, 2500, 5000, 10836}));
  EXPECT_EQ(with_sizes_toward_train(with_all(57954), 57954),
            (std::vector<std::size_t>{50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 57954}));
  EXPECT_EQ(with_sizes_toward_train(with_all(4000), 4000), with_all(4000));  // 5,000 > 3/4
  EXPECT_EQ(with_sizes_toward_train({50, 100, 300}, 300), (std::vector<std::size_t>{50, 100, 300}));
}

TEST_F(CurveRunTest, BadCurveTableNamesTheKey) {
  try {
    read_curve_settings(config("[curve]\napproaches = [\"missing\"]\n"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing"));
  }
  EXPECT_THROW(read_curve_settings(config("[curve]\ntarget_accuracy = 90\n")), UserError);
}

TEST_F(CurveRunTest, DuplicateSizesAreRefused) {
  try {
    config("[curve]\nsizes = [300, 100, 300]\n");
    FAIL() << "sizes listed twice were accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("[curve] sizes: 300 is listed twice"));
  }
  try {
    config("[curve]\napproaches = [\"lin\", \"lin\"]\n");
    FAIL() << "an approach listed twice was accepted (and measured twice)";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("[curve] approaches: \"lin\" is listed twice"));
  }
}

// Three tiny sizes bend the fit: its projection at 2x falls below what all of train measured.
// That is flagged in curve.json and curve.md, never reported as what more labels bring.
TEST_F(CurveRunTest, AProjectionBelowTheMeasuredFullTrainIsFlagged) {
  CurveOptions o;
  o.out_dir = dir_ / "out";
  std::ostringstream log;
  auto doc = run_curve(config("[curve]\nsizes = [5, 10, 20]\nseeds = 2\n"), o, log);
  const auto& a = doc["approaches"][0];
  double measured = a["points"].back()["mean_accuracy"].get<double>();
  const auto& fit = a["fit"];
  ASSERT_TRUE(fit["fitted"].get<bool>());
  ASSERT_LT(fit["projection_2x"]["accuracy"].get<double>(), measured)
      << "the fit no longer falls below; pick sizes that bend it";
  EXPECT_EQ(fit.value("projection_below_measured", false), true);
  EXPECT_THAT(fit.value("warning", ""), HasSubstr("below the"));
  // Its ceiling is no saturation to read either.
  EXPECT_TRUE(fit["saturates_at"].is_null()) << fit.dump();
  EXPECT_FALSE(fit["saturation_visible"].get<bool>());
  std::ifstream md(dir_ / "out" / "curve.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("Warning: The fit projects"));
  EXPECT_THAT(text.str(), HasSubstr("| mean accuracy (measured) |"));

  auto fine = run_curve(config("[curve]\nsizes = [30, 100, 300]\nseeds = 2\n"), o, log);
  EXPECT_FALSE(fine["approaches"][0]["fit"].contains("projection_below_measured"));
}

// Every test item right with all of train: a fit whose ceiling is 1 projects a hair under 1.000,
// less than half a test item, which is no measurable fall and not flagged.
TEST_F(CurveRunTest, AProjectionAHairUnderAPerfectScoreIsNotFlagged) {
  std::vector<std::vector<std::string>> rows;
  const char* words[] = {"refund", "login", "parcel"};
  for (int i = 0; i < 300; ++i)
    rows.push_back({fmt::format("{} {} {}", words[i % 3], words[i % 3], i), words[i % 3]});
  auto doc = curve_of("clean", rows, "[1, 2, 4]");
  const auto& a = doc["approaches"][0];
  ASSERT_DOUBLE_EQ(a["points"].back()["mean_accuracy"].get<double>(), 1.0);
  EXPECT_FALSE(a["fit"].contains("projection_below_measured")) << a["fit"].dump();
}

// A target all of train already reaches is met by the measurement, not by a projection that
// the fit could put past the labels the team already has.
TEST_F(CurveRunTest, ATargetAllOfTrainReachesIsMetByTheMeasurement) {
  std::vector<std::vector<std::string>> rows;
  const char* words[] = {"refund", "login", "parcel"};
  for (int i = 0; i < 300; ++i)
    rows.push_back({fmt::format("{} {} {}", words[i % 3], words[i % 3], i), words[i % 3]});
  write_csv(dir_ / "met.csv", {"text", "category"}, rows);
  ProjectConfig c = parse_config(
      "[data]\npath = \"met.csv\"\ntext = \"text\"\nlabel = \"category\"\n[[approach]]\nname = "
      "\"lin\"\nkind = \"linear\"\n[curve]\nsizes = [3, 6, 12]\ntarget_accuracy = 0.95\n",
      dir_ / "tunecase.toml");
  CurveOptions o;
  o.out_dir = dir_ / "met-out";
  std::ostringstream log;
  auto doc = run_curve(c, o, log);
  const auto& target = doc["approaches"][0]["fit"]["target"];
  ASSERT_TRUE(target.contains("met_by")) << target.dump();
  EXPECT_EQ(target["provenance"], "measured");
  EXPECT_EQ(target["labels_needed"].get<double>(), doc["train_labels"].get<double>());
}

// The LLM runs' whole spend is estimated and asked about once, before the first request (it had
// been asked about part-way, run by run, after spending); refused, no LLM run starts, and the
// local approach is still measured and written.
TEST_F(CurveRunTest, ASpendNotConfirmedKeepsWhatWasMeasured) {
  SimLlmServer sim{SimLlmOptions{}};
  int port = sim.start();
  ProjectConfig c =
      config(llm_approach(port, "{ input = 20000.0, output = 20000.0 }") +
             "[curve]\nsizes = [30, 100]\nseeds = 1\napproaches = [\"llm\", \"lin\"]\n");
  CurveOptions o;
  o.out_dir = dir_ / "refused";
  o.assume_yes = false;
  int asked = 0;
  std::string question;
  o.confirm = [&](const std::string& q) {
    question = q;
    return ++asked, false;
  };
  std::ostringstream log;
  try {
    run_curve(c, o, log);
    FAIL() << "a refused spend must end the command with its message";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not confirmed"));
    EXPECT_THAT(e.what(), HasSubstr("hold what was measured"));
  }
  EXPECT_EQ(asked, 1);
  EXPECT_THAT(question, HasSubstr("curve: its LLM requests may cost up to $"));
  EXPECT_EQ(sim.stats().requests, 0u);
  EXPECT_THAT(log.str(), HasSubstr("estimate: the LLM runs at most $"));
  std::ifstream in(dir_ / "refused" / "curve.json");
  ASSERT_TRUE(in) << "curve.json was not written";
  nlohmann::json doc = nlohmann::json::parse(in);
  ASSERT_EQ(doc["approaches"].size(), 2u);
  // The LLM approach first: the local one after the refusal is still measured.
  EXPECT_TRUE(doc["approaches"][0]["points"].empty());
  ASSERT_FALSE(doc["approaches"][0]["not_measured"].empty());
  EXPECT_THAT(doc["approaches"][0]["not_measured"][0]["why"].get<std::string>(),
              HasSubstr("not confirmed"));
  EXPECT_EQ(doc["approaches"][1]["points"].size(), 3u);  // lin: 30, 100 and all of train
  sim.stop();
}

// A refused run over an earlier run's outputs leaves them: they hold LLM points the refusal kept
// this run from (the rewrite had dropped them, and said curve.json held what was measured).
TEST_F(CurveRunTest, ARefusedRunLeavesAnEarlierRunsOutputs) {
  SimLlmServer sim{SimLlmOptions{}};
  int port = sim.start();
  ProjectConfig c = llm_curve(port, "{ input = 20000.0, output = 20000.0 }");
  CurveOptions o = yes_options("kept", CacheChoice{dir_ / "cache.sqlite", false});
  std::ostringstream log;
  nlohmann::json first = run_curve(c, o, log);
  ASSERT_FALSE(first["approaches"][0]["points"].empty());
  const std::string before = slurp_file(dir_ / "kept" / "curve.json");
  // Another test split size: nothing of it cached, so the spend is asked about and refused.
  o.test_limit = 7;
  o.cache = CacheChoice{dir_ / "other-cache.sqlite", false};
  o.assume_yes = false;
  o.confirm = [](const std::string&) { return false; };
  try {
    run_curve(c, o, log);
    FAIL() << "the spend was refused";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("left as the earlier run wrote them"));
  }
  EXPECT_EQ(slurp_file(dir_ / "kept" / "curve.json"), before);
  sim.stop();
}

// The estimate printed before the first request bounds what the LLM runs then spend.
TEST_F(CurveRunTest, TheLlmRunsEstimateBoundsTheirSpend) {
  SimLlmServer sim{SimLlmOptions{}};
  int port = sim.start();
  ProjectConfig c = llm_curve(port, "{ input = 3.0, output = 12.0 }");
  CurveOptions o = yes_options("bounded", CacheChoice{.disabled = true});
  std::ostringstream log;
  nlohmann::json doc = run_curve(c, o, log);
  const std::string marker = "estimate: the LLM runs at most $";
  auto at = log.str().find(marker);
  ASSERT_NE(at, std::string::npos) << log.str();
  const double estimate = std::stod(log.str().substr(at + marker.size()));
  const double spent = doc["spend"]["spent_usd"].get<double>();
  EXPECT_GT(spent, 0);
  EXPECT_LE(spent, estimate + 0.005) << log.str();  // printed to the cent
  // No fine-tuning ran: the report names no jobs (it had sent the reader to "the fine-tuned
  // rows" that a curve without [curve] finetune does not have).
  std::string md = curve_markdown(doc);
  EXPECT_NE(md.find("LLM answers cost $"), std::string::npos) << md;
  EXPECT_EQ(md.find("fine-tuned rows"), std::string::npos) << md;
  sim.stop();
}

// A finished curve run again sends nothing, so it is not asked about, and its results stand (the
// whole worst case had been asked, refused without a terminal, and the rewritten curve.json had
// lost its LLM points).
TEST_F(CurveRunTest, AFinishedCurveRunAgainIsNotAskedAbout) {
  SimLlmServer sim{SimLlmOptions{}};
  int port = sim.start();
  ProjectConfig c = llm_curve(port, "{ input = 20000.0, output = 20000.0 }");
  CurveOptions o = yes_options("first", CacheChoice{dir_ / "cache.sqlite", false});
  std::ostringstream log;
  nlohmann::json first = run_curve(c, o, log);
  const uint64_t sent = sim.stats().requests;
  o.out_dir = dir_ / "again";
  o.assume_yes = false;
  int asked = 0;
  o.confirm = [&](const std::string&) { return ++asked, false; };
  nlohmann::json again = run_curve(c, o, log);
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(sim.stats().requests, sent);
  EXPECT_EQ(again["approaches"][0]["points"], first["approaches"][0]["points"]);
  // Each run's spend is its own, and the answers the cache gave are counted beside it.
  EXPECT_EQ(first["spend"]["requests_sent"].get<uint64_t>(), sent);
  EXPECT_EQ(first["spend"]["cached_answers"], 0);
  EXPECT_EQ(again["spend"]["requests_sent"], 0);
  EXPECT_DOUBLE_EQ(again["spend"]["spent_usd"].get<double>(), 0.0);
  EXPECT_EQ(again["spend"]["cached_answers"].get<uint64_t>(), sent);
  const std::string md = curve_markdown(again);
  EXPECT_NE(md.find(fmt::format("{} more answers came from the response cache at no cost", sent)),
            std::string::npos)
      << md;
  sim.stop();
}

TEST_F(CurveRunTest, DefaultsToTheLocalApproaches) {
  auto s = read_curve_settings(config(""));
  ASSERT_EQ(s.approaches.size(), 1u);
  EXPECT_EQ(s.approaches[0].name, "lin");
  EXPECT_EQ(s.seeds, 3);
}

}  // namespace
}  // namespace tunecase

namespace tunecase {
namespace {

// A ceiling at its bound reads "no saturation visible"; points that level off say so beside it
// (500, 1,000 and 2,495 labels at 0.956, 0.988 and 0.990 had read as no saturation at all).
TEST(CurveFitJson, PointsThatLevelOffAreSaidBesideACeilingAtItsBound) {
  std::vector<CurvePoint> flat = {{50, 0.62},   {100, 0.75},   {250, 0.88},
                                  {500, 0.956}, {1000, 0.988}, {2495, 0.990}};
  nlohmann::json fit = fit_json(flat, 2495, std::nullopt, 0.990, 710);
  ASSERT_TRUE(fit["fitted"].get<bool>());
  ASSERT_NEAR(fit["a"].get<double>(), 1.0, 1e-9) << "a ceiling at its bound: " << fit.dump();
  {
    ASSERT_TRUE(fit.contains("levels_off")) << fit.dump();
    EXPECT_EQ(fit["levels_off"]["from_labels"].get<double>(), 1000);
    EXPECT_NEAR(fit["levels_off"]["gain_per_doubling"].get<double>(),
                (0.990 - 0.988) / std::log2(2495.0 / 1000), 1e-9);
  }
  // A target the fit reaches only by projecting past points that level off is not in sight.
  nlohmann::json aimed = fit_json(flat, 2495, 0.999, 0.990, 710);
  if (aimed.contains("target") && !aimed["target"].contains("met_by")) {
    EXPECT_FALSE(aimed["target"]["reachable"].get<bool>()) << aimed["target"].dump();
    EXPECT_THAT(aimed["target"].value("why", ""), HasSubstr("not in sight: the measured points "
                                                            "level off"));
  }
  // Still climbing at the top: nothing to say.
  std::vector<CurvePoint> climbing = {{500, 0.80}, {1000, 0.85}, {2000, 0.89}};
  EXPECT_FALSE(fit_json(climbing, 2000, std::nullopt, 0.89, 710).contains("levels_off"));
}

// A size at which the model scores no more than always answering the most frequent label had not
// learnt the task: said, beside a curve that clears that floor with all of train (fastText at 50
// labels had read 0.038 against a floor of 0.045, unsaid).
TEST(CurveFitJson, SizesAtTheMajorityFloorAreSaid) {
  auto approach = [](std::vector<std::pair<int, double>> means) {
    nlohmann::json points = nlohmann::json::array();
    for (auto [labels, mean] : means)
      points.push_back({{"labels", labels}, {"mean_accuracy", mean}});
    return nlohmann::json{{"points", points}, {"fit", {{"fitted", true}}}};
  };
  nlohmann::json ft = approach({{50, 0.038}, {100, 0.045}, {250, 0.093}, {2495, 0.61}});
  note_sizes_at_majority_floor(ft, 2495, "delivery_period", 0.045);
  EXPECT_EQ(ft["fit"]["at_majority_floor"], nlohmann::json({50, 100}));
  EXPECT_THAT(ft["fit"].value("warning", ""),
              HasSubstr("At 50, 100 labels it scores no more than always answering the test "
                        "split's most frequent label 'delivery_period' (0.045)"));
  nlohmann::json above = approach({{50, 0.30}, {2495, 0.61}});
  note_sizes_at_majority_floor(above, 2495, "delivery_period", 0.045);
  EXPECT_FALSE(above["fit"].contains("warning"));
  // At the floor with all of train too: majority_only's warning says it, not this one.
  nlohmann::json flat = approach({{50, 0.04}, {2495, 0.045}});
  note_sizes_at_majority_floor(flat, 2495, "delivery_period", 0.045);
  EXPECT_FALSE(flat["fit"].contains("warning"));
}

}  // namespace
}  // namespace tunecase
