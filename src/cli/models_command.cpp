// `tunecase models`: the model registry in the store; promote a version or roll back to the
// previous champion. Every gateway on the store follows within its poll (docs/operate.md).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"
#include "tunecase/core/utc_time.h"
#include "tunecase/llm/example_pool.h"

namespace {

struct ModelsArgs {
  std::string store = "tunecase.db", approach, version, by;
  bool json = false, force = false;
  int64_t now_ms = 0;
};

std::string who(const std::string& by) {
  if (!by.empty()) return by;
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "unknown";
}

void list(const ModelsArgs& a) {
  auto store = open_existing_store(a.store);
  auto models = store->models(a.approach);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : models)
      out.push_back({{"approach", m.approach},
                     {"version", m.version},
                     {"name", m.name},
                     {"status", tunecase::model_status_name(m.status)},
                     {"data_fingerprint", m.data_fingerprint},
                     {"created_at_ms", m.created_at_ms},
                     {"promoted_at_ms", m.promoted_at_ms ? nlohmann::json(*m.promoted_at_ms)
                                                         : nlohmann::json(nullptr)},
                     {"promoted_by", m.promoted_by},
                     {"path", m.path},
                     {"metrics", nlohmann::json::parse(m.metrics_json, nullptr, false)}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (models.empty()) {
    fmt::print(
        "no model is registered{}: `tunecase serve` registers the models it starts with, "
        "`tunecase retrain` its challengers\n",
        a.approach.empty() ? "" : " for approach " + a.approach);
    return;
  }
  fmt::print("{:<20} {:<12} {:<11} {:<16} {:<16} {:<9} {}\n", "approach", "version", "status",
             "created (UTC)", "promoted (UTC)", "accuracy", "promoted by / path");
  for (const auto& m : models) {
    auto metrics = nlohmann::json::parse(m.metrics_json, nullptr, false);
    std::string accuracy = metrics.is_object() && metrics.contains("accuracy")
                               ? fmt::format("{:.1f}%", 100 * metrics["accuracy"].get<double>())
                               : "-";
    fmt::print("{:<20} {:<12} {:<11} {:<16} {:<16} {:<9} {}\n", m.approach, m.version.substr(0, 12),
               tunecase::model_status_name(m.status), tunecase::utc_text(m.created_at_ms, false),
               m.promoted_at_ms ? tunecase::utc_text(*m.promoted_at_ms, false) : "-", accuracy,
               m.promoted_by.empty() ? m.path : m.promoted_by + " / " + m.path);
  }
  fmt::print("(accuracy: measured on the holdout of the last retrain that trained it)\n");
}

// Every registration, promotion, retirement and rollback, oldest first.
void history(const ModelsArgs& a) {
  auto store = open_existing_store(a.store);
  auto events = store->model_events(a.approach);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : events)
      out.push_back({{"approach", e.approach},
                     {"version", e.version},
                     {"event", e.event},
                     {"at_ms", e.at_ms},
                     {"by", e.by}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (events.empty()) {
    fmt::print("the registry has no history{}\n",
               a.approach.empty() ? "" : " for approach " + a.approach);
    return;
  }
  fmt::print("{:<16} {:<20} {:<12} {:<11} {}\n", "when (UTC)", "approach", "version", "event",
             "by");
  for (const auto& e : events)
    fmt::print("{:<16} {:<20} {:<12} {:<11} {}\n", tunecase::utc_text(e.at_ms, false), e.approach,
               e.version.substr(0, 12), e.event, e.by.empty() ? "-" : e.by);
}

// The registered versions of `approach`; an approach the registry does not know is named as such,
// with the ones it knows.
std::vector<tunecase::ModelVersion> versions_of(tunecase::Store& store, const ModelsArgs& a) {
  auto models = store.models(a.approach);
  if (!models.empty()) return models;
  std::vector<std::string> known;
  for (const auto& m : store.models(""))
    if (std::find(known.begin(), known.end(), m.approach) == known.end())
      known.push_back(m.approach);
  if (known.empty())
    throw tunecase::UserError(fmt::format(
        "the registry of {} holds no model; `tunecase serve` registers the models it loads and "
        "`tunecase retrain` the ones it trains",
        shown_store(a.store)));
  std::optional<std::string> near = tunecase::nearest(a.approach, known);
  throw tunecase::UserError(fmt::format(
      "the registry of {} has no approach '{}'{}; its approaches: {}", shown_store(a.store),
      a.approach, near ? fmt::format(" (did you mean '{}'?)", *near) : "",
      tunecase::quoted_list(known, 20)));
}

// The version a user named: a whole version or a unique prefix of one (as listed).
const tunecase::ModelVersion& find_version(const std::vector<tunecase::ModelVersion>& models,
                                           const std::string& approach,
                                           const std::string& version) {
  // An empty prefix is every version's: it had promoted whichever came first.
  if (version.empty())
    throw tunecase::UserError(fmt::format(
        "--version is empty; give a version of approach '{}' (or a unique prefix of one) as "
        "`tunecase models --store ...` lists them",
        approach));
  const tunecase::ModelVersion* found = nullptr;
  for (const auto& m : models) {
    if (m.version.rfind(version, 0) != 0) continue;
    if (found != nullptr)
      throw tunecase::UserError(
          fmt::format("--version {} matches more than one version of '{}'; give more characters",
                      version, approach));
    found = &m;
  }
  if (found == nullptr)
    throw tunecase::UserError(
        fmt::format("approach '{}' has no version {}; `tunecase models --approach {}` lists them",
                    approach, version, approach));
  return *found;
}

void require_loadable(const tunecase::ModelVersion& m, bool force) {
  if (m.path.empty())
    throw tunecase::UserError(fmt::format(
        "version {} of '{}' has no model folder in the registry; a gateway could not load it",
        m.version.substr(0, 12), m.approach));
  // The folder must still hold that version here: a gateway that cannot load it keeps serving
  // the current champion. Gateways on other machines read the same path: --force when the
  // folder lives only there.
  if (force) return;
  std::error_code ec;
  const std::filesystem::path dir = m.path;
  if (!std::filesystem::exists(dir / "approach.json", ec))
    throw tunecase::UserError(fmt::format(
        "version {} of '{}': its model folder {} is not on this machine (no approach.json); a "
        "gateway here could not load it and would keep serving the current champion. Put the "
        "folder back, or give --force when the gateways run where it exists",
        m.version.substr(0, 12), m.approach, m.path));
  if (tunecase::is_example_pool(dir)) return;  // an LLM approach's pool: versioned by its rows
  std::string held = tunecase::model_fingerprint(dir);
  if (held != m.version)
    throw tunecase::UserError(fmt::format(
        "version {} of '{}': its model folder {} now holds another model ({}), written there "
        "after the version was registered; retrain or evaluate into a new folder, or give "
        "--force",
        m.version.substr(0, 12), m.approach, m.path, held.substr(0, 12)));
  // Loaded as a gateway would: a damaged file had been announced as rolled back to while the
  // gateways kept serving the champion.
  try {
    (void)tunecase::load_model(dir);
  } catch (const tunecase::UserError& e) {
    throw tunecase::UserError(fmt::format(
        "version {} of '{}' cannot be loaded, so a gateway would keep serving the current "
        "champion: {}",
        m.version.substr(0, 12), m.approach, e.what()));
  }
}

// A step dated before the approach's latest registry step would make the history say a version
// served before it existed, and the monitor judge the wrong version's days.
int64_t step_time(tunecase::Store& store, const ModelsArgs& a) {
  const int64_t at = store_clock_ms(store, a.now_ms, "the registry's step is dated");
  tunecase::require_registry_clock(store, a.approach, at, a.now_ms != 0 ? "--now-ms" : "the clock");
  return at;
}

void promote(const ModelsArgs& a) {
  auto store = open_existing_store(a.store);
  auto models = versions_of(*store, a);
  const auto& m = find_version(models, a.approach, a.version);
  require_loadable(m, a.force);
  if (m.status == tunecase::ModelStatus::champion) {
    fmt::print("{} {} is already the champion\n", a.approach, m.version.substr(0, 12));
    return;
  }
  store->set_model_status(a.approach, m.version, tunecase::ModelStatus::champion,
                          step_time(*store, a),
                          fmt::format("{} (tunecase models promote)", who(a.by)));
  fmt::print(
      "{} {} is the champion; gateways on this store load it within their poll (--model-poll-ms; "
      "one started with 0 keeps its model until it is restarted)\n",
      a.approach, m.version.substr(0, 12));
}

void rollback(const ModelsArgs& a) {
  auto store = open_existing_store(a.store);
  auto models = versions_of(*store, a);
  const tunecase::ModelVersion* current = tunecase::champion_of(models);
  if (current == nullptr)
    throw tunecase::UserError(
        fmt::format("approach '{}' has no champion in the registry of {}: nothing to roll back",
                    a.approach, shown_store(a.store)));
  const tunecase::ModelVersion* target = nullptr;
  if (!a.version.empty()) {
    target = &find_version(models, a.approach, a.version);
    // Back to a version that served before, never to one that did not: a challenger the rule
    // refused had been put in service this way, marking the one serving `rolled_back` (no longer
    // a rollback target), so that nothing rolled back to it.
    bool served = target->promoted_at_ms.has_value();
    for (const auto& e : store->model_events(a.approach))
      served = served || (e.version == target->version && e.event == "champion");
    if (!served && target != current)
      throw tunecase::UserError(fmt::format(
          "approach '{}': version {} was never the champion (status {}), so there is nothing to "
          "roll back to; `tunecase models promote --approach {} --version {}` puts it in service "
          "on purpose (and a rollback then returns to {})",
          a.approach, target->version.substr(0, 12), tunecase::model_status_name(target->status),
          a.approach, target->version.substr(0, 12), current->version.substr(0, 12)));
  } else {
    // The previous champion: by the history, the last other version to become champion before
    // the current one did (a store's history may be short: then the last promoted other one).
    // A version a rollback took out is not one: a second rollback goes further back instead of
    // undoing the first (--version names it to bring it back on purpose).
    auto candidate = [](const tunecase::ModelVersion& m) {
      return m.status != tunecase::ModelStatus::rolled_back;
    };
    auto events = store->model_events(a.approach);
    std::size_t k = events.size();
    while (k > 0 &&
           !(events[k - 1].version == current->version && events[k - 1].event == "champion"))
      --k;
    for (; k > 0 && target == nullptr; --k) {
      const auto& e = events[k - 1];
      if (e.event != "champion" || e.version == current->version) continue;
      for (const auto& m : models)
        if (m.version == e.version && candidate(m)) target = &m;
    }
    if (target == nullptr)  // a short history: the other version promoted last
      for (const auto& m : models)
        if (&m != current && candidate(m) && m.promoted_at_ms &&
            (target == nullptr || *m.promoted_at_ms > *target->promoted_at_ms))
          target = &m;
  }
  if (target == current)
    throw tunecase::UserError(
        fmt::format("approach '{}': version {} is already the champion; nothing to roll back",
                    a.approach, current->version.substr(0, 12)));
  if (target == nullptr)
    throw tunecase::UserError(fmt::format(
        "approach '{}': no earlier champion to roll back to (versions a rollback took out do "
        "not count); `tunecase models --approach {}` lists the versions (--version picks one)",
        a.approach, a.approach));
  require_loadable(*target, a.force);
  store->set_model_status(a.approach, target->version, tunecase::ModelStatus::champion,
                          step_time(*store, a), fmt::format("rollback by {}", who(a.by)));
  fmt::print(
      "{}: rolled back from {} to {}; gateways on this store load it within their poll "
      "(--model-poll-ms; one started with 0 keeps its model until it is restarted)\n",
      a.approach, current->version.substr(0, 12), target->version.substr(0, 12));
}

void store_and_clock(CLI::App* cmd, ModelsArgs& args) {
  cmd->add_option("--store", args.store, "SQLite file or postgresql:// URL")->capture_default_str();
  cmd->add_option("--now-ms", args.now_ms, "the clock, epoch milliseconds (default: now)")
      ->check(epoch_ms_validator());
}

}  // namespace

void add_models_command(CLI::App& app) {
  auto args = std::make_shared<ModelsArgs>();
  auto* cmd = app.add_subcommand(
      "models",
      "The model registry: list the versions (default), their history, promote one, or roll back");
  store_and_clock(cmd, *args);
  cmd->add_option("--approach", args->approach, "only this approach");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->require_subcommand(0, 1);

  auto* up = cmd->add_subcommand("promote", "Make a version the champion of its approach");
  store_and_clock(up, *args);
  up->add_option("--approach", args->approach, "the approach")->required();
  up->add_option("--version", args->version, "the version (or a unique prefix)")->required();
  up->add_option("--by", args->by, "who promotes (default: $USER)");
  up->add_flag("--force", args->force,
               "promote even when the model folder is not on this machine or holds another "
               "model (gateways elsewhere read it)");
  up->callback([args] { promote(*args); });

  auto* back = cmd->add_subcommand("rollback",
                                   "Make the previous champion (or --version) the champion again");
  store_and_clock(back, *args);
  back->add_option("--approach", args->approach, "the approach")->required();
  back->add_option("--version", args->version, "roll back to this version (default: previous)");
  back->add_option("--by", args->by, "who rolls back (default: $USER)");
  back->add_flag("--force", args->force,
                 "roll back even when the model folder is not on this machine or holds another "
                 "model (gateways elsewhere read it)");
  back->callback([args] { rollback(*args); });

  auto* past = cmd->add_subcommand(
      "history", "Every registration, promotion, retirement and rollback, oldest first");
  store_and_clock(past, *args);
  past->add_option("--approach", args->approach, "only this approach");
  past->add_flag("--json", args->json, "print JSON");
  past->callback([args] { history(*args); });

  cmd->callback([args, cmd] {
    if (cmd->get_subcommands().empty()) list(*args);
  });
}
