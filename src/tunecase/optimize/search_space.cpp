#include "tunecase/optimize/search_space.h"

#include <fmt/format.h>

#include <set>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

const std::set<std::string> kStrategies = {"zero_shot", "few_shot", "retrieval_few_shot",
                                           "chain_of_thought"};

[[noreturn]] void fail(const ProjectConfig& config, const std::string& what) {
  throw UserError(fmt::format("{}: [optimize] {}", config.file.string(), what));
}

// A list key of [optimize], or the single value the template itself has when the key is absent.
nlohmann::json values_of(const ProjectConfig& config, const nlohmann::json& table,
                         const std::string& key, const nlohmann::json& template_value) {
  if (!table.contains(key)) return nlohmann::json::array({template_value});
  const auto& v = table[key];
  if (!v.is_array() || v.empty())
    fail(config, fmt::format("{} must be a non-empty list, e.g. {} = [{}]", key, key,
                             template_value.dump()));
  return v;
}

ApproachConfig model_template(const ProjectConfig& config, const nlohmann::json& entry) {
  ApproachConfig a;
  if (entry.is_string()) {
    for (const auto& approach : config.approaches)
      if (approach.name == entry.get<std::string>()) a = approach;
    if (a.name.empty())
      fail(config, fmt::format("models: no [[approach]] named \"{}\"; name one of the file's "
                               "approaches or give an inline table",
                               entry.get<std::string>()));
  } else if (entry.is_object()) {
    a.params = entry;
    a.name = entry.value("name", entry.value("model", std::string("model")));
    a.kind = entry.value("kind", std::string("openai"));
    a.params["name"] = a.name;
    a.params["kind"] = a.kind;
  } else {
    fail(config, "models: each entry is an approach name or an inline table");
  }
  if (a.kind != "openai" && a.kind != "anthropic")
    fail(config, fmt::format("models: \"{}\" is kind \"{}\"; the prompt search needs an "
                             "openai or anthropic approach",
                             a.name, a.kind));
  if (!a.params.contains("model"))
    fail(config, fmt::format("models: \"{}\" has no model = \"...\"", a.name));
  return a;
}

struct Point {
  std::string strategy, selection;
  int shots = 0;
  double temperature = 0;
  bool structured = false, descriptions = true;
};

// Settings a strategy ignores are fixed, so equal prompts become one candidate.
Point canonical(Point p) {
  if (p.strategy == "few_shot" && p.selection == "retrieved") p.strategy = "retrieval_few_shot";
  if (p.strategy == "zero_shot" || (p.strategy == "chain_of_thought" && p.shots == 0)) {
    p.shots = 0;
    p.selection = "";
  } else if (p.strategy == "retrieval_few_shot") {
    p.selection = "retrieved";
  } else if (p.selection == "retrieved") {
    p.selection = "stratified";  // chain_of_thought shows fixed examples
  }
  return p;
}

std::string temperature_text(double t) {
  return fmt::format("t{:g}", t);
}

Candidate make_candidate(const ApproachConfig& base, const Point& p) {
  Candidate c;
  c.template_name = base.name;
  c.name = fmt::format("{}/{}", base.name, p.strategy);
  if (p.shots > 0) c.name += fmt::format("/k{}/{}", p.shots, p.selection);
  c.name += fmt::format("/{}/{}/{}", temperature_text(p.temperature),
                        p.structured ? "json" : "text", p.descriptions ? "desc" : "nodesc");
  c.settings = {{"model", base.params["model"]},
                {"prompt", p.strategy},
                {"shots", p.shots},
                {"temperature", p.temperature},
                {"structured_output", p.structured},
                {"label_descriptions", p.descriptions}};
  if (!p.selection.empty()) c.settings["selection"] = p.selection;
  c.approach = base;
  c.approach.name = c.name;
  c.approach.params["name"] = c.name;
  for (const auto& [key, value] : c.settings.items())
    if (key != "selection" || p.selection != "retrieved") c.approach.params[key] = value;
  if (p.selection.empty() || p.selection == "retrieved") c.approach.params.erase("selection");
  return c;
}

std::optional<double> optional_number(const ProjectConfig& config, const nlohmann::json& table,
                                      const std::string& key) {
  if (!table.contains(key)) return std::nullopt;
  if (!table[key].is_number() || table[key].get<double>() < 0)
    fail(config, fmt::format("{} must be a number >= 0", key));
  return table[key].get<double>();
}

template <class T>
T typed(const ProjectConfig& config, const nlohmann::json& v, const std::string& key) {
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(config, fmt::format("{}: {} has the wrong type", key, v.dump()));
  }
}

std::vector<Candidate> expand(const ProjectConfig& config, const nlohmann::json& table,
                              const ApproachConfig& base) {
  const auto& p = base.params;
  auto strategies = values_of(config, table, "strategies", p.value("prompt", "zero_shot"));
  auto shots = values_of(config, table, "shots", p.value("shots", 8));
  auto selections = values_of(config, table, "selection", p.value("selection", "stratified"));
  auto temperatures = values_of(config, table, "temperatures", p.value("temperature", 0.0));
  auto structured =
      values_of(config, table, "structured_output", p.value("structured_output", false));
  auto descriptions =
      values_of(config, table, "label_descriptions", p.value("label_descriptions", true));
  std::vector<Candidate> out;
  std::set<std::string> seen;
  for (const auto& s : strategies)
    for (const auto& k : shots)
      for (const auto& sel : selections)
        for (const auto& t : temperatures)
          for (const auto& so : structured)
            for (const auto& ld : descriptions) {
              Point point{typed<std::string>(config, s, "strategies"),
                          typed<std::string>(config, sel, "selection"),
                          typed<int>(config, k, "shots"),
                          typed<double>(config, t, "temperatures"),
                          typed<bool>(config, so, "structured_output"),
                          typed<bool>(config, ld, "label_descriptions")};
              if (!kStrategies.count(point.strategy))
                fail(config, fmt::format("strategies: \"{}\" is not known; use zero_shot, "
                                         "few_shot, retrieval_few_shot or chain_of_thought",
                                         point.strategy));
              if (point.selection != "stratified" && point.selection != "random" &&
                  point.selection != "retrieved")
                fail(config, fmt::format("selection: \"{}\" is not known; use stratified, "
                                         "random or retrieved",
                                         point.selection));
              if (point.shots < 0) fail(config, "shots: values must be >= 0");
              bool needs_examples =
                  point.strategy == "few_shot" || point.strategy == "retrieval_few_shot";
              if (needs_examples && point.shots == 0) continue;  // not a few-shot prompt
              Candidate c = make_candidate(base, canonical(point));
              if (seen.insert(c.name).second) out.push_back(std::move(c));
            }
  return out;
}

}  // namespace

OptimizeSettings read_optimize_settings(const ProjectConfig& config) {
  if (!config.raw.contains("optimize") || !config.raw["optimize"].is_object())
    throw UserError(fmt::format(
        "{}: no [optimize] table; add one with at least models = [\"<an [[approach]] name>\"] "
        "(see docs/optimize.md)",
        config.file.string()));
  const auto& table = config.raw["optimize"];
  if (!table.contains("models") || !table["models"].is_array() || table["models"].empty())
    fail(config, "models must list at least one [[approach]] name or inline table");
  OptimizeSettings s;
  for (const auto& entry : table["models"]) {
    auto more = expand(config, table, model_template(config, entry));
    s.candidates.insert(s.candidates.end(), more.begin(), more.end());
  }
  s.max_usd_per_1k = optional_number(config, table, "max_usd_per_1k");
  s.max_p95_ms = optional_number(config, table, "max_p95_ms");
  s.budget_usd = optional_number(config, table, "budget_usd");
  if (auto calls = optional_number(config, table, "max_calls"))
    s.max_calls = static_cast<std::size_t>(*calls);
  if (auto seed = optional_number(config, table, "seed")) s.seed = static_cast<uint64_t>(*seed);
  if (auto start = optional_number(config, table, "start_sample")) {
    if (*start < 1) fail(config, "start_sample must be >= 1");
    s.start_sample = static_cast<std::size_t>(*start);
  }
  return s;
}

std::string approach_toml(const ApproachConfig& approach, const std::string& name) {
  std::string out = "[[approach]]\n";
  out += fmt::format("name = {}\n", nlohmann::json(name).dump());
  for (const auto& [key, value] : approach.params.items()) {
    if (key == "name") continue;
    // JSON scalars, arrays and objects of scalars read the same in TOML except objects, which
    // become inline tables.
    std::string text = value.dump();
    if (value.is_object()) {
      text = "{ ";
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        text += fmt::format("{}{} = {}", first ? "" : ", ", k, v.dump());
        first = false;
      }
      text += " }";
    }
    out += fmt::format("{} = {}\n", key, text);
  }
  return out;
}

}  // namespace tunecase
