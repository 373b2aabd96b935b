#include "data_flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "commands.h"
#include "tunecase/core/error.h"

namespace {

using tunecase::UserError;

void check_source(const DataFlags& f, bool have_other_source) {
  if (f.data.empty() && f.train.empty() && !have_other_source)
    throw UserError(
        "give --config FILE, or --data FILE (or --train/--test) with --text and --label");
  if (!f.data.empty() && !f.train.empty())
    throw UserError("give --data or --train/--test, not both");
}

// What either way of giving the data must hold once the flags are read. `where` says where the
// other settings came from ("" without a config).
void check_columns(const tunecase::DataConfig& d, const std::string& where) {
  if (d.split == "time" && d.time.empty())
    throw UserError(fmt::format("split = \"time\" needs a time column: give --time COLUMN{}",
                                where.empty() ? "" : " or set [data] time in " + where));
  if (d.text == d.label)
    throw UserError(
        fmt::format("text and label both name the column '{}'{}; --label names the "
                    "column of categories, --text the one with the texts",
                    d.text, where.empty() ? "" : " (with the flags given over " + where + ")"));
  if (!d.time.empty() && (d.time == d.text || d.time == d.label))
    throw UserError(fmt::format(
        "the time column '{}' is the {} column{}; --time names the column of timestamps "
        "(ISO-8601)",
        d.time, d.time == d.text ? "text" : "label",
        where.empty() ? "" : " (with the flags given over " + where + ")"));
}

bool given(const CLI::App& cmd, const char* flag) {
  return cmd.get_option_no_throw(flag) != nullptr && cmd.count(flag) > 0;
}

}  // namespace

void add_data_flags(CLI::App* cmd, DataFlags& f, bool split_flags) {
  cmd->add_option("--data", f.data, "One labelled CSV/JSONL file (to split)");
  cmd->add_option("--train", f.train, "Pre-split train file");
  cmd->add_option("--dev", f.dev, "Pre-split dev file (optional)");
  cmd->add_option("--test", f.test, "Pre-split test file");
  cmd->add_option("--text", f.text, "Text column or field")->capture_default_str();
  cmd->add_option("--label", f.label, "Label column or field")->capture_default_str();
  if (!split_flags) return;
  cmd->add_option("--time", f.time, "Time column (enables --split time)");
  cmd->add_option("--split", f.split, "stratified | time")
      ->check(CLI::IsMember({"stratified", "time"}));
  cmd->add_option("--seed", f.seed, "Split seed")->check(seed_range())->capture_default_str();
}

tunecase::DataConfig data_from_flags(const DataFlags& f) {
  check_source(f, false);
  if (!f.train.empty() && f.test.empty()) throw UserError("--train needs --test");
  tunecase::DataConfig d;
  d.path = f.data;
  d.train = f.train;
  d.dev = f.dev;
  d.test = f.test;
  d.text = f.text;
  d.label = f.label;
  d.time = f.time;
  if (!f.split.empty()) d.split = f.split;
  d.seed = f.seed;
  check_columns(d, "");
  return d;
}

void override_data(tunecase::DataConfig& d, const DataFlags& f, const CLI::App& cmd,
                   const std::string& config_file) {
  check_source(f, true);
  std::vector<std::string> replaced;
  if (given(cmd, "--data")) {
    d.path = f.data;
    d.train.clear();
    d.dev.clear();
    d.test.clear();
    replaced.push_back("--data");
  }
  if (given(cmd, "--train")) {
    if (!given(cmd, "--test")) throw UserError("--train needs --test");
    d.path.clear();
    d.train = f.train;
    d.dev.clear();  // a dev file of the config belongs to its own split
    replaced.push_back("--train");
  }
  auto take = [&](const char* flag, auto& key, const auto& value) {
    if (!given(cmd, flag)) return;
    key = value;
    replaced.push_back(flag);
  };
  take("--dev", d.dev, f.dev);
  take("--test", d.test, f.test);
  if (!d.test.empty() && !d.path.empty())
    throw UserError(fmt::format(
        "--test with [data] path of {}: give --train and --test together, or --data", config_file));
  take("--text", d.text, f.text);
  take("--label", d.label, f.label);
  take("--time", d.time, f.time);
  take("--split", d.split, f.split);
  take("--seed", d.seed, f.seed);
  check_columns(d, config_file);
  if (!replaced.empty())
    fmt::print(stderr, "note: {} given with --config: replacing the matching [data] keys of {}\n",
               fmt::join(replaced, ", "), config_file);
}
