#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tunecase {

// The values a prompt template can refer to by name.
struct PromptFields {
  std::string task;      // {task}: the task line
  std::string labels;    // {labels}: one "- label" or "- label: description" line per label
  std::string examples;  // {examples}: "Text: ...\nLabel: ..." blocks separated by blank lines
  std::string text;      // {text}: the text to classify
};

// A user-written prompt: an optional system message and a user message. In the file, a line
// "[system]" starts the system message and a line "[user]" the user message; a file without
// these markers is the user message alone. "{{" and "}}" write literal braces.
struct PromptTemplate {
  std::string system;
  std::string user;
  std::filesystem::path origin;  // the file it came from, for error messages
};

// Reads and checks a template: every placeholder must be one of {task}, {labels}, {examples},
// {text}, and {text} must appear (else the item would not be in the prompt). Throws UserError
// naming the file and line.
PromptTemplate load_prompt_template(const std::filesystem::path& file);
PromptTemplate parse_prompt_template(std::string_view text, const std::filesystem::path& origin);

// Substitutes the placeholders of an already checked template part.
std::string fill_template(std::string_view part, const PromptFields& fields);

}  // namespace tunecase
