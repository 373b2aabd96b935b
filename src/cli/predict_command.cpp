#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/core/error.h"
#include "tunecase/core/trim.h"
#include "tunecase/data/normalize.h"
#include "tunecase/data/utf8_check.h"

namespace {

struct PredictArgs {
  std::string model;
  std::string input;  // a file of one text per line; "" = stdin
};

// The lines that could not be classified: not UTF-8, or UTF-16 (NUL bytes between characters).
struct Unreadable {
  std::vector<std::size_t> lines;
  bool utf16 = false;
};

// Classifies each line; returns the lines that were not valid UTF-8 (answered with an error
// line, so the output still has a line per input line).
Unreadable classify_stream(tunecase::LoadedModel& model, std::istream& in) {
  std::string line;
  std::size_t number = 0;
  Unreadable unreadable;
  std::vector<std::size_t>& invalid = unreadable.lines;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) tunecase::strip_byte_order_mark(line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // UTF-16 (Excel's "Unicode Text", PowerShell's default): its ASCII letters are valid UTF-8
    // with a NUL after each, and a text of NULs had been given a label.
    const bool utf16 = line.find('\0') != std::string::npos ||
                       (number == 1 && tunecase::starts_with_utf16_mark(line));
    // A line that is no text: its error line, and counted for the exit status.
    auto unreadable_line = [&](const std::string& error) {
      invalid.push_back(number);
      nlohmann::json out = {
          {"line", number}, {"text", nullptr}, {"label", nullptr}, {"error", error}};
      std::cout << out.dump() << "\n";
    };
    if (utf16) {
      unreadable.utf16 = true;
      unreadable_line("NUL bytes (UTF-16 text?): no text to classify");
      continue;
    }
    if (auto offset = tunecase::invalid_utf8_offset(line)) {
      unreadable_line(fmt::format("invalid UTF-8 at byte {}: no text to classify", *offset));
      continue;
    }
    if (tunecase::blank(line)) {
      // A line per input, always: a blank one (Unicode's blanks included, as the data reader and
      // serve count them) answers with no label rather than the model's guess for an empty
      // text (serve refuses one with 422).
      nlohmann::json out = {{"line", number},
                            {"text", line},
                            {"label", nullptr},
                            {"error", "blank line: no text to classify"}};
      std::cout << out.dump() << "\n";
      continue;
    }
    tunecase::Prediction p = model.classifier->classify(line);
    nlohmann::json out = {{"line", number}, {"text", line}, {"label", p.label}};
    // The model's probability of its answer, as `serve` returns it (calibrated where eval
    // fitted a temperature: the model's describe.json says).
    // null when the model has none for this text (retrieval with no neighbour sharing a term).
    out["confidence"] = p.confidence ? nlohmann::json(*p.confidence) : nlohmann::json(nullptr);
    std::cout << out.dump() << "\n";
  }
  return unreadable;
}

void run(const PredictArgs& a) {
  bool from_stdin = a.input.empty() || a.input == "-";
  std::ifstream file;
  if (!from_stdin) {
    std::error_code ignored;
    if (std::filesystem::is_directory(a.input, ignored)) {
      throw tunecase::UserError(fmt::format(
          "{}: is a folder; give a file of texts, one per line (or none, to read stdin)", a.input));
    }
    file.open(a.input);
    if (!file) throw tunecase::UserError(fmt::format("{}: cannot open the input file", a.input));
  }
  tunecase::LoadedModel model = tunecase::load_model(a.model);
  if (!model.note.empty()) fmt::print(stderr, "note: {}\n", model.note);
  std::istream& in = from_stdin ? std::cin : file;
  const Unreadable unreadable = classify_stream(model, in);
  const std::vector<std::size_t>& invalid = unreadable.lines;
  if (in.bad()) {
    throw tunecase::UserError(
        fmt::format("{}: reading failed part-way (the lines answered above are those read); "
                    "check the file and run again",
                    from_stdin ? "<stdin>" : a.input));
  }
  if (invalid.empty()) return;
  // Every other line was classified; the exit status says that some were not.
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < invalid.size() && i < 5; ++i)
    lines.push_back(std::to_string(invalid[i]));
  fmt::print(stderr,
             "{}: {} line{} not valid UTF-8 (line{} {}{}), answered with an error; convert "
             "the input to UTF-8 ({})\n",
             from_stdin ? "<stdin>" : a.input, invalid.size(),
             invalid.size() == 1 ? " was" : "s were", invalid.size() == 1 ? "" : "s",
             fmt::join(lines, ", "), invalid.size() > 5 ? ", ..." : "",
             unreadable.utf16 ? "it looks UTF-16 encoded: iconv -f UTF-16 -t UTF-8"
                              : "e.g. iconv -f WINDOWS-1252 -t UTF-8");
  std::cout.flush();
  std::exit(1);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "Classify texts (one per line, stdin or a file) with a saved local model");
  cmd->add_option("--model", args->model, "A model folder written by eval (OUT/models/NAME)")
      ->required();
  cmd->add_option("input", args->input, "Input file (default: stdin)");
  cmd->callback([args] { run(*args); });
}
