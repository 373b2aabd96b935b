#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/core/error.h"
#include "tunecase/data/normalize.h"

namespace {

struct PredictArgs {
  std::string model;
  std::string input;  // a file of one text per line; "" = stdin
};

void classify_stream(tunecase::LoadedModel& model, std::istream& in, const std::string& origin) {
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!tunecase::is_valid_utf8(line)) {
      throw tunecase::UserError(
          fmt::format("{}:{}: invalid UTF-8; convert the input to UTF-8", origin, number));
    }
    if (line.find_first_not_of(" \t") == std::string::npos) {
      // A line per input, always: a blank one answers with no label rather than the model's
      // guess for an empty text (serve refuses one with 422).
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
    if (p.confidence) out["confidence"] = *p.confidence;
    std::cout << out.dump() << "\n";
  }
}

void run(const PredictArgs& a) {
  tunecase::LoadedModel model = tunecase::load_model(a.model);
  if (a.input.empty() || a.input == "-") {
    classify_stream(model, std::cin, "<stdin>");
    return;
  }
  std::ifstream in(a.input);
  if (!in) throw tunecase::UserError(fmt::format("{}: cannot open the input file", a.input));
  classify_stream(model, in, a.input);
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
