#include "tunecase/llm/prices.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"

#ifndef TUNECASE_DATA_DIR
#define TUNECASE_DATA_DIR "data"
#endif

namespace tunecase {
namespace {

bool is_snapshot_boundary(char c) {
  return c == '-' || c == '@';
}

// The exact key, else the longest key that is a prefix of `model` at a snapshot boundary.
template <typename T>
const T* match(const std::map<std::string, T>& table, const std::string& model) {
  if (auto exact = table.find(model); exact != table.end()) return &exact->second;
  const T* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [key, value] : table) {
    if (key.size() < model.size() && key.size() > best_length && model.starts_with(key) &&
        is_snapshot_boundary(model[key.size()])) {
      best = &value;
      best_length = key.size();
    }
  }
  return best;
}

}  // namespace

PriceCatalogue PriceCatalogue::parse(std::string_view text, const std::string& origin) {
  PriceFile file = read_price_file(text, origin);
  PriceCatalogue catalogue;
  catalogue.origin_ = origin;
  catalogue.prices_ = std::move(file.models);
  catalogue.finetune_ = std::move(file.finetune);
  return catalogue;
}

PriceCatalogue PriceCatalogue::load(const std::filesystem::path& file) {
  refuse_folder_as_file(file, "a price catalogue (prices, or TUNECASE_PRICES)");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(
        fmt::format("cannot read the price catalogue {}; check the path (or unset "
                    "TUNECASE_PRICES to use the shipped one)",
                    file.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

PriceCatalogue PriceCatalogue::for_approach(const ApproachConfig& approach) {
  const std::string& file = approach.llm.prices;
  return file.empty() ? load_default() : load(file);
}

namespace {

std::filesystem::path default_catalogue() {
  if (const char* custom = std::getenv("TUNECASE_PRICES"); custom && *custom) return custom;
  return std::filesystem::path(TUNECASE_DATA_DIR) / "prices.toml";
}

}  // namespace

std::string missing_price_remedy() {
  return fmt::format(
      "set price = {{ input = .., output = .. }} (USD per million tokens) in the approach's "
      "table, or prices = \"FILE\" to a catalogue of your own in the format of {} (the one in "
      "use; the environment variable TUNECASE_PRICES sets one for every approach)",
      default_catalogue().string());
}

PriceCatalogue PriceCatalogue::load_default() {
  return load(default_catalogue());
}

std::optional<Price> PriceCatalogue::find(const std::string& model) const {
  if (model.starts_with("ft:")) {
    std::string base = model.substr(3, model.find(':', 3) - 3);
    if (auto tuned = find_finetune(base)) return tuned->inference;
    return std::nullopt;
  }
  if (const Price* price = match(prices_, model)) return *price;
  return std::nullopt;
}

std::optional<FinetunePrice> PriceCatalogue::find_finetune(const std::string& base_model) const {
  if (const FinetunePrice* price = match(finetune_, base_model)) return *price;
  return std::nullopt;
}

std::optional<Price> price_for(const ApproachConfig& approach, const PriceCatalogue& catalogue) {
  if (const auto& o = approach.llm.price) {
    Price price;
    price.input_per_mtok = o->input;
    price.cached_input_per_mtok = o->cached_input.value_or(o->input);
    price.cache_write_per_mtok = o->cache_write.value_or(kCacheWriteTimesInput * o->input);
    price.cache_write_1h_per_mtok = o->cache_write_1h.value_or(kCacheWrite1hTimesInput * o->input);
    price.output_per_mtok = o->output;
    price.date = o->date;
    price.source = fmt::format("config: approach '{}'", approach.name);
    return price;
  }
  return catalogue.find(approach.llm.model);
}

double cost_usd(const Price& price, const Usage& usage) {
  // Cache writes at their own rates (they had been billed at the input rate, 20-50% under).
  int64_t uncached = std::max<int64_t>(
      0, usage.input - usage.cached_input - usage.cache_write - usage.cache_write_1h);
  return (static_cast<double>(uncached) * price.input_per_mtok +
          static_cast<double>(usage.cached_input) * price.cached_input_per_mtok +
          static_cast<double>(usage.cache_write) * price.cache_write_per_mtok +
          static_cast<double>(usage.cache_write_1h) * price.cache_write_1h_per_mtok +
          static_cast<double>(usage.output) * price.output_per_mtok) /
         1e6;
}

}  // namespace tunecase
