#include "tunecase/monitor/canary.h"

#include <thread>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/data/utf8_check.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/monitor/daily.h"

namespace tunecase::monitor {
namespace {

using json = nlohmann::json;

std::string set_fingerprint(const Examples& canary) {
  std::string all;
  for (const Example& e : canary) all += e.text + '\x1f' + e.label + '\x1e';
  return text_hash(all);
}

bool retryable(const HttpResponse& r) {
  return r.status == 0 || r.status == 429 || r.status >= 500;
}

// One canary item through the approach's provider; "" when it failed after every try.
std::string answer(const LlmApproach& approach, HttpClient& http, const std::string& text,
                   const CanaryOptions& o, bool& simulated, std::string& error) {
  for (int attempt = 0; attempt < std::max(1, o.attempts); ++attempt) {
    if (attempt > 0 && o.sleep) o.sleep(std::chrono::milliseconds(1000LL << (attempt - 1)));
    HttpResponse r = http_send_sync(http, approach.request(text));
    if (retryable(r)) {
      error = r.status == 0
                  ? r.transport_error
                  : fmt::format("HTTP {}: {}", r.status, valid_utf8(r.body.substr(0, 200)));
      continue;
    }
    try {
      ChatAnswer a = approach.provider().parse_response(r);
      simulated = simulated || a.simulated;
      return approach.read(a).label;
    } catch (const std::exception& e) {
      error = e.what();
      return "";
    }
  }
  return "";
}

std::optional<json> read_meta(Store& store, const std::string& key) {
  auto text = store.meta(key);
  if (!text) return std::nullopt;
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

}  // namespace

std::vector<CanaryResult> run_canary(const ProjectConfig& config, Store& store,
                                     const Examples& canary, const Examples& train,
                                     const std::vector<std::string>& labels, HttpClient& http,
                                     const CanaryOptions& o) {
  if (canary.empty())
    throw UserError("the canary set is empty; give it a few dozen labelled texts");
  const std::string fingerprint = set_fingerprint(canary);
  std::vector<CanaryResult> out;
  for (const ApproachConfig& approach : config.approaches) {
    if (!approach.is_llm()) continue;
    CanaryResult r;
    r.approach = approach.name;
    r.finding.kind = kProviderDrift;
    r.finding.approach = approach.name;
    r.finding.day = o.now_ms / kDayMs;
    const std::string prefix = "canary." + approach.name;
    auto last = read_meta(store, prefix + ".last");
    if (last && !o.force) {
      double hours = static_cast<double>(o.now_ms - last->value("at_ms", int64_t{0})) / 3.6e6;
      if (hours < o.min_hours) {
        r.note = fmt::format(
            "ran {:.1f} hours ago; the canary runs at most once every {:.0f} "
            "hours (--canary-force to run anyway)",
            hours, o.min_hours);
        r.finding.message = approach.name + ": canary not run (" + r.note + ")";
        out.push_back(std::move(r));
        continue;
      }
    }
    LlmApproach llm(approach, config, train, labels);
    r.model = llm.options().model;
    std::vector<std::string> answers;
    std::string error;
    for (const Example& e : canary) {
      answers.push_back(answer(llm, http, e.text, o, r.simulated, error));
      r.errors += answers.back().empty();
    }
    r.items = static_cast<int64_t>(canary.size());
    std::vector<bool> now_right(canary.size()), before_right(canary.size());
    for (std::size_t i = 0; i < canary.size(); ++i) {
      now_right[i] = answers[i] == canary[i].label;
      r.right += now_right[i];
    }
    json run = {
        {"at_ms", o.now_ms}, {"model", r.model}, {"set", fingerprint}, {"answers", answers}};
    if (r.errors == r.items) {
      r.note = fmt::format(
          "every request to {} failed (last: {}); nothing compared, nothing "
          "stored. Check the endpoint, the model name and the key.",
          llm.provider().endpoint(), error.empty() ? "no answer" : error);
      r.finding.message = approach.name + ": canary failed (" + r.note + ")";
      out.push_back(std::move(r));
      continue;
    }
    r.ran = true;
    store.set_meta(prefix + ".last", json{{"at_ms", o.now_ms}}.dump());
    auto baseline = read_meta(store, prefix + ".baseline");
    bool usable = baseline && baseline->value("set", std::string()) == fingerprint &&
                  (*baseline)["answers"].is_array() &&
                  (*baseline)["answers"].size() == canary.size();
    if (!usable) {
      r.baseline_run = true;
      r.note = baseline ? "the canary set changed: this run is the new baseline"
                        : "first run: this run is the baseline later runs are compared with";
      store.set_meta(prefix + ".baseline", run.dump());
      r.finding.message = approach.name + ": " + r.note;
      out.push_back(std::move(r));
      continue;
    }
    r.baseline_at_ms = baseline->value("at_ms", int64_t{0});
    for (std::size_t i = 0; i < canary.size(); ++i) {
      std::string before = (*baseline)["answers"][i].get<std::string>();
      before_right[i] = before == canary[i].label;
      r.baseline_right += before_right[i];
      r.flips += before != answers[i];
    }
    r.mcnemar = mcnemar_exact(now_right, before_right);
    const double n = static_cast<double>(r.items);
    const double flip_share = r.flips / n;
    const bool dropped = r.right < r.baseline_right && r.mcnemar.p_value < o.alpha;
    const bool flipped = flip_share >= o.flip_alert;
    r.finding.state = dropped || flipped ? RuleState::firing : RuleState::clear;
    r.finding.details = {{"model", r.model},
                         {"items", r.items},
                         {"accuracy", r.right / n},
                         {"baseline_accuracy", r.baseline_right / n},
                         {"baseline_at", iso_date(r.baseline_at_ms / kDayMs)},
                         {"flips", r.flips},
                         {"mcnemar_p", r.mcnemar.p_value}};
    r.finding.message = fmt::format(
        "{} ({}): canary accuracy {} against {} at the baseline of {}; {} of {} answers flipped "
        "({}); McNemar p = {:.3g}{}",
        approach.name, r.model, pct(r.right / n), pct(r.baseline_right / n),
        iso_date(r.baseline_at_ms / kDayMs), r.flips, r.items, pct(flip_share), r.mcnemar.p_value,
        dropped   ? ": a significant drop, the provider's model changed under its name"
        : flipped ? fmt::format(": at least {} of answers flipped", pct(o.flip_alert))
                  : "");
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json canary_json(const std::vector<CanaryResult>& results) {
  json out = json::array();
  for (const CanaryResult& r : results) {
    const double n = static_cast<double>(std::max<int64_t>(1, r.items));
    out.push_back({{"approach", r.approach},
                   {"model", r.model},
                   {"ran", r.ran},
                   {"baseline_run", r.baseline_run},
                   {"note", r.note},
                   {"items", r.items},
                   {"errors", r.errors},
                   {"accuracy", r.ran ? json(r.right / n) : json(nullptr)},
                   {"baseline_accuracy",
                    r.ran && !r.baseline_run ? json(r.baseline_right / n) : json(nullptr)},
                   {"flips", r.flips},
                   {"mcnemar",
                    {{"now_only_right", r.mcnemar.a_only_correct},
                     {"baseline_only_right", r.mcnemar.b_only_correct},
                     {"p_value", r.mcnemar.p_value}}},
                   {"baseline_at_ms", r.baseline_at_ms},
                   {"state", r.finding.state == RuleState::firing  ? "firing"
                             : r.finding.state == RuleState::clear ? "clear"
                                                                   : "not compared"},
                   {"message", r.finding.message},
                   {"basis", r.simulated ? "simulated (tunecase sim-llm)" : "measured"}});
  }
  return out;
}

std::string canary_markdown(const std::vector<CanaryResult>& results) {
  std::string md =
      "# Provider drift: the canary set\n\n"
      "| approach | model | items | accuracy | baseline | flipped | McNemar p | state |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const CanaryResult& r : results) {
    const double n = static_cast<double>(std::max<int64_t>(1, r.items));
    bool compared = r.ran && !r.baseline_run;
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", r.approach, r.model, r.items,
                      r.ran ? pct(r.right / n) + (r.simulated ? " (simulated)" : "") : "-",
                      compared ? pct(r.baseline_right / n) : "-",
                      compared ? std::to_string(r.flips) : "-",
                      compared ? fmt::format("{:.3g}", r.mcnemar.p_value) : "-",
                      r.finding.state == RuleState::firing  ? "**ALERT**"
                      : r.finding.state == RuleState::clear ? "ok"
                                                            : "not compared");
  }
  md += "\n";
  for (const CanaryResult& r : results) md += "- " + r.finding.message + "\n";
  return md;
}

}  // namespace tunecase::monitor
