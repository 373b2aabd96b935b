#include "tunecase/llm/prompt.h"

#include <algorithm>

#include <fmt/format.h>
#include <utf8proc.h>

#include "tunecase/core/error.h"
#include "tunecase/search/bm25_index.h"

namespace tunecase {
namespace {

constexpr std::size_t kDefaultShots = 5;

PromptStrategy parse_strategy(const std::string& value, const std::string& approach) {
  if (value == "zero_shot") return PromptStrategy::kZeroShot;
  if (value == "few_shot") return PromptStrategy::kFewShot;
  if (value == "retrieval_few_shot") return PromptStrategy::kRetrievalFewShot;
  if (value == "chain_of_thought") return PromptStrategy::kChainOfThought;
  throw UserError(fmt::format(
      "approach '{}': prompt = \"{}\" is not known; use zero_shot, few_shot, retrieval_few_shot "
      "or chain_of_thought",
      approach, value));
}

bool shows_examples(PromptStrategy s) {
  return s == PromptStrategy::kFewShot || s == PromptStrategy::kRetrievalFewShot;
}

// The bytes of a character at `i` of valid UTF-8 `text` that a model may read as a line break or
// a control, 0 when it is none: the C0 controls and DEL (line feed, carriage return, tab,
// vertical tab, form feed, escape, ...), the C1 controls (U+0080-U+009F, the next line U+0085
// among them), and the line and paragraph separators U+2028 and U+2029.
std::size_t breaker_at(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  const unsigned char c = at(0);
  if (c < 0x20 || c == 0x7f) return 1;
  if (c == 0xc2 && at(1) >= 0x80 && at(1) <= 0x9f) return 2;
  if (c == 0xe2 && at(1) == 0x80 && (at(2) == 0xa8 || at(2) == 0xa9)) return 3;
  return 0;
}

// Texts are written on one line so that the Text:/Label: layout cannot be forged by a ticket
// that itself contains "\nLabel: ...": every breaker_at character becomes a space. (U+2028 had
// passed, and with it a forged "Label:" line.) The text is valid UTF-8.
void append_one_line(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::size_t n = breaker_at(text, i)) {
      out += ' ';
      i += n - 1;
    } else {
      out += text[i];
    }
  }
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_one_line(out, text);
  return out;
}

// A label as the prompt writes it: bare, or as a JSON string with every breaker_at character
// escaped (JSON escapes the C0 ones; U+2028, U+2029 and the C1 controls had been written raw,
// and a model reads the label list broken across lines).
std::string written_label(const std::string& label, bool quoted) {
  if (!quoted) return label;
  const std::string dumped =
      nlohmann::json(label).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size());
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const std::size_t n = breaker_at(dumped, i);  // the C0 ones are escaped already
    if (n == 0) {
      out += dumped[i];
      continue;
    }
    utf8proc_int32_t cp = 0;
    utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(dumped.data() + i),
                     static_cast<utf8proc_ssize_t>(n), &cp);
    out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    i += n - 1;
  }
  return out;
}

std::string example_blocks(const Examples& examples, std::size_t max_chars, bool quoted) {
  std::string out;
  for (const auto& e : examples) {
    if (!out.empty()) out += "\n\n";
    out += fmt::format("Text: {}\nLabel: {}", one_line(cut_text(e.text, max_chars)),
                       written_label(e.label, quoted));
  }
  return out;
}

}  // namespace

std::string to_string(PromptStrategy strategy) {
  switch (strategy) {
    case PromptStrategy::kZeroShot:
      return "zero_shot";
    case PromptStrategy::kFewShot:
      return "few_shot";
    case PromptStrategy::kRetrievalFewShot:
      return "retrieval_few_shot";
    case PromptStrategy::kChainOfThought:
      return "chain_of_thought";
  }
  return "zero_shot";
}

PromptSettings prompt_settings(const ApproachConfig& approach, const ProjectConfig& project) {
  PromptSettings s;
  const LlmSettings& llm = approach.llm;
  s.strategy = parse_strategy(llm.prompt, approach.name);
  int default_shots = shows_examples(s.strategy) ? static_cast<int>(kDefaultShots) : 0;
  s.shots = static_cast<std::size_t>(llm.shots.value_or(default_shots));
  s.selection = parse_example_selection(llm.selection, approach.name);
  s.example_seed = static_cast<uint64_t>(llm.example_seed.value_or(project.data.seed));
  s.label_descriptions = llm.label_descriptions;
  s.structured_output = llm.structured_output;
  if (!llm.template_file.empty()) s.custom = load_prompt_template(llm.template_file);
  s.max_text_chars = static_cast<std::size_t>(llm.max_text_chars.value_or(0));
  if (s.strategy == PromptStrategy::kRetrievalFewShot) s.index_params = llm.index;
  return s;
}

PromptBuilder::PromptBuilder(PromptSettings settings, const ProjectConfig& project,
                             const Examples& train, std::vector<std::string> labels)
    : settings_(std::move(settings)),
      labels_(std::move(labels)),
      descriptions_(project.label_descriptions),
      task_(project.task) {
  if (settings_.shots > 0) {
    fixed_examples_ =
        select_examples(train, settings_.shots, settings_.selection, settings_.example_seed);
  }
  if (settings_.strategy == PromptStrategy::kRetrievalFewShot) {
    index_ = std::make_unique<Bm25Index>(settings_.index_params);
    index_->build(train);
  }
  // The parts no text changes, made once: a gateway renders a prompt for every request.
  quoted_labels_ = labels_need_quotes(labels_);
  label_lines_ = label_lines();
  system_ = fmt::format("{}\nLabels:\n{}\n\n{}", task_line(), label_lines_, answer_instruction());
  if (!index_ && !fixed_examples_.empty())
    fixed_block_ = "Examples:\n" +
                   example_blocks(fixed_examples_, settings_.max_text_chars, quoted_labels_) +
                   "\n\n";
}

bool labels_need_quotes(const std::vector<std::string>& labels) {
  return std::any_of(labels.begin(), labels.end(), [](const std::string& l) {
    if (l.empty()) return false;
    if (l.front() == ' ' || l.back() == ' ' || l.front() == '"') return true;
    if (l.find(": ") != std::string::npos) return true;
    for (std::size_t i = 0; i < l.size(); ++i)
      if (breaker_at(l, i)) return true;
    return false;
  });
}

Examples PromptBuilder::examples_for(std::string_view text) const {
  if (!index_) return fixed_examples_;
  Examples out;
  for (const auto& hit : index_->search(text, settings_.shots)) {
    out.push_back(index_->examples()[hit.index]);
  }
  // A text sharing no word with train still gets k examples: the fixed stratified ones.
  for (const auto& e : fixed_examples_) {
    if (out.size() >= settings_.shots) break;
    bool already =
        std::any_of(out.begin(), out.end(), [&](const Example& o) { return o.text == e.text; });
    if (!already) out.push_back(e);
  }
  return out;
}

std::string PromptBuilder::task_line() const {
  if (!task_.empty()) return one_line(task_);
  return "Classify the text into exactly one of the labels below.";
}

std::string PromptBuilder::label_lines() const {
  std::string out;
  for (const auto& label : labels_) {
    if (!out.empty()) out += '\n';
    auto d = descriptions_.find(label);
    if (settings_.label_descriptions && d != descriptions_.end() && !d->second.empty()) {
      out += fmt::format("- {}: {}", written_label(label, quoted_labels_), one_line(d->second));
    } else {
      out += fmt::format("- {}", written_label(label, quoted_labels_));
    }
  }
  return out;
}

std::string PromptBuilder::answer_instruction() const {
  if (settings_.strategy == PromptStrategy::kChainOfThought) {
    return "Think step by step briefly, then answer as JSON with fields reasoning and label, "
           "for example {\"reasoning\": \"...\", \"label\": \"<one label from the list>\"}.";
  }
  if (settings_.structured_output) {
    return "Answer as JSON: {\"label\": \"<one label from the list>\"}.";
  }
  if (quoted_labels_)
    return "Answer with the label only, exactly as written in the list, in its double quotes.";
  return "Answer with the label only, exactly as written in the list.";
}

std::string cut_text(std::string_view text, std::size_t max_chars) {
  if (max_chars == 0 || text.size() <= max_chars) return std::string(text);
  std::size_t chars = 0, end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) continue;  // inside a character
    if (chars == max_chars) break;
    ++chars;
  }
  if (end == text.size()) return std::string(text);
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\n' || text[end - 1] == '\t')) --end;
  return std::string(text.substr(0, end)) + " […]";
}

PromptText PromptBuilder::render(std::string_view whole) const {
  // Retrieval looks at the whole text; the prompt shows it cut.
  std::string text = cut_text(whole, settings_.max_text_chars);
  if (settings_.custom) {
    // {text} on one line as in the default layout: a template's "Text: {text}\nLabel:" had
    // taken a ticket's own line breaks, and a forged "Label:" line with them.
    PromptFields fields{
        task_line(), label_lines_,
        example_blocks(examples_for(whole), settings_.max_text_chars, quoted_labels_),
        one_line(text)};
    return {fill_template(settings_.custom->system, fields),
            fill_template(settings_.custom->user, fields)};
  }
  PromptText out;
  out.system = system_;
  if (index_) {
    Examples examples = examples_for(whole);
    if (!examples.empty())
      out.user = "Examples:\n" +
                 example_blocks(examples, settings_.max_text_chars, quoted_labels_) + "\n\n";
  }
  constexpr std::string_view kText = "Text: ", kLabel = "\nLabel:";
  out.user.reserve(fixed_block_.size() + out.user.size() + kText.size() + text.size() +
                   kLabel.size());
  out.user += fixed_block_;  // the fixed examples, made once ("" with retrieval or none)
  out.user += kText;
  append_one_line(out.user, text);
  out.user += kLabel;
  return out;
}

nlohmann::json label_schema(const std::vector<std::string>& labels, bool with_reasoning) {
  nlohmann::json label = {{"type", "string"}, {"enum", labels}};
  nlohmann::json schema = {{"type", "object"}, {"additionalProperties", false}};
  schema["properties"] = nlohmann::json::object();
  if (with_reasoning) {
    // Listed first in "required" so that models which follow it reason before answering.
    schema["properties"]["reasoning"] = {{"type", "string"}};
    schema["required"] = {"reasoning", "label"};
  } else {
    schema["required"] = {"label"};
  }
  schema["properties"]["label"] = label;
  return schema;
}

}  // namespace tunecase
