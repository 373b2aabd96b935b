#include "tunecase/finetune/training_file.h"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <sstream>

#include "tunecase/core/error.h"
#include "tunecase/data/subsample.h"
#include "tunecase/runner/budget.h"

namespace tunecase {
namespace {

// Chat formats add a few tokens per message and to prime the reply (as sim-llm counts them).
int64_t line_tokens(const nlohmann::json& messages) {
  int64_t tokens = 3;
  for (const auto& m : messages)
    if (m.contains("content") && m["content"].is_string())
      tokens += estimate_tokens(m["content"].get_ref<const std::string&>()) + 4;
  return tokens;
}

// The label an assistant answer carries: {"label": x} or the bare text.
std::string answer_label(const std::string& content) {
  auto json = nlohmann::json::parse(content, nullptr, false);
  if (json.is_object() && json.contains("label") && json["label"].is_string())
    return json["label"].get<std::string>();
  return content;
}

}  // namespace

std::string training_jsonl(const PromptBuilder& prompts, const Examples& examples,
                           const Redactor& redactor) {
  const PromptSettings& settings = prompts.settings();
  if (settings.strategy == PromptStrategy::kChainOfThought)
    throw UserError(
        "prompt = \"chain_of_thought\" cannot be fine-tuned: the training file would need a "
        "reasoning for every example; fine-tune a zero_shot (or few_shot) approach instead");
  std::set<std::string> known(prompts.labels().begin(), prompts.labels().end());
  std::string out;
  for (const auto& e : examples) {
    if (!known.contains(e.label))
      throw UserError(
          fmt::format("example {} has label \"{}\", which is not in the label set", e.id, e.label));
    PromptText prompt = prompts.render(e.text);
    if (redactor.enabled()) {
      PlaceholderMap map;
      prompt.system = redactor.redact(prompt.system, map);
      prompt.user = redactor.redact(prompt.user, map);
    }
    nlohmann::json messages = nlohmann::json::array();
    if (!prompt.system.empty())
      messages.push_back({{"role", "system"}, {"content", prompt.system}});
    messages.push_back({{"role", "user"}, {"content", prompt.user}});
    std::string answer =
        settings.structured_output ? nlohmann::json{{"label", e.label}}.dump() : e.label;
    messages.push_back({{"role", "assistant"}, {"content", answer}});
    out += nlohmann::json{{"messages", messages}}.dump() + "\n";
  }
  return out;
}

TrainingFileReport validate_training_file(std::string_view name, std::string_view jsonl,
                                          const std::vector<std::string>& labels,
                                          const TrainingLimits& limits, const Examples* rows) {
  TrainingFileReport r;
  r.name = std::string(name);
  r.bytes = jsonl.size();
  std::set<std::string> known(labels.begin(), labels.end()), seen;
  std::size_t bad_lines = 0, over_long = 0, first_over_long = 0;
  std::istringstream in{std::string(jsonl)};
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    ++r.lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      ++r.empty_lines;
      continue;
    }
    if (!seen.insert(line).second) ++r.duplicate_lines;
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("messages") ||
        !json["messages"].is_array() || json["messages"].empty() ||
        json["messages"].back().value("role", "") != "assistant" ||
        !json["messages"].back()["content"].is_string()) {
      if (bad_lines++ == 0)
        r.problems.push_back(
            fmt::format("{}:{}: not a JSON object whose messages end with the assistant's answer",
                        name, number));
      continue;
    }
    int64_t tokens = line_tokens(json["messages"]);
    r.tokens += tokens;
    r.max_example_tokens = std::max(r.max_example_tokens, tokens);
    if (tokens > limits.max_example_tokens && over_long++ == 0) first_over_long = number;
    std::string label = answer_label(json["messages"].back()["content"].get<std::string>());
    ++r.label_counts[label];
    if (!known.contains(label))
      r.problems.push_back(
          fmt::format("{}:{}: the answer \"{}\" is not one of the labels", name, number, label));
  }
  std::size_t examples = r.lines - r.empty_lines - bad_lines;
  if (bad_lines > 1) r.problems.push_back(fmt::format("{} malformed lines in all", bad_lines));
  if (r.empty_lines > 0)
    r.problems.push_back(fmt::format("{} empty lines (the provider refuses them)", r.empty_lines));
  if (r.duplicate_lines > 0)
    r.problems.push_back(fmt::format(
        "{} duplicated lines; de-duplicate the data ([data] keeps one copy)", r.duplicate_lines));
  if (examples < limits.min_examples)
    r.problems.push_back(
        fmt::format("{} examples; the provider needs at least {}", examples, limits.min_examples));
  if (r.max_example_tokens > limits.max_example_tokens) {
    // The data row the line was made from, which is what the user edits.
    std::string row;
    if (rows && first_over_long >= 1 && first_over_long <= rows->size()) {
      const Example& e = (*rows)[first_over_long - 1];
      row = e.line > 0 ? fmt::format(" (data row {}, line {} of the data file)", e.id, e.line)
                       : fmt::format(" (data row {})", e.id);
    }
    r.problems.push_back(fmt::format(
        "{}:{}{}: an example of about {} tokens (estimated), over the {} allowed{}; shorten that "
        "text or the prompt, or set max_text_chars in the approach's table to cut long texts",
        name, first_over_long, row, r.max_example_tokens, limits.max_example_tokens,
        over_long > 1
            ? fmt::format(" ({} such lines; the first is named, the longest measured)", over_long)
            : ""));
  }
  if (r.bytes > limits.max_file_bytes)
    r.problems.push_back(fmt::format("{} bytes, over the {} bytes a file may hold; use --fraction",
                                     r.bytes, limits.max_file_bytes));
  std::size_t largest = 0;
  for (const auto& [label, n] : r.label_counts) largest = std::max(largest, n);
  for (const auto& label : labels) {
    std::size_t n = r.label_counts.contains(label) ? r.label_counts.at(label) : 0;
    if (n == 0)
      r.warnings.push_back(
          fmt::format("label \"{}\" has no example: the model cannot learn it", label));
    else if (static_cast<double>(n) < limits.min_label_share * static_cast<double>(largest))
      r.warnings.push_back(
          fmt::format("label \"{}\" has {} examples, under {:.0f}% of the largest "
                      "label's {}: it may be learnt poorly",
                      label, n, limits.min_label_share * 100, largest));
  }
  return r;
}

nlohmann::json TrainingFileReport::to_json() const {
  return {{"file", name},
          {"lines", lines},
          {"bytes", bytes},
          {"empty_lines", empty_lines},
          {"duplicate_lines", duplicate_lines},
          {"tokens", tokens},
          {"tokens_are", "estimated"},
          {"max_example_tokens", max_example_tokens},
          {"label_counts", label_counts},
          {"problems", problems},
          {"warnings", warnings}};
}

std::string TrainingFileReport::text() const {
  std::string out = fmt::format(
      "{}: {} examples, {} bytes, about {} tokens per epoch (estimated), {} labels, {} empty and "
      "{} duplicated lines\n",
      name, lines - empty_lines, bytes, tokens, label_counts.size(), empty_lines, duplicate_lines);
  for (const auto& p : problems) out += "  problem: " + p + "\n";
  for (const auto& w : warnings) out += "  warning: " + w + "\n";
  return out;
}

Examples stratified_fraction(const Examples& train, double fraction, uint64_t seed) {
  if (fraction >= 1.0) return train;
  auto n = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(train.size())));
  return subsample(train, stratified_order(train, seed), n);
}

}  // namespace tunecase
