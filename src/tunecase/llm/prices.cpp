#include "tunecase/llm/prices.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tunecase/core/error.h"

#ifndef TUNECASE_DATA_DIR
#define TUNECASE_DATA_DIR "data"
#endif

namespace tunecase {
namespace {

std::string where(const std::string& origin, const toml::node& node) {
  return fmt::format("{}:{}", origin, node.source().begin.line);
}

double read_rate(const toml::table& table, const std::string& model, const char* key,
                 const std::string& origin, std::optional<double> fallback) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (fallback) return *fallback;
    throw UserError(fmt::format("{}: model \"{}\" has no `{}` price; add {} = <USD per 1M tokens>",
                                where(origin, table), model, key, key));
  }
  auto value = node->value<double>();
  if (!value || *value < 0) {
    throw UserError(
        fmt::format("{}: model \"{}\": `{}` must be a non-negative number of USD "
                    "per 1M tokens",
                    where(origin, *node), model, key));
  }
  return *value;
}

std::string read_text(const toml::table& table, const std::string& model, const char* key,
                      const std::string& origin) {
  auto value = table[key].value<std::string>();
  if (!value || value->empty()) {
    throw UserError(
        fmt::format("{}: model \"{}\" needs `{}` (a string): every price says when "
                    "and where it was read",
                    where(origin, table), model, key));
  }
  return *value;
}

Price read_price(const toml::table& table, const std::string& model, const std::string& origin) {
  Price price;
  price.input_per_mtok = read_rate(table, model, "input", origin, std::nullopt);
  price.cached_input_per_mtok =
      read_rate(table, model, "cached_input", origin, price.input_per_mtok);
  price.output_per_mtok = read_rate(table, model, "output", origin, std::nullopt);
  price.date = read_text(table, model, "date", origin);
  price.source = read_text(table, model, "source", origin);
  return price;
}

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

void read_finetune_prices(const toml::table& document, const std::string& origin,
                          std::map<std::string, FinetunePrice>& out) {
  const toml::node* section = document.get("finetune");
  if (section == nullptr) return;
  if (!section->is_table())
    throw UserError(fmt::format("{}: `finetune` must be a table of [finetune.\"<base model>\"]",
                                where(origin, *section)));
  for (const auto& [key, node] : *section->as_table()) {
    std::string model(key.str());
    const toml::table* table = node.as_table();
    if (table == nullptr)
      throw UserError(
          fmt::format("{}: finetune.\"{}\" must be a table of prices", where(origin, node), model));
    FinetunePrice price;
    price.training_per_mtok = read_rate(*table, model, "training", origin, std::nullopt);
    price.inference = read_price(*table, model, origin);
    out[model] = price;
  }
}

}  // namespace

PriceCatalogue PriceCatalogue::parse(std::string_view text, const std::string& origin) {
  toml::table document;
  try {
    document = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw UserError(fmt::format("{}:{}: {}; fix the TOML syntax", origin, e.source().begin.line,
                                e.description()));
  }
  PriceCatalogue catalogue;
  catalogue.origin_ = origin;
  const toml::table* models = document["models"].as_table();
  if (models == nullptr) {
    throw UserError(
        fmt::format("{}: no [models.\"<model id>\"] tables; see data/prices.toml for "
                    "the format",
                    origin));
  }
  for (const auto& [key, node] : *models) {
    std::string model(key.str());
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      throw UserError(
          fmt::format("{}: models.\"{}\" must be a table of prices", where(origin, node), model));
    }
    catalogue.prices_[model] = read_price(*table, model, origin);
  }
  read_finetune_prices(document, origin, catalogue.finetune_);
  return catalogue;
}

PriceCatalogue PriceCatalogue::load(const std::filesystem::path& file) {
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

PriceCatalogue PriceCatalogue::load_default() {
  if (const char* custom = std::getenv("TUNECASE_PRICES"); custom && *custom) return load(custom);
  return load(std::filesystem::path(TUNECASE_DATA_DIR) / "prices.toml");
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
    price.output_per_mtok = o->output;
    price.date = o->date;
    price.source = fmt::format("config: approach '{}'", approach.name);
    return price;
  }
  return catalogue.find(approach.llm.model);
}

double cost_usd(const Price& price, const Usage& usage) {
  int64_t uncached = std::max<int64_t>(0, usage.input - usage.cached_input);
  return (static_cast<double>(uncached) * price.input_per_mtok +
          static_cast<double>(usage.cached_input) * price.cached_input_per_mtok +
          static_cast<double>(usage.output) * price.output_per_mtok) /
         1e6;
}

}  // namespace tunecase
