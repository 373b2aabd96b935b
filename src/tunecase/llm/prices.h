#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "tunecase/config/config.h"
#include "tunecase/config/price_file.h"
#include "tunecase/llm/provider.h"

namespace tunecase {

// What to do about a model the catalogue has no price for, for error messages: the approach's
// `price`, its own `prices` file, or TUNECASE_PRICES, naming the catalogue in use.
std::string missing_price_remedy();

// The price catalogue (data/prices.toml; its format and the Price types are in
// config/price_file.h), and the matching of model ids against it.
class PriceCatalogue {
 public:
  // UserError naming file:line for bad TOML, a missing field or a negative price.
  static PriceCatalogue load(const std::filesystem::path& file);
  // $TUNECASE_PRICES when set, else the catalogue shipped in the source tree's data/ folder.
  static PriceCatalogue load_default();
  // The approach's `prices` file when it names one, else load_default().
  static PriceCatalogue for_approach(const ApproachConfig& approach);
  // Parses catalogue text; `origin` names it in error messages.
  static PriceCatalogue parse(std::string_view text, const std::string& origin);

  // The exact model id, else the longest catalogue key that is a prefix of it and ends where the
  // id continues with '-' or '@' (dated snapshots: gpt-4o-2024-08-06, claude-3-5-sonnet@2024..).
  // The boundary keeps "gpt-5" from pricing an unrelated "gpt-5.1". nullopt when none matches.
  // A fine-tuned id "ft:<base>:<org>:<suffix>:<id>" is priced at its base model's [finetune]
  // inference rates (nullopt when the catalogue has none: never the base model's rates).
  std::optional<Price> find(const std::string& model) const;
  // The [finetune] rates of a base model, matched as find() matches; nullopt when unknown.
  std::optional<FinetunePrice> find_finetune(const std::string& base_model) const;

  std::size_t size() const { return prices_.size(); }
  const std::map<std::string, Price>& prices() const { return prices_; }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::map<std::string, Price> prices_;
  std::map<std::string, FinetunePrice> finetune_;
};

// The approach's own `price = { input = .., cached_input = .., output = .. }` when given (source
// "config: approach '<name>'"), else the catalogue's price for its `model`; nullopt when neither
// knows the model (the caller reports cost as null with a warning, never $0).
std::optional<Price> price_for(const ApproachConfig& approach, const PriceCatalogue& catalogue);

// Integer tokens x price / 1e6; the cached part of the input is priced at the cached rate.
double cost_usd(const Price& price, const Usage& usage);

}  // namespace tunecase
