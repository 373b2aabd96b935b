#include "tunecase/llm/sim_llm_prompt.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "tunecase/core/ascii_case.h"
#include "tunecase/core/trim.h"
#include "tunecase/llm/label_parser.h"

namespace tunecase {
namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// The rest of `line` after a case-insensitive `key` ("Text:"), or nullopt.
std::optional<std::string> after_key(const std::string& line, std::string_view key) {
  std::string_view text = trim(line);
  if (ascii_lower(text.substr(0, key.size())) != ascii_lower(key)) return std::nullopt;
  return trimmed(text.substr(key.size()));
}

struct TextBlock {
  std::string text;
  std::optional<std::string> label;  // nullopt or empty: the block is a query
};

// A label as a prompt writes it: bare, or a JSON string when the label set needs quotes.
std::string unquoted_label(const std::string& written) {
  std::optional<LeadingString> quoted = leading_json_string(written);
  if (quoted && trimmed(written.substr(quoted->end)).empty()) return quoted->value;
  return written;
}

// `Text:` blocks of one message: text runs to the next `Label:` or `Text:` line or the end.
std::vector<TextBlock> text_blocks(const std::string& content) {
  std::vector<TextBlock> blocks;
  bool open = false;
  for (const auto& line : split_lines(content)) {
    if (auto text = after_key(line, "Text:")) {
      blocks.push_back({*text, std::nullopt});
      open = true;
    } else if (auto label = after_key(line, "Label:"); label && open) {
      blocks.back().label = unquoted_label(*label);
      open = false;
    } else if (open) {
      blocks.back().text += "\n" + line;
    }
  }
  for (auto& block : blocks) block.text = trimmed(block.text);
  return blocks;
}

// With `fixed_labels` (the schema's enum) only descriptions are taken from the list.
void read_label_list(const std::string& content, SimPrompt& prompt, bool fixed_labels) {
  auto lines = split_lines(content);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (ascii_lower(trimmed(lines[i])) != "labels:") continue;
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      std::string item = trimmed(lines[j]);
      if (item.empty()) break;
      if (!item.starts_with("- ") && !item.starts_with("* ")) break;
      item = trimmed(item.substr(2));
      std::string description;
      if (auto quoted = leading_json_string(item)) {  // a label set that needed quotes
        std::string rest = trimmed(item.substr(quoted->end));
        if (rest.starts_with(":")) description = trimmed(rest.substr(1));
        item = quoted->value;
      } else if (auto colon = item.find(": "); colon != std::string::npos) {
        description = trimmed(item.substr(colon + 2));
        item = trimmed(item.substr(0, colon));
      }
      if (item.empty()) continue;
      bool known =
          std::find(prompt.labels.begin(), prompt.labels.end(), item) != prompt.labels.end();
      if (!known && fixed_labels) continue;
      if (!known) prompt.labels.push_back(item);
      if (!description.empty()) prompt.descriptions[item] = description;
    }
  }
}

// The schema property holding the label: "label" when it has an enum, else the first with one.
void read_schema(const nlohmann::json& schema, SimPrompt& prompt) {
  if (!schema.is_object()) return;
  prompt.has_schema = true;
  auto properties = schema.value("properties", nlohmann::json::object());
  if (!properties.is_object()) return;
  if (properties.contains("reasoning")) prompt.wants_reasoning = true;
  std::string field;
  if (properties.contains("label") && properties["label"].contains("enum")) {
    field = "label";
  } else {
    for (const auto& [name, property] : properties.items()) {
      if (property.is_object() && property.contains("enum")) {
        field = name;
        break;
      }
    }
  }
  if (field.empty()) return;
  prompt.answer_field = field;
  for (const auto& value : properties[field]["enum"])
    if (value.is_string()) prompt.labels.push_back(value.get<std::string>());
}

// An assistant turn used as a shot: plain label text, or an answer object {"label": ...}.
std::string assistant_label(const std::string& content, const std::string& field) {
  auto json = nlohmann::json::parse(content, nullptr, false);
  if (json.is_object() && json.contains(field) && json[field].is_string())
    return json[field].get<std::string>();
  std::string text = trimmed(content);
  if (auto label = after_key(text, "Label:")) return unquoted_label(*label);
  return unquoted_label(text);
}

std::string pair_text(const std::string& content) {
  for (const auto& block : text_blocks(content))
    if (!block.label || block.label->empty()) return block.text;
  return trimmed(content);
}

}  // namespace

SimPrompt read_prompt(const std::vector<ChatMessage>& messages, const nlohmann::json& schema) {
  SimPrompt prompt;
  read_schema(schema, prompt);
  bool labels_from_schema = !prompt.labels.empty();
  std::ptrdiff_t last_user = -1;
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (messages[i].role == "user") last_user = static_cast<std::ptrdiff_t>(i);

  std::vector<std::string> queries;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    std::string folded = ascii_lower(m.content);
    if (folded.find("think step by step") != std::string::npos ||
        folded.find("reasoning") != std::string::npos)
      prompt.wants_reasoning = true;
    read_label_list(m.content, prompt, labels_from_schema);
    bool is_shot = m.role == "user" && static_cast<std::ptrdiff_t>(i) < last_user &&
                   i + 1 < messages.size() && messages[i + 1].role == "assistant";
    for (const auto& block : text_blocks(m.content)) {
      if (block.label && !block.label->empty()) {
        prompt.examples.push_back({block.text, *block.label});
      } else if (!is_shot && m.role != "assistant") {
        queries.push_back(block.text);
      }
    }
    if (is_shot) {
      prompt.examples.push_back(
          {pair_text(m.content), assistant_label(messages[i + 1].content, prompt.answer_field)});
    }
  }
  if (!queries.empty()) {
    prompt.query = queries.back();
  } else if (last_user >= 0) {
    prompt.query = trimmed(messages[static_cast<std::size_t>(last_user)].content);
  }
  if (prompt.labels.empty()) {  // no list given: the labels the examples use
    for (const auto& e : prompt.examples)
      if (std::find(prompt.labels.begin(), prompt.labels.end(), e.label) == prompt.labels.end())
        prompt.labels.push_back(e.label);
  }
  return prompt;
}

}  // namespace tunecase
