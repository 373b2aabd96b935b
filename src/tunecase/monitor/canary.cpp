#include "tunecase/monitor/canary.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/number_format.h"
#include "tunecase/data/utf8_check.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/llm/prices.h"
#include "tunecase/monitor/daily.h"
#include "tunecase/runner/answer.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/llm_runner.h"
#include "tunecase/runner/retry_policy.h"

namespace tunecase::monitor {
namespace {

using json = nlohmann::json;

std::string set_fingerprint(const Examples& canary) {
  std::string all;
  for (const Example& e : canary) all += e.text + '\x1f' + e.label + '\x1e';
  return text_hash(all);
}

// As every command that calls an API retries: 429, 408, 5xx, time-outs and dropped connections.
bool retryable(const HttpResponse& r) {
  return classify_attempt(r) == AttemptOutcome::kRetryable;
}

// The longest wait a canary takes when the provider asks for one (Retry-After): it runs inside
// `tunecase monitor`, which a longer wait would hold up; it asks again at its next try.
constexpr std::chrono::milliseconds kMaxCanaryWait{60'000};

// What the canary's calls cost: measured from the tokens the API reported, plus the worst case
// of each call billed at a cost nobody saw (an answer without usage, a 2xx body cut off, an
// attempt that timed out), as every command that calls an API counts them: never $0.
struct CanarySpend {
  Usage used;
  double worst_usd = 0;
  int64_t without_usage = 0, cut_off = 0, timed_out = 0;
};

// One canary item through the approach's provider; "" when it failed after every try.
std::string answer(const LlmApproach& approach, HttpClient& http, const std::string& text,
                   const CanaryOptions& o, const std::optional<Price>& price, bool& simulated,
                   CanarySpend& spend, std::string& error) {
  std::chrono::milliseconds asked{0};  // the wait the last failed attempt's provider asked for
  for (int attempt = 0; attempt < std::max(1, o.attempts); ++attempt) {
    // The back-off, or the provider's Retry-After when longer (it had been ignored, and a rate
    // limit answered every retry of the canary with another 429).
    if (attempt > 0 && o.sleep)
      o.sleep(std::max(std::chrono::milliseconds(1000LL << (attempt - 1)),
                       std::min(asked, kMaxCanaryWait)));
    HttpRequest request = approach.request(text);
    // The approach's timeout_ms, as every command that calls it applies it (a hung provider had
    // held each attempt for the client's 60 s default).
    request.timeout = approach.request_timeout(request.timeout);
    const std::size_t request_bytes = request.body.size();
    const double worst =
        price ? worst_case_usd(*price, request.body, approach.options().max_tokens) : 0.0;
    HttpResponse r = http_send_sync(http, std::move(request));
    asked = retry_after(r).value_or(std::chrono::milliseconds(0));
    if (retryable(r)) {
      error = r.status == 0
                  ? r.transport_error
                  : fmt::format("HTTP {}: {}", r.status, valid_utf8(r.body.substr(0, 200)));
      const bool cut_after_2xx = r.status_before_failure >= 200 && r.status_before_failure < 300;
      if (r.timed_out || cut_after_2xx) {
        ++(cut_after_2xx ? spend.cut_off : spend.timed_out);
        spend.worst_usd += worst;
      }
      continue;
    }
    try {
      ChatAnswer a = approach.provider().parse_response(r);
      simulated = simulated || a.simulated;
      const Usage& u = a.usage;
      if (usage_known(u, approach.options().max_tokens, request_bytes, !a.text.empty())) {
        spend.used.input += u.input;
        spend.used.output += u.output;
        spend.used.cached_input += u.cached_input;
        spend.used.cache_write += u.cache_write;
        spend.used.cache_write_1h += u.cache_write_1h;
      } else {
        ++spend.without_usage;
        spend.worst_usd += worst;
      }
      return approach.read(a).label;
    } catch (const std::exception& e) {
      if (r.status >= 200 && r.status < 300) {  // answered, likely billed, not readable
        ++spend.cut_off;
        spend.worst_usd += worst;
      }
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

// Why the canary does not run for `approach` now (it ran too recently), or nullopt.
std::optional<std::string> skip_note(Store& store, const ApproachConfig& approach,
                                     const CanaryOptions& o) {
  auto last = read_meta(store, "canary." + approach.name + ".last");
  if (!last || o.force) return std::nullopt;
  double hours = static_cast<double>(o.now_ms - last->value("at_ms", int64_t{0})) / 3.6e6;
  if (hours >= o.min_hours) return std::nullopt;
  return fmt::format(
      "ran {:.1f} hours ago; the canary runs at most once every {:.0f} hours (--canary-force to "
      "run anyway)",
      hours, o.min_hours);
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
  // What would be sent, estimated and consented to before the first request.
  RunEstimate whole;
  std::vector<std::string> unpriced;
  for (const ApproachConfig& approach : config.approaches) {
    if (!approach.is_llm() || skip_note(store, approach, o)) continue;
    LlmApproach llm(approach, config, train, labels);
    Usage u;
    for (const Example& e : canary) u.input += estimate_tokens(llm.request(e.text).body);
    u.output = static_cast<int64_t>(canary.size()) * llm.options().max_tokens;
    whole.tokens_in += u.input;
    whole.tokens_out += u.output;
    whole.items += canary.size();
    whole.to_send += canary.size();
    if (auto price = price_for(approach, PriceCatalogue::for_approach(approach)))
      whole.usd = whole.usd.value_or(0) + cost_usd(*price, u);
    else
      unpriced.push_back(approach.name);
  }
  if (!unpriced.empty()) whole.usd.reset();
  std::ostream& log = o.log ? *o.log : std::cerr;
  if (whole.to_send > 0) {
    log << describe_estimate(whole, "monitor --canary") << "\n";
    if (o.max_cost_usd) {
      if (!whole.usd)
        throw SpendNotConfirmed(fmt::format(
            "monitor --canary: {} has no price, so --max-cost {} cannot be kept; give it "
            "a price or run without --max-cost (and confirm)",
            fmt::join(unpriced, ", "), usd_amount(*o.max_cost_usd)));
      if (*whole.usd > *o.max_cost_usd)
        throw SpendNotConfirmed(fmt::format(
            "monitor --canary: the canary may cost up to ${:.4f} (estimated, output at "
            "max_tokens), over --max-cost ${:.4f}; nothing was sent. Raise the cap or use a "
            "smaller canary file",
            *whole.usd, *o.max_cost_usd));
    } else {
      confirm_spend(whole, "monitor --canary", kConfirmAboveUsd, o.assume_yes, o.confirm, log);
    }
  }
  for (const ApproachConfig& approach : config.approaches) {
    if (!approach.is_llm()) continue;
    CanaryResult r;
    r.approach = approach.name;
    r.finding.kind = kProviderDrift;
    r.finding.approach = approach.name;
    r.finding.day = o.now_ms / kDayMs;
    const std::string prefix = "canary." + approach.name;
    if (auto note = skip_note(store, approach, o)) {
      r.note = *note;
      r.finding.message = approach.name + ": canary not run (" + r.note + ")";
      out.push_back(std::move(r));
      continue;
    }
    LlmApproach llm(approach, config, train, labels);
    r.model = llm.options().model;
    std::vector<std::string> answers;
    std::string error;
    CanarySpend spend;
    const std::optional<Price> price = price_for(approach, PriceCatalogue::for_approach(approach));
    // An endpoint that fails the first items one after another, each after its retries, fails
    // the rest too: they are not sent (each had waited its 7 s of back-off, minutes for a set).
    constexpr int64_t kFailedInARow = 5;
    for (const Example& e : canary) {
      if (r.errors >= kFailedInARow && static_cast<int64_t>(answers.size()) == r.errors) {
        answers.emplace_back();
        ++r.errors;
        continue;
      }
      answers.push_back(answer(llm, http, e.text, o, price, r.simulated, spend, error));
      r.errors += answers.back().empty();
    }
    r.tokens_in = spend.used.input;
    r.tokens_out = spend.used.output;
    if (price) r.spent_usd = cost_usd(*price, spend.used) + spend.worst_usd;
    r.calls_at_worst_case = spend.without_usage + spend.cut_off + spend.timed_out;
    std::vector<std::string> worst;
    if (spend.without_usage > 0)
      worst.push_back(fmt::format("{} answer{} without token usage", spend.without_usage,
                                  spend.without_usage == 1 ? "" : "s"));
    if (spend.cut_off > 0)
      worst.push_back(fmt::format("{} answer{} cut off or unreadable after HTTP 2xx", spend.cut_off,
                                  spend.cut_off == 1 ? "" : "s"));
    if (spend.timed_out > 0)
      worst.push_back(
          fmt::format("{} timed-out attempt{}", spend.timed_out, spend.timed_out == 1 ? "" : "s"));
    r.spent_basis = std::string(r.simulated ? "simulated (tunecase sim-llm)" : "measured") +
                    (worst.empty() ? ""
                                   : fmt::format(", plus the worst case of {} (billed, cost not "
                                                 "reported)",
                                                 fmt::join(worst, " and ")));
    r.items = static_cast<int64_t>(canary.size());
    std::vector<bool> now_right(canary.size()), before_right(canary.size());
    for (std::size_t i = 0; i < canary.size(); ++i) {
      now_right[i] = answers[i] == canary[i].label;
      r.right += now_right[i];
    }
    json run = {
        {"at_ms", o.now_ms}, {"model", r.model}, {"set", fingerprint}, {"answers", answers}};
    if (r.errors == r.items) {
      const int64_t sent = std::min<int64_t>(r.items, kFailedInARow);
      r.note = fmt::format(
          "every request to {} failed{} (last: {}); nothing compared, nothing "
          "stored. Check the endpoint, the model name and the key.",
          llm.provider().endpoint(),
          sent < r.items ? fmt::format(": the first {} in a row, so the other {} were not sent",
                                       sent, r.items - sent)
                         : "",
          error.empty() ? "no answer" : error);
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
    out.push_back(
        {{"approach", r.approach},
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
         {"tokens_in", r.tokens_in},
         {"tokens_out", r.tokens_out},
         {"spent_usd", r.spent_usd ? json(*r.spent_usd) : json(nullptr)},
         {"basis", r.spent_basis.empty()
                       ? std::string(r.simulated ? "simulated (tunecase sim-llm)" : "measured")
                       : r.spent_basis}});
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
  double spent = 0;
  bool any = false, unknown = false;
  for (const CanaryResult& r : results) {
    if (!r.ran && r.errors == 0) continue;
    any = true;
    if (r.spent_usd)
      spent += *r.spent_usd;
    else
      unknown = true;
  }
  std::vector<std::string> worst;
  for (const CanaryResult& r : results)
    if (r.calls_at_worst_case > 0) worst.push_back(r.approach + ": " + r.spent_basis);
  if (any)
    md += fmt::format("\nSpent: {} ({}, from the tokens the API reported{}).\n",
                      unknown ? "unknown (a model without a price)" : fmt::format("${:.4f}", spent),
                      std::any_of(results.begin(), results.end(),
                                  [](const CanaryResult& r) { return r.simulated; })
                          ? "simulated"
                          : "measured",
                      worst.empty() ? "" : fmt::format("; {}", fmt::join(worst, "; ")));
  return md;
}

}  // namespace tunecase::monitor
