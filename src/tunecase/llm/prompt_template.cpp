#include "tunecase/llm/prompt_template.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"

namespace tunecase {
namespace {

const std::string* field(const PromptFields& fields, std::string_view name) {
  if (name == "task") return &fields.task;
  if (name == "labels") return &fields.labels;
  if (name == "examples") return &fields.examples;
  if (name == "text") return &fields.text;
  return nullptr;
}

std::size_t line_of(std::string_view text, std::size_t offset) {
  return 1 + static_cast<std::size_t>(
                 std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

// Throws at the first placeholder that is not known; returns whether {text} appears.
bool check_placeholders(std::string_view text, const std::filesystem::path& origin) {
  PromptFields probe;
  bool has_text = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "{{") == 0 || text.compare(i, 2, "}}") == 0) {
      ++i;
      continue;
    }
    if (text[i] != '{') continue;
    std::size_t close = text.find('}', i);
    std::string_view name =
        close == std::string_view::npos ? text.substr(i) : text.substr(i + 1, close - i - 1);
    if (close == std::string_view::npos || field(probe, name) == nullptr) {
      throw UserError(fmt::format(
          "{}:{}: unknown placeholder '{{{}}}' in the prompt template; use {{task}}, {{labels}}, "
          "{{examples}}, {{text}}, or write {{{{ and }}}} for literal braces",
          origin.string(), line_of(text, i), name.substr(0, 40)));
    }
    has_text = has_text || name == "text";
    i = close;
  }
  return has_text;
}

}  // namespace

PromptTemplate parse_prompt_template(std::string_view text, const std::filesystem::path& origin) {
  PromptTemplate out;
  out.origin = origin;
  std::string* current = &out.user;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
    if (bare == "[system]") {
      current = &out.system;
    } else if (bare == "[user]") {
      current = &out.user;
    } else {
      current->append(bare).push_back('\n');
    }
  }
  auto trim_end = [](std::string& s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  };
  trim_end(out.system);
  trim_end(out.user);
  bool has_text = check_placeholders(text, origin);
  if (!has_text) {
    throw UserError(fmt::format(
        "{}: the prompt template never uses {{text}}, so the text to classify would not be sent; "
        "add {{text}} where it belongs",
        origin.string()));
  }
  if (out.user.empty()) {
    throw UserError(
        fmt::format("{}: the prompt template has no user message; write it after a line [user]",
                    origin.string()));
  }
  return out;
}

PromptTemplate load_prompt_template(const std::filesystem::path& file) {
  refuse_folder_as_file(file, "a prompt template (template_file)");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(fmt::format(
        "{}: cannot read the prompt template (template_file); check the path, which is relative "
        "to the config file",
        file.string()));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_prompt_template(buffer.str(), file);
}

std::string fill_template(std::string_view part, const PromptFields& fields) {
  std::string out;
  out.reserve(part.size() + fields.text.size() + fields.examples.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part.compare(i, 2, "{{") == 0 || part.compare(i, 2, "}}") == 0) {
      out.push_back(part[i++]);
      continue;
    }
    std::size_t close = part[i] == '{' ? part.find('}', i) : std::string_view::npos;
    const std::string* value = close == std::string_view::npos
                                   ? nullptr
                                   : field(fields, part.substr(i + 1, close - i - 1));
    if (value == nullptr) {
      out.push_back(part[i]);
      continue;
    }
    out += *value;
    i = close;
  }
  return out;
}

}  // namespace tunecase
