// The input-drift detectors on the synthetic tickets: the "Autopilot" launch in month 8 is a
// known shift; months before it are a stream without one (the false-alarm check).
#include <gtest/gtest.h>

#include "tunecase/data/synthetic.h"
#include "tunecase/monitor/drift.h"
#include "tunecase/monitor/text_drift.h"

namespace tunecase::monitor {
namespace {

struct Months {
  std::vector<std::string> texts;
  std::vector<PredictedLabelCount> labels;
};

// Texts (and, standing in for a model's answers, the labels) of tickets created in the given
// months ("2025-05", ...).
Months months(const std::vector<SyntheticTicket>& tickets, std::vector<std::string> which) {
  Months m;
  std::map<std::string, int64_t> counts;
  for (const auto& t : tickets) {
    for (const auto& prefix : which) {
      if (t.created_at.rfind(prefix, 0) != 0) continue;
      m.texts.push_back(t.text);
      ++counts[t.category];
    }
  }
  for (const auto& [label, n] : counts) m.labels.push_back({"linear", label, n});
  return m;
}

std::vector<SyntheticTicket> tickets(uint64_t seed) {
  SyntheticOptions o;
  o.seed = seed;
  return generate_tickets(o);
}

std::map<std::string, std::string> verdicts(const DriftReport& r) {
  std::map<std::string, std::string> out;
  for (const auto& d : r.document["detectors"]) out[d["detector"]] = d["verdict"];
  return out;
}

int firing(const DriftReport& r) {
  int n = 0;
  for (const auto& f : r.findings) n += f.state == RuleState::firing;
  return n;
}

DriftReport run(const Months& ref, const Months& cur, const std::vector<std::string>& training) {
  DriftInputs in;
  in.windows = "test";
  in.training_texts = training;
  in.reference_texts = ref.texts;
  in.current_texts = cur.texts;
  in.reference_labels = ref.labels;
  in.current_labels = cur.labels;
  return detect_drift(in, MonitorSettings{});
}

TEST(TextDrift, TheProductLaunchIsSeenByEveryDetector) {
  auto all = tickets(42);
  Months training = months(all, {"2025-01", "2025-02", "2025-03"});
  auto r = run(months(all, {"2025-05", "2025-06"}), months(all, {"2025-09"}), training.texts);
  std::cout << r.document.dump(2) << "\n";
  auto v = verdicts(r);
  EXPECT_EQ(v["domain_classifier"], "shift");
  EXPECT_NE(v["prediction_mix"], "stable");
  EXPECT_NE(v["oov_share"], "stable");
  EXPECT_EQ(v["emerging_terms"], "shift");
  ASSERT_FALSE(r.document["emerging_terms"].empty());
  bool autopilot = false;
  for (const auto& t : r.document["emerging_terms"])
    autopilot |= t["term"].get<std::string>().find("autopilot") != std::string::npos;
  EXPECT_TRUE(autopilot) << r.document["emerging_terms"].dump();
  EXPECT_GE(firing(r), 2);
}

// Five independent streams without a shift: no detector may fire on any of them.
TEST(TextDrift, AStreamWithoutAShiftRaisesNoAlarm) {
  int alarms = 0;
  double max_auc = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto all = tickets(seed);
    Months training = months(all, {"2025-01", "2025-02"});
    auto r = run(months(all, {"2025-03", "2025-04"}), months(all, {"2025-05"}), training.texts);
    alarms += firing(r);
    for (const auto& d : r.document["detectors"])
      if (d["detector"] == "domain_classifier") max_auc = std::max(max_auc, d["auc"].get<double>());
    if (firing(r) > 0) std::cout << r.document.dump(2) << "\n";
  }
  std::cout << "false alarms over 5 unchanged streams: " << alarms << ", max AUC " << max_auc
            << "\n";
  EXPECT_EQ(alarms, 0);
  EXPECT_LT(max_auc, 0.62);
}

// A drift finding carries its detector's figures, tagged measured, for a webhook's reader (it
// had carried the verdict alone, the figures only inside the message's words).
TEST(TextDrift, AFindingCarriesItsFiguresTaggedMeasured) {
  auto all = tickets(42);
  Months training = months(all, {"2025-01", "2025-02", "2025-03"});
  auto r = run(months(all, {"2025-05", "2025-06"}), months(all, {"2025-09"}), training.texts);
  int with_figures = 0;
  for (const auto& f : r.findings) {
    ASSERT_TRUE(f.details.contains("figures")) << f.kind << " " << f.details.dump();
    EXPECT_EQ(f.details["basis"], "measured") << f.kind;
    ++with_figures;
    if (f.kind == kDriftDomain) {
      EXPECT_TRUE(f.details["figures"]["auc"].is_number());
    }
    if (f.kind == kDriftOov) {
      EXPECT_TRUE(f.details["figures"]["current_share"].is_number());
    }
    if (f.kind == kDriftPredictionMix) {
      EXPECT_TRUE(f.details["figures"]["psi"].is_number());
    }
    if (f.kind == kDriftEmerging) {
      EXPECT_FALSE(f.details["figures"]["terms"].empty());
    }
  }
  EXPECT_GE(with_figures, 4);
}

// One label's share more than doubling by over 10 points is a shift, whatever the PSI: a
// category going from 9.5% to 21% of the answers had read "stable" beside p = 2e-20.
TEST(TextDrift, OneLabelDoublingIsAShiftWhateverThePsi) {
  Months ref, cur;
  const std::vector<std::string> labels = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  for (const auto& l : labels) {
    ref.labels.push_back({"linear", l, l == "a" ? 950 : 1005});
    cur.labels.push_back({"linear", l, l == "a" ? 2100 : 877});
  }
  auto r = run(ref, cur, {});
  auto v = verdicts(r);
  EXPECT_EQ(v["prediction_mix"], "shift") << r.document.dump();
  bool fired = false;
  for (const auto& f : r.findings)
    if (f.kind == kDriftPredictionMix) fired = f.state == RuleState::firing;
  EXPECT_TRUE(fired);
  EXPECT_NE(r.document.dump().find("'a' went from 9.5% to 21.0% of the answers (2.2x)"),
            std::string::npos)
      << r.document.dump();
  // The same mix unmoved stays stable.
  EXPECT_EQ(verdicts(run(ref, ref, {}))["prediction_mix"], "stable");
}

TEST(TextDrift, TooFewTextsAreSaidSoNotJudged) {
  Months few{{"a b c", "d e f"}, {{"linear", "x", 2}}};
  auto r = run(few, few, {});
  for (const auto& [name, verdict] : verdicts(r)) EXPECT_EQ(verdict, "too_few") << name;
  EXPECT_EQ(firing(r), 0);
  // No figure for a comparison not made (an AUC of 0 and a PSI of 0.000 had stood for them).
  for (const auto& d : r.document["detectors"]) {
    for (const char* key : {"auc", "z", "psi", "p_value", "rise", "relative_change"})
      if (d.contains(key)) {
        EXPECT_TRUE(d[key].is_null()) << d.dump();
      }
    EXPECT_EQ(d["summary"].get<std::string>().find("PSI"), std::string::npos) << d.dump();
  }
}

TEST(TextDrift, NoKeptTextsIsUnavailableWithWhatToDo) {
  auto r = run(Months{}, Months{}, {});
  auto v = verdicts(r);
  EXPECT_EQ(v["domain_classifier"], "unavailable");
  EXPECT_NE(r.document.dump().find("set [monitor] keep_texts = true"), std::string::npos);
  // With keep_texts already on, the windows are empty, not the setting missing.
  DriftInputs in;
  in.windows = "reference 2026-01-01..2026-01-28, current 2026-01-29..2026-02-04";
  MonitorSettings kept;
  kept.keep_texts = true;
  std::string on = detect_drift(in, kept).document.dump();
  EXPECT_EQ(on.find("set [monitor] keep_texts"), std::string::npos) << on;
  EXPECT_NE(on.find("no request texts in the drift windows (reference 2026-01-01"),
            std::string::npos)
      << on;
}

TEST(EmergingTerms, ExamplesAreCutAtACharacterBoundary) {
  std::vector<std::string> ref(100, "hello there");
  std::vector<std::string> cur(100, "hello there");
  for (int i = 0; i < 40; ++i) cur.push_back("zébulon " + std::string(150, 'x') + "é€€€€€€");
  auto terms = emerging_terms(ref, cur, 5);
  ASSERT_FALSE(terms.empty());
  EXPECT_NO_THROW(nlohmann::json(terms[0].examples).dump());
}

// Unchanged traffic: a phrase in 10 of 1,400 current texts and 1 of 4,800 reference ones is
// chance (73 in 40,000 overall); the z-test alone said 5.4 and raised an alarm. A new word in 33
// current texts and none before is a shift.
TEST(EmergingTerms, AFewOccurrencesByChanceAreNotATermThatEmerged) {
  std::vector<std::string> ref(4800, "my order is late");
  std::vector<std::string> cur(1400, "my order is late");
  ref[0] = "clicking export does nothing";
  for (int i = 0; i < 10; ++i) cur[i] = "clicking export does nothing";
  EXPECT_TRUE(emerging_terms(ref, cur, 5).empty());
  for (int i = 10; i < 43; ++i) cur[i] = "autopilot moved my meeting";
  auto terms = emerging_terms(ref, cur, 5);
  ASSERT_FALSE(terms.empty());
  EXPECT_EQ(terms[0].current, 33);
}

// Japanese writes no spaces: every clause had been one "word", so a new product inside a third
// of the tickets raised no term and the vocabulary did not move. Its Katakana name is the term.
TEST(EmergingTerms, ANewProductIsSeenInTextWithoutSpaces) {
  const std::vector<std::string> phrases = {"請求書が二重に届きました。",
                                            "ログインできません、助けてください。",
                                            "返金をお願いします。", "パスワードを忘れました。"};
  std::vector<std::string> ref, cur;
  for (int i = 0; i < 800; ++i) ref.push_back(phrases[i % 4]);
  for (int i = 0; i < 400; ++i)
    cur.push_back(i % 3 == 0 ? "新しいスマートロックの" + phrases[i % 4] : phrases[i % 4]);
  auto terms = emerging_terms(ref, cur, 5);
  ASSERT_FALSE(terms.empty());
  bool named = false;
  for (const auto& t : terms) named |= t.term == "スマートロック";
  EXPECT_TRUE(named) << terms[0].term;
  OovResult oov = oov_shift({}, ref, cur);
  EXPECT_GT(oov.current_share, oov.baseline_share + 0.05);
}

TEST(LengthShift, MeasuresTheRelativeChange) {
  auto r = length_shift({"a b", "a b", "a b c d"}, {"a b c d", "a b c d", "a b c d e f g h"});
  EXPECT_NEAR(r.relative_change, 1.0, 1e-9);
}

}  // namespace
}  // namespace tunecase::monitor
