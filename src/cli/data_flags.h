#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "tunecase/data/data_config.h"

// The data flags of `eval` and `inspect`: without --config they describe the data; with it,
// those given replace the matching keys of its [data] table, and a note on stderr says which.
struct DataFlags {
  std::string data, train, dev, test, text = "text", label = "label", time, split;
  uint64_t seed = 7;
};

// --data, --train, --dev, --test, --text, --label; with `split_flags` also --time, --split and
// --seed (eval's, which splits; inspect reads [data] as it is).
void add_data_flags(CLI::App* cmd, DataFlags& flags, bool split_flags);

// The data the flags describe, without a config; throws UserError for a missing or mixed
// source.
tunecase::DataConfig data_from_flags(const DataFlags& flags);

// Applies the flags given on the command line (not their defaults) over `data`, read from
// `config_file`; says on stderr which keys they replaced. Paths are taken as given (from the
// current folder), as without a config.
void override_data(tunecase::DataConfig& data, const DataFlags& flags, const CLI::App& cmd,
                   const std::string& config_file);
