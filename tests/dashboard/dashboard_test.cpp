// The live dashboard (GET / of tunecase serve): its data route against the pilot report and the
// store, its token, its embedded files, and the page itself in headless Chromium.
#include <atomic>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "../serve/gateway_fixture.h"
#include "headless_chromium.h"
#include "tunecase/data/prepare.h"
#include "tunecase/serve/dashboard.h"

namespace tunecase::serve::testing {
namespace {

using nlohmann::json;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kFirstDay = 20'000;  // 2024-10-04

const char* kSplitPilot =
    "[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\n"
    "mode = \"split\"\nshare = 0.5\n";

struct Answered {
  std::string id, approach, label, gold;
};

class DashboardTest : public GatewayTest {
 protected:
  // A gateway on a clock the test moves.
  int start_at(const std::string& extra, const std::string& token = "") {
    GatewayOptions o = options();
    o.clock = [now = now_] { return now->load(); };
    o.token = token;
    return start(extra, std::move(o));
  }

  // `days` days of traffic: `per_day` tickets of the fixture a day, each labelled the same day.
  void replay(int days, int per_day) {
    PreparedData data = prepare_data(config_.data);
    Examples all = data.splits.train;
    all.insert(all.end(), data.splits.test.begin(), data.splits.test.end());
    for (int d = 0; d < days; ++d)
      for (int i = 0; i < per_day; ++i) {
        const Example& e = all[(d * per_day + i) % all.size()];
        now_->store((kFirstDay + d) * kDay + 3'600'000 + i * 60'000);
        std::string id = fmt::format("d{}-{}", d, i);
        json answer = classify({{"text", e.text}, {"id", id}});
        answered_.push_back({id, answer.value("approach", ""), answer.value("label", ""), e.label});
        Reply r = post("/v1/feedback", json{{"id", id}, {"label", e.label}}.dump(), auth_);
        ASSERT_EQ(r.status, 200) << r.body;
      }
  }

  json dashboard() {
    TestClient client(port_);
    Reply r = client.send("GET", "/v1/dashboard", "", auth_);
    EXPECT_EQ(r.status, 200) << r.body;
    return body_of(r);
  }

  std::shared_ptr<std::atomic<int64_t>> now_ =
      std::make_shared<std::atomic<int64_t>>(kFirstDay * kDay);
  std::vector<Answered> answered_;
  std::map<std::string, std::string> auth_;
};

// What `tunecase monitor` leaves in the store for the dashboard (store meta "monitor.latest").
const char* kMonitorRun = R"({"ran_at_ms": 1728000000000,
  "drift": {"windows": "last 7 days against the 28 before",
            "detectors": [{"detector": "prediction_mix_psi", "approach": "local-linear",
                           "verdict": "drift", "summary": "PSI 0.31 on 420 predictions"}],
            "emerging_terms": [{"term": "autopilot", "current": 40, "reference": 1, "rise": 20.5,
                                "z": 6.1, "examples": ["autopilot booked two meetings"]}]},
  "policy": "triggered: retrain within 7 days of an accuracy alert"})";

const json* arm_of(const json& pilot, const std::string& role) {
  for (const auto& a : pilot["arms"])
    if (a["role"] == role) return &a;
  return nullptr;
}

TEST_F(DashboardTest, DaysAddUpToWhatWasServedAndLabelled) {
  start_at(kSplitPilot);
  replay(4, 12);
  json d = dashboard();
  std::map<std::pair<int64_t, std::string>, std::pair<int, int>> expected;  // labelled, correct
  for (std::size_t i = 0; i < answered_.size(); ++i) {
    auto& cell = expected[{kFirstDay + int64_t(i) / 12, answered_[i].approach}];
    cell.first++;
    cell.second += answered_[i].label == answered_[i].gold;
  }
  ASSERT_EQ(d["days"].size(), expected.size());
  for (const auto& row : d["days"]) {
    auto cell = expected.at({row["day"].get<int64_t>(), row["approach"].get<std::string>()});
    EXPECT_EQ(row["requests"], cell.first);
    EXPECT_EQ(row["labelled"], cell.first);
    EXPECT_EQ(row["correct"], cell.second);
    EXPECT_EQ(row["basis"], "measured");
    const auto& ci = row["accuracy_ci95"];
    EXPECT_LE(ci[0].get<double>(), row["accuracy"].get<double>());
    EXPECT_GE(ci[1].get<double>(), row["accuracy"].get<double>());
  }
  // The "now" part is the pilot report itself.
  json pilot = this->pilot();
  for (const char* role : {"champion", "challenger"})
    EXPECT_EQ((*arm_of(d["pilot"], role))["accuracy"], (*arm_of(pilot, role))["accuracy"]) << role;
  EXPECT_TRUE(d["alerts"].empty());
  EXPECT_TRUE(d["memo"].is_null());  // started without --plan
}

TEST_F(DashboardTest, DataAsksForTheTokenThePageDoesNot) {
  start_at(kSplitPilot, "s3cret-token");
  EXPECT_EQ(get("/v1/dashboard").status, 401);
  auth_ = {{"Authorization", "Bearer s3cret-token"}};
  EXPECT_EQ(dashboard()["pilot"]["champion"], "local-linear");
  Reply page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("s3cret-token"), std::string::npos);
  EXPECT_NE(page.body.find("/assets/dashboard.js"), std::string::npos);
}

TEST_F(DashboardTest, LinksTheOperationPlanAndShowsTheLatestMonitorRun) {
  project(kSplitPilot);
  std::ofstream(dir_ / "plan.html") << "<html><body>operation plan page</body></html>";
  GatewayOptions o = options();
  o.clock = [now = now_] { return now->load(); };
  o.operation_plan = dir_ / "plan.html";
  start(kSplitPilot, std::move(o));
  json before = dashboard();
  EXPECT_TRUE(before["monitoring"].is_null());
  EXPECT_EQ(before["operation_plan"], "/plan");
  EXPECT_NE(get("/plan").body.find("operation plan page"), std::string::npos);
  gateway_->store().set_meta("monitor.latest", kMonitorRun);
  json after = dashboard();
  EXPECT_EQ(after["monitoring"]["drift"]["detectors"][0]["verdict"], "drift");
  EXPECT_EQ(after["monitoring"]["policy"], json::parse(kMonitorRun)["policy"]);
}

// The registry's promotions are events on the charts; one made by a rollback says so.
TEST_F(DashboardTest, PromotionsAndRollbacksAreMarkedAsEvents) {
  start_at(kSplitPilot);
  Store& store = gateway_->store();
  ModelVersion other;
  other.name = "retrained";
  other.approach = "local-linear";
  other.version = "retrained-version";
  other.path = (dir_ / "eval" / "models" / "local-logreg").string();
  store.register_model(other);
  std::string original;
  for (const auto& m : store.models("local-linear"))
    if (m.status == ModelStatus::champion) original = m.version;
  ASSERT_FALSE(original.empty()) << "serve registers the model it starts with";
  now_->store(kFirstDay * kDay + 3 * kDay);
  store.set_model_status("local-linear", other.version, ModelStatus::champion, now_->load(),
                         "tunecase retrain");
  store.set_model_status("local-linear", original, ModelStatus::champion, now_->load() + kDay,
                         "rollback by ops");
  json d = dashboard();
  std::map<std::string, std::string> kinds;  // version -> kind of its last promotion
  for (const auto& e : d["events"])
    if (e["approach"] == "local-linear") kinds[e["version"]] = e["kind"];
  EXPECT_EQ(kinds[other.version], "promoted");
  EXPECT_EQ(kinds[original], "rollback");
  // The original's first promotion (serve's, at start) stays on the charts beside the rollback
  // to it: a version's row keeps only its last one, and the events were read from the rows.
  std::vector<std::string> original_kinds;
  for (const auto& e : d["events"])
    if (e["version"] == original) original_kinds.push_back(e["kind"]);
  EXPECT_EQ(original_kinds, (std::vector<std::string>{"promoted", "rollback"})) << d["events"];
  for (const auto& m : d["models"]) {
    if (m["version"] == other.version) {
      EXPECT_EQ(m["status"], "rolled_back");
    }
  }
}

TEST_F(DashboardTest, AnUnreadableOperationPlanIsAClearErrorAtStart) {
  project(kSplitPilot);
  GatewayOptions o = options();
  o.operation_plan = dir_ / "missing.html";
  try {
    Gateway g(config_, std::move(o));
    FAIL() << "started without its operation plan";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("tunecase plan"), std::string::npos) << e.what();
  }
}

TEST_F(DashboardTest, ServesItsFilesFromTheBinary) {
  start_at(kSplitPilot);
  Reply chart = get("/assets/chart.js");
  EXPECT_EQ(chart.status, 200);
  EXPECT_EQ(chart.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_GT(chart.body.size(), 100'000u);  // Chart.js, not a placeholder
  EXPECT_NE(chart.body.find("Chart"), std::string::npos);
  EXPECT_EQ(get("/assets/dashboard.css").status, 200);
  EXPECT_EQ(get("/assets/nothing.js").status, 404);
  EXPECT_EQ(get("/memo").status, 404);  // no --plan
  EXPECT_EQ(post("/", "{}").status, 405);
}

TEST(DashboardContext, PutsTheMemosFiguresBesideThePilots) {
  json decision = json::parse(R"({"approaches": [
      {"name": "a", "inputs": {"accuracy": {"value": 0.9, "source": "measured", "simulated": true},
                               "usd_per_query": {"value": 0.002, "source": "estimated"}}},
      {"name": "unused", "inputs": {}}]})");
  json pilot = json::parse(R"({"arms": [
      {"role": "champion", "approach": "a", "basis": "simulated", "accuracy": 0.8,
       "labelled": 40, "usd_per_1k": 2.5},
      {"role": "challenger", "approach": "b", "accuracy": 0.7, "labelled": 3}]})");
  json rows = assumed_vs_measured(decision, pilot);
  ASSERT_EQ(rows.size(), 1u);  // b is not in the memo, the memo's "unused" not in the pilot
  EXPECT_EQ(rows[0]["accuracy"]["memo"]["value"], 0.9);
  EXPECT_EQ(rows[0]["accuracy"]["memo"]["simulated"], true);
  EXPECT_EQ(rows[0]["accuracy"]["pilot"], 0.8);
  EXPECT_DOUBLE_EQ(rows[0]["usd_per_query"]["pilot"].get<double>(), 0.0025);
  EXPECT_EQ(rows[0]["basis"], "simulated");
  EXPECT_TRUE(assumed_vs_measured(nullptr, pilot).empty());
}

// A self-hosted model's memo price is its hosting bill over the month's volume, assumed like the
// bill: $0 a query had shown it as free.
// In shadow mode the challenger runs on the champion's own requests: the traffic is the
// champion's (the arms' sum had read 2,800 requests where 1,400 were sent).
TEST(DashboardContext, AShadowPilotsVolumeIsTheRequestsSentOnce) {
  json decision = json::parse(
      R"({"business": {"queries_per_month": {"value": 60000, "source": "assumed"},
                       "days_per_month": 30}})");
  json arms = json::parse(R"([{"role": "champion", "requests": 1400},
                              {"role": "challenger", "requests": 1400}])");
  const int64_t twenty_days = 20 * kDay;
  json shadow = pilot_volume(decision, {{"mode", "shadow"}, {"arms", arms}}, twenty_days, 0);
  EXPECT_EQ(shadow["pilot_requests"], 1400) << shadow.dump();
  EXPECT_DOUBLE_EQ(shadow["pilot_per_day"].get<double>(), 70.0);
  EXPECT_DOUBLE_EQ(shadow["memo_per_day"].get<double>(), 2000.0);
  json split = pilot_volume(decision, {{"mode", "split"}, {"arms", arms}}, twenty_days, 0);
  EXPECT_EQ(split["pilot_requests"], 2800) << split.dump();
  EXPECT_TRUE(pilot_volume(json::object(), {{"mode", "split"}, {"arms", arms}}, 1, 0).is_null());
}

TEST(DashboardContext, ASelfHostedModelsMemoPriceIsItsHostingOverTheVolume) {
  json decision = json::parse(R"({
      "business": {"queries_per_month": {"value": 600000, "source": "assumed"}},
      "approaches": [{"name": "local", "inputs": {"usd_per_query": {"value": 0.0,
                      "source": "measured"}},
                      "cost": {"hosting_per_month": {"value": 72, "source": "assumed"}}}]})");
  json pilot = json::parse(R"({"arms": [{"role": "challenger", "approach": "local"}]})");
  json rows = assumed_vs_measured(decision, pilot);
  ASSERT_EQ(rows.size(), 1u);
  const json& memo = rows[0]["usd_per_query"]["memo"];
  EXPECT_DOUBLE_EQ(memo["value"].get<double>(), 72.0 / 600000);
  EXPECT_EQ(memo["source"], "assumed");
}

// What a person sees: the page in Chromium shows /v1/pilot's numbers, draws its charts, follows a
// feedback without a reload, logs no error, and fits a phone's width.
TEST_F(DashboardTest, InARealBrowserShowsThePilotAndFollowsFeedback) {
  if (access(tunecase::testing::kChromium, X_OK) != 0)
    GTEST_SKIP() << "no " << tunecase::testing::kChromium << " (scripts/install-deps installs it)";
  start_at(kSplitPilot);
  replay(6, 10);
  gateway_->store().set_meta("monitor.latest", kMonitorRun);
  tunecase::testing::HeadlessChromium browser(dir_ / "chromium");
  browser.call("Runtime.enable");
  browser.call("Log.enable");
  browser.call("Page.enable");
  browser.resize(1400, 1000, false);
  browser.call("Page.navigate", {{"url", fmt::format("http://127.0.0.1:{}/?poll_ms=150", port_)}});
  ASSERT_TRUE(browser.wait_for("window.tunecase && window.tunecase.updates >= 1"));

  json pilot = this->pilot();
  auto shown = [&](const std::string& role) {
    return browser.evaluate(
        fmt::format("(() => {{ const t = document.querySelector('.tile[data-role={}]');"
                    " const a = t.querySelector('[data-field=accuracy]');"
                    " return {{ approach: t.dataset.approach, value: Number(a.dataset.value), "
                    "text: a.textContent,"
                    " labelled: t.querySelector('[data-field=labelled]').textContent }}; }})()",
                    role));
  };
  for (const char* role : {"champion", "challenger"}) {
    const json& arm = *arm_of(pilot, role);
    json tile = shown(role);
    EXPECT_EQ(tile["approach"], arm["approach"]);
    EXPECT_NEAR(tile["value"].get<double>(), arm["accuracy"].get<double>(), 1e-12);
    EXPECT_EQ(tile["text"], fmt::format("{:.1f}%", 100 * arm["accuracy"].get<double>()));
    EXPECT_EQ(tile["labelled"], std::to_string(arm["labelled"].get<int>()));
  }

  // Days to one decimal, rounded down as the verdict counts them (6.6 days had read "7 of 7",
  // 1.98 "2.0 of 2").
  std::string progress = browser.evaluate("document.getElementById('progress').textContent");
  EXPECT_NE(
      progress.find(fmt::format("days: {:.1f} of {:.1f}",
                                std::floor(pilot["plan"]["days_elapsed"].get<double>() * 10) / 10,
                                pilot["plan"]["days_planned"].get<double>())),
      std::string::npos)
      << progress << "\n"
      << pilot["plan"].dump();
  // In each table (per label, per segment), the differences on enough labelled items come
  // first; the others are marked. (The rows of all tables taken as one list had failed whenever
  // a first table ended with marked rows and the next began with unmarked ones.)
  json tables = browser.evaluate(R"((() => [...document.querySelectorAll('#patterns tbody')]
      .map(tb => [...tb.rows].map(tr => tr.textContent.includes('few labelled'))))())");
  ASSERT_FALSE(tables.empty());
  for (const json& marked : tables)
    EXPECT_TRUE(std::is_sorted(marked.begin(), marked.end(), [](const json& a, const json& b) {
      return !a && b;
    })) << tables;

  // The watch panel shows the monitor's findings as it wrote them.
  std::string watch = browser.evaluate("document.getElementById('monitoring').textContent");
  EXPECT_NE(watch.find("prediction_mix_psi"), std::string::npos) << watch;
  EXPECT_NE(watch.find("autopilot"), std::string::npos) << watch;

  json charts = browser.evaluate(R"((() => {
      const out = {};
      for (const id of ['chart-accuracy', 'chart-latency', 'chart-cost']) {
        const c = document.getElementById(id), chart = window.tunecase.charts[id];
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
        out[id] = { series: Number(c.dataset.series), painted, points: chart.data.labels.length,
                    lines: chart.data.datasets.filter(d => !d.tunecaseBand).length };
      }
      return out; })())");
  for (const char* id : {"chart-accuracy", "chart-latency", "chart-cost"}) {
    EXPECT_EQ(charts[id]["series"], 2) << id;  // local-linear and local-logreg
    EXPECT_EQ(charts[id]["lines"], 2) << id;
    EXPECT_EQ(charts[id]["points"], 6) << id;  // six days
    EXPECT_GT(charts[id]["painted"].get<int>(), 2000) << id;
  }

  // The promotions serve made at start (one per approach, the same day) are marked with labels
  // that do not overlap and stay inside the chart.
  json marks = browser.evaluate(R"((() => {
      const chart = window.tunecase.charts['chart-accuracy'];
      return { labels: chart.tunecaseEventLabels || [], left: chart.chartArea.left,
               right: chart.chartArea.right }; })())");
  ASSERT_EQ(marks["labels"].size(), 2u) << marks;
  for (std::size_t i = 0; i < marks["labels"].size(); ++i) {
    const json& a = marks["labels"][i];
    EXPECT_GE(a["left"].get<double>(), marks["left"].get<double>()) << a;
    EXPECT_LE(a["right"].get<double>(), marks["right"].get<double>() + 0.5) << a;
    for (std::size_t j = i + 1; j < marks["labels"].size(); ++j) {
      const json& b = marks["labels"][j];
      const bool apart = a["right"] <= b["left"] || b["right"] <= a["left"] ||
                         a["bottom"] <= b["top"] || b["bottom"] <= a["top"];
      EXPECT_TRUE(apart) << a << " overlaps " << b;
    }
  }

  // A label corrected on a champion item the champion got right: the accuracy shown follows.
  auto right = std::find_if(answered_.begin(), answered_.end(), [](const Answered& a) {
    return a.approach == "local-linear" && a.label == a.gold;
  });
  ASSERT_NE(right, answered_.end());
  const std::string other = right->gold == labels_.front() ? labels_.back() : labels_.front();
  int updates = browser.evaluate("window.tunecase.updates").get<int>();
  ASSERT_EQ(post("/v1/feedback", json{{"id", right->id}, {"label", other}}.dump()).status, 200);
  double after = (*arm_of(this->pilot(), "champion"))["accuracy"].get<double>();
  EXPECT_LT(after, (*arm_of(pilot, "champion"))["accuracy"].get<double>());
  EXPECT_TRUE(browser.wait_for(fmt::format(
      "window.tunecase.updates > {} && Math.abs(Number(document.querySelector("
      "'.tile[data-role=champion] [data-field=accuracy]').dataset.value) - {:.17g}) < 1e-12",
      updates, after)))
      << "the champion's tile still shows " << shown("champion").dump();

  std::filesystem::path artefacts = TUNECASE_ARTIFACTS;
  browser.screenshot(artefacts / "dashboard-wide.png");
  browser.resize(390, 844, true);
  ASSERT_TRUE(
      browser.wait_for("window.tunecase.updates > " +
                       std::to_string(browser.evaluate("window.tunecase.updates").get<int>())));
  EXPECT_LE(browser.evaluate("document.documentElement.scrollWidth - window.innerWidth").get<int>(),
            1)
      << "the page scrolls sideways on a phone";
  browser.screenshot(artefacts / "dashboard-narrow.png");

  // Print (a PM's PDF or slide): the status line goes, the charts stay.
  browser.resize(1000, 1400, false);
  browser.call("Emulation.setEmulatedMedia", {{"media", "print"}});
  EXPECT_EQ(browser.evaluate("getComputedStyle(document.getElementById('status')).display"),
            "none");
  EXPECT_GT(browser
                .evaluate("document.getElementById('chart-accuracy').getBoundingClientRect()"
                          ".height")
                .get<double>(),
            100);
  browser.call("Emulation.setEmulatedMedia", {{"media", ""}});

  EXPECT_EQ(browser.evaluate("window.tunecase.errors.length"), 0)
      << browser.evaluate("window.tunecase.errors").dump();
  for (const auto& e : browser.errors()) ADD_FAILURE() << "browser console: " << e;
}

// Before any request each chart says why it is empty (they had been bare axes), and a footer
// route is fetched with the token like the memo, not linked bare (a 401 with a token set).
TEST_F(DashboardTest, InARealBrowserAnEmptyChartSaysWhy) {
  if (access(tunecase::testing::kChromium, X_OK) != 0)
    GTEST_SKIP() << "no " << tunecase::testing::kChromium << " (scripts/install-deps installs it)";
  start_at(kSplitPilot);
  tunecase::testing::HeadlessChromium browser(dir_ / "chromium");
  browser.call("Page.navigate", {{"url", fmt::format("http://127.0.0.1:{}/?poll_ms=150", port_)}});
  ASSERT_TRUE(browser.wait_for("window.tunecase && window.tunecase.updates >= 1"));
  for (const char* id : {"chart-accuracy", "chart-latency", "chart-cost"})
    EXPECT_EQ(browser.evaluate(fmt::format("window.tunecase.charts['{}'].tunecaseEmpty", id)),
              "no request yet: the chart fills as traffic arrives")
        << id;
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('footer a[data-guarded]').length"), 3);
  // Requests without labels: the accuracy chart says labels are awaited.
  classify({{"text", "the courier is late"}, {"id", "E-1"}});
  const int seen = browser.evaluate("window.tunecase.updates").get<int>();
  ASSERT_TRUE(browser.wait_for(fmt::format("window.tunecase.updates > {}", seen + 1)));
  EXPECT_EQ(browser.evaluate("window.tunecase.charts['chart-accuracy'].tunecaseEmpty"),
            "no labelled request yet: accuracy shows once feedback arrives");
}

// With a token the page asks for it, and shows nothing until it has it.
TEST_F(DashboardTest, InARealBrowserAsksForTheToken) {
  if (access(tunecase::testing::kChromium, X_OK) != 0)
    GTEST_SKIP() << "no " << tunecase::testing::kChromium << " (scripts/install-deps installs it)";
  start_at(kSplitPilot, "page-token-42");
  tunecase::testing::HeadlessChromium browser(dir_ / "chromium");
  browser.call("Page.navigate", {{"url", fmt::format("http://127.0.0.1:{}/?poll_ms=150", port_)}});
  ASSERT_TRUE(browser.wait_for("!document.getElementById('auth').hidden"));
  EXPECT_EQ(browser.evaluate("document.getElementById('main').hidden"), true);
  EXPECT_EQ(browser.evaluate("window.tunecase.updates"), 0);
  browser.evaluate(
      "document.getElementById('auth-token').value = 'wrong';"
      "document.getElementById('auth-form').requestSubmit(); true");
  ASSERT_TRUE(browser.wait_for("document.getElementById('auth-error').textContent.length > 0"));
  browser.evaluate(
      "document.getElementById('auth-token').value = 'page-token-42';"
      "document.getElementById('auth-form').requestSubmit(); true");
  ASSERT_TRUE(browser.wait_for("window.tunecase.updates >= 1"));
  EXPECT_EQ(browser.evaluate("document.getElementById('main').hidden"), false);
  EXPECT_EQ(browser.evaluate("document.body.innerHTML.includes('page-token-42')"), false);
}

}  // namespace
}  // namespace tunecase::serve::testing
