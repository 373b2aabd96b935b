#include "tunecase/serve/pilot_plan.h"

#include <charconv>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"

namespace tunecase::serve {
namespace {

// Planned labelled queries per arm when neither [pilot] nor a memo plans any: the sample the
// economics' confidence sequence is tuned for by default.
constexpr double kDefaultQueriesPerArm = 1000;

nlohmann::json read_memo_pilot(const std::filesystem::path& file) {
  refuse_folder_as_file(file, "a decision.json (--plan)");
  std::ifstream in(file);
  if (!in)
    throw UserError(
        fmt::format("--plan {}: cannot read the file; give the decision.json that "
                    "`tunecase decide` wrote",
                    file.string()));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw UserError(
        fmt::format("--plan {}: not a JSON object; give decide's decision.json", file.string()));
  const nlohmann::json* pilot = nullptr;
  if (auto r = j.find("recommendation"); r != j.end() && r->is_object())
    if (auto p = r->find("pilot"); p != r->end() && p->is_object()) pilot = &*p;
  if (!pilot || !pilot->contains("rule"))
    throw UserError(fmt::format(
        "--plan {}: the memo recommends no pilot (recommendation.pilot is empty); serve "
        "without --plan and set the verdict rule in [pilot]",
        file.string()));
  return *pilot;
}

void check_approach(const ProjectConfig& config, const std::string& name, const char* role) {
  if (config.find_approach(name)) return;
  throw UserError(
      fmt::format("{}: the pilot's {} '{}' is not an [[approach]] of the config; "
                  "name one of its approaches",
                  config.file.string(), role, name));
}

// The memo's arms must be the served arms: a verdict on other approaches would mislead.
void agree(const std::string& from_config, const std::string& from_memo, const char* role,
           const std::filesystem::path& plan_file) {
  if (from_config.empty() || from_memo.empty() || from_config == from_memo) return;
  throw UserError(fmt::format(
      "[pilot] names {} '{}' but --plan {} planned '{}'; make them agree (or drop --plan)", role,
      from_config, plan_file.string(), from_memo));
}

void apply_memo(PilotPlan& plan, const ProjectConfig& config,
                const std::filesystem::path& plan_file) {
  nlohmann::json memo = read_memo_pilot(plan_file);
  plan.rule = econ::pilot_rule_from_json(memo["rule"]);
  agree(config.pilot.champion, plan.rule.baseline, "champion", plan_file);
  agree(config.pilot.challenger, plan.rule.challenger, "challenger", plan_file);
  if (plan.champion.empty()) plan.champion = plan.rule.baseline;
  if (plan.challenger.empty()) plan.challenger = plan.rule.challenger;
  // The memo's share and days are part of the plan fixed before the pilot: a [pilot] table
  // that says otherwise is refused as conflicting arms are, not silently overridden.
  auto bad = [&](const char* key, const std::string& why) {
    return UserError(
        fmt::format("--plan {}: recommendation.pilot.{} {}; re-run tunecase decide "
                    "(or drop --plan and plan the pilot in [pilot])",
                    plan_file.string(), key, why));
  };
  if (memo.contains("traffic_share")) {
    const nlohmann::json& value = memo["traffic_share"];
    if (!value.is_number()) throw bad("traffic_share", "must be a number, not " + value.dump());
    double share = value.get<double>();
    if (!(share > 0 && share < 1))
      throw bad("traffic_share", fmt::format("must be above 0 and below 1, not {:g}", share));
    if (config.pilot.share_set && std::fabs(config.pilot.share - share) > 1e-9)
      throw UserError(fmt::format(
          "[pilot] sets share = {:g} but --plan {} planned a traffic share of {:g}; make them "
          "agree (or drop share from [pilot] to take the memo's)",
          config.pilot.share, plan_file.string(), share));
    plan.share = share;
  }
  if (memo.contains("days")) {
    const nlohmann::json& value = memo["days"];
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 3650)
      throw bad("days", "must be a whole number of days from 1 to 3650, not " + value.dump());
    int days = value.get<int>();
    if (config.pilot.days_set && config.pilot.days != days)
      throw UserError(fmt::format(
          "[pilot] sets days = {} but --plan {} planned {} days; make them agree (or drop days "
          "from [pilot] to take the memo's)",
          config.pilot.days, plan_file.string(), days));
    plan.days = days;
  }
  plan.rule_source = fmt::format("decision.json ({})", plan_file.string());
}

}  // namespace

econ::PilotRule rule_from_settings(const PilotSettings& pilot, const std::string& champion,
                                   const std::string& challenger) {
  econ::PilotRule rule;
  rule.challenger = challenger;
  rule.baseline = champion;
  // pilot_net = live months x volume x gain x cost per error - extra cost = gain - min_gain.
  rule.queries_per_month = 1;
  rule.live_months = 1;
  rule.cost_per_error_usd = 1;
  rule.extra_cost_usd = pilot.min_gain;
  rule.business_case = false;
  rule.min_labelled_per_arm =
      pilot.queries_per_arm ? double(*pilot.queries_per_arm) : kDefaultQueriesPerArm;
  rule.alpha = pilot.alpha;
  // No offline interval without a memo: offline_error_rate_high stays empty, and the test set
  // is never called unrepresentative.
  return rule;
}

PilotPlan make_pilot_plan(const ProjectConfig& config, const std::filesystem::path& plan_file) {
  if (config.approaches.empty())
    throw UserError(fmt::format("{}: no [[approach]] to serve; add one", config.file.string()));
  PilotPlan plan;
  plan.champion = config.pilot.champion;
  plan.challenger = config.pilot.challenger;
  plan.share = config.pilot.share;
  plan.days = config.pilot.days;
  if (!plan_file.empty()) apply_memo(plan, config, plan_file);
  if (plan.champion.empty()) plan.champion = config.approaches.front().name;
  check_approach(config, plan.champion, "champion");
  if (!plan.challenger.empty()) check_approach(config, plan.challenger, "challenger");
  if (plan.challenger == plan.champion) plan.challenger.clear();
  if (plan_file.empty()) {
    plan.rule = rule_from_settings(config.pilot, plan.champion, plan.challenger);
    plan.rule_source = fmt::format(
        "[pilot] ({})", config.pilot.present ? config.pilot.where : config.file.string());
  }
  plan.mode = plan.challenger.empty()
                  ? ServeMode::production
                  : parse_serve_mode(config.pilot.mode).value_or(ServeMode::split);
  // The memo planned a split: a shadow pilot runs the challenger beside every request instead of
  // a share of them, and pairs the arms (McNemar), so the start and the report say so.
  if (!plan_file.empty() && plan.mode == ServeMode::shadow &&
      plan.rule.mode == econ::PilotMode::split) {
    std::string departs = fmt::format(
        "[pilot] mode = \"shadow\" replaces the split the memo planned ({:.3g}% of requests to "
        "{}): the challenger runs beside every request, off the response path, and the arms are "
        "judged pair by pair; drop mode from [pilot] to run the memo's split",
        100 * plan.share, plan.challenger);
    plan.notes.push_back(departs);
    plan.rule_source += "; " + departs;
  }
  plan.rule.mode =
      plan.mode == ServeMode::shadow ? econ::PilotMode::shadow : econ::PilotMode::split;
  if (plan.mode != ServeMode::shadow) plan.rule.challenger_share = plan.share;
  return plan;
}

nlohmann::json to_json(const PilotPlan& plan) {
  nlohmann::json j = {{"champion", plan.champion},
                      {"challenger", plan.challenger},
                      {"mode", serve_mode_name(plan.mode)},
                      {"share", plan.share},
                      {"days", plan.days},
                      {"rule_source", plan.rule_source}};
  // Production mode judges nothing: its rule names no challenger and would not read back.
  if (!plan.challenger.empty()) j["rule"] = econ::to_json(plan.rule);
  return j;
}

PilotPlan pilot_plan_from_json(const nlohmann::json& j) {
  auto unreadable = [](const std::string& why) {
    return UserError(fmt::format(
        "the pilot plan recorded in the store (meta '{}') is unreadable: {}; give --plan "
        "decision.json or a config with [pilot]",
        kRecordedPlanKey, why));
  };
  if (!j.is_object()) throw unreadable("not a JSON object");
  PilotPlan plan;
  try {
    plan.champion = j.at("champion").get<std::string>();
    plan.challenger = j.at("challenger").get<std::string>();
    std::optional<ServeMode> mode = parse_serve_mode(j.at("mode").get<std::string>());
    if (!mode) throw unreadable("unknown mode " + j.at("mode").dump());
    plan.mode = *mode;
    plan.share = j.at("share").get<double>();
    plan.days = j.at("days").get<int>();
    plan.rule_source = j.at("rule_source").get<std::string>();
    if (!plan.challenger.empty()) plan.rule = econ::pilot_rule_from_json(j.at("rule"));
  } catch (const nlohmann::json::exception& e) {
    throw unreadable(e.what());
  } catch (const UserError& e) {
    throw unreadable(e.what());
  }
  if (plan.champion.empty()) throw unreadable("no champion");
  return plan;
}

std::string plan_summary(const PilotPlan& plan) {
  if (plan.challenger.empty())
    return fmt::format("{}: {}", serve_mode_name(plan.mode), plan.champion);
  return fmt::format("{}: {} vs {}", serve_mode_name(plan.mode), plan.champion, plan.challenger);
}

std::optional<int64_t> stored_replay_clock(Store& store) {
  const std::string stored = store.meta(kReplayClockKey).value_or("");
  int64_t at = 0;
  if (stored.empty() ||
      std::from_chars(stored.data(), stored.data() + stored.size(), at).ec != std::errc() ||
      at <= 0)
    return std::nullopt;
  return at;
}

}  // namespace tunecase::serve
