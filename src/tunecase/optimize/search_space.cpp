#include "tunecase/optimize/search_space.h"

#include <fmt/format.h>

#include <set>

#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

[[noreturn]] void fail(const ProjectConfig& config, const std::string& what) {
  throw UserError(fmt::format("{}: [optimize] {}", config.optimize.where, what));
}

ApproachConfig model_template(const ProjectConfig& config, const OptimizeModel& entry) {
  ApproachConfig a;
  if (entry.inline_) {
    a = *entry.inline_;
  } else if (const ApproachConfig* named = config.find_approach(entry.name)) {
    a = *named;
  } else {
    fail(config, fmt::format("models: no [[approach]] named \"{}\"; name one of the file's "
                             "approaches or give an inline table",
                             entry.name));
  }
  if (!a.is_llm())
    fail(config, fmt::format("models: \"{}\" is kind \"{}\"; the prompt search needs an "
                             "openai or anthropic approach",
                             a.name, a.kind));
  if (a.llm.model.empty())
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

Candidate make_candidate(const ProjectConfig& config, const ApproachConfig& base, const Point& p) {
  Candidate c;
  c.template_name = base.name;
  c.name = fmt::format("{}/{}", base.name, p.strategy);
  if (p.shots > 0) c.name += fmt::format("/k{}/{}", p.shots, p.selection);
  c.name += fmt::format("/{}/{}/{}", temperature_text(p.temperature),
                        p.structured ? "json" : "text", p.descriptions ? "desc" : "nodesc");
  c.settings = {{"model", base.llm.model},
                {"prompt", p.strategy},
                {"shots", p.shots},
                {"temperature", p.temperature},
                {"structured_output", p.structured},
                {"label_descriptions", p.descriptions}};
  if (!p.selection.empty()) c.settings["selection"] = p.selection;
  // The candidate is the template's table with the varied keys, read by the same reader.
  nlohmann::json source = base.source;
  source["name"] = c.name;
  for (const auto& [key, value] : c.settings.items())
    if (key != "selection" || p.selection != "retrieved") source[key] = value;
  if (p.selection.empty() || p.selection == "retrieved") source.erase("selection");
  // A chain-of-thought prompt cannot be fine-tuned: its candidate does not carry the template's
  // finetune table (which the reader refuses beside it).
  if (p.strategy == "chain_of_thought") source.erase("finetune");
  c.approach = approach_from_json(source, config.file);
  c.approach.where = base.where;
  return c;
}

template <class T, class U>
std::vector<T> values_or(const std::optional<std::vector<U>>& list, T template_value) {
  if (!list) return {template_value};
  return std::vector<T>(list->begin(), list->end());
}

std::vector<Candidate> expand(const ProjectConfig& config, const ApproachConfig& base) {
  const OptimizeTableSettings& o = config.optimize;
  const LlmSettings& t = base.llm;
  auto strategies = values_or<std::string>(o.strategies, t.prompt);
  auto shots = values_or<int64_t>(o.shots, int64_t{t.shots.value_or(8)});
  auto selections = values_or<std::string>(o.selection, t.selection);
  auto temperatures = values_or<double>(o.temperatures, t.temperature);
  auto structured = values_or<bool>(o.structured_output, t.structured_output);
  auto descriptions = values_or<bool>(o.label_descriptions, t.label_descriptions);
  // Without [labels] descriptions the choice changes no prompt: one value, the template's, so
  // the grid holds distinct prompts only (desc and nodesc had been two equal candidates).
  if (config.label_descriptions.empty()) descriptions = {t.label_descriptions};
  std::vector<Candidate> out;
  std::set<std::string> seen;
  for (const auto& s : strategies)
    for (int64_t k : shots)
      for (const auto& sel : selections)
        for (double temperature : temperatures)
          for (bool so : structured)
            for (bool ld : descriptions) {
              Point point{s, sel, static_cast<int>(k), temperature, so, ld};
              bool needs_examples =
                  point.strategy == "few_shot" || point.strategy == "retrieval_few_shot";
              if (needs_examples && point.shots == 0) continue;  // not a few-shot prompt
              Candidate c = make_candidate(config, base, canonical(point));
              if (seen.insert(c.name).second) out.push_back(std::move(c));
            }
  return out;
}

}  // namespace

OptimizeSettings read_optimize_settings(const ProjectConfig& config) {
  const OptimizeTableSettings& o = config.optimize;
  if (!o.present)
    throw UserError(fmt::format(
        "{}: no [optimize] table; add one with at least models = [\"<an [[approach]] name>\"] "
        "(see docs/optimize.md)",
        config.file.string()));
  OptimizeSettings s;
  for (const auto& entry : o.models) {
    auto more = expand(config, model_template(config, entry));
    s.candidates.insert(s.candidates.end(), more.begin(), more.end());
  }
  s.max_usd_per_1k = o.max_usd_per_1k;
  s.max_p95_ms = o.max_p95_ms;
  s.budget_usd = o.budget_usd;
  if (o.max_calls) s.max_calls = static_cast<std::size_t>(*o.max_calls);
  s.seed = static_cast<uint64_t>(o.seed);
  s.start_sample = static_cast<std::size_t>(o.start_sample);
  return s;
}

std::string approach_toml(const ApproachConfig& approach, const std::string& name) {
  std::string out = "[[approach]]\n";
  out += fmt::format("name = {}\n", nlohmann::json(name).dump());
  for (const auto& [key, value] : approach.source.items()) {
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
