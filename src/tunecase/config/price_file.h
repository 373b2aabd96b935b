#pragma once

#include <map>
#include <string>
#include <string_view>

// The price catalogue's file format (data/prices.toml, editable by the user), read into typed
// rates here, where the project's TOML is read; llm/prices.h matches models against them.
//   [models."gpt-4o-mini"]
//   input = 0.15, cached_input = 0.075, output = 0.60, date = "2025-08", source = "https://..."
// cached_input defaults to input when absent, cache_write and cache_write_1h to 1.25x and 2x
// input; date and source are required. An optional
// [finetune."<base model>"] section adds `training` (USD per 1M trained tokens) to the same keys.
namespace tunecase {

// List prices in USD per one million tokens, with when and where they were read. Prompt-cache
// writes (Anthropic's cache_creation_input_tokens) cost `cache_write` (5 minutes; default 1.25x
// input) and `cache_write_1h` (an hour; default 2x input), as Anthropic lists them.
struct Price {
  double input_per_mtok = 0, cached_input_per_mtok = 0, output_per_mtok = 0;
  std::string date, source;
  double cache_write_per_mtok = 0, cache_write_1h_per_mtok = 0;  // set by the readers
};

// The multiples of the input rate that prompt-cache writes cost when a price does not say.
inline constexpr double kCacheWriteTimesInput = 1.25, kCacheWrite1hTimesInput = 2.0;

// A fine-tunable base model's rates: training per 1M trained tokens, and the fine-tuned model's
// inference rates (date and source in `inference`).
struct FinetunePrice {
  double training_per_mtok = 0;
  Price inference;
};

struct PriceFile {
  std::map<std::string, Price> models;
  std::map<std::string, FinetunePrice> finetune;
};

// Parses catalogue text; `origin` names it in error messages. UserError naming origin:line for
// bad TOML, a missing field or a negative price.
PriceFile read_price_file(std::string_view text, const std::string& origin);

}  // namespace tunecase
