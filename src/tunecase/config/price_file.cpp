#include "tunecase/config/price_file.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <optional>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

std::string price_location(const std::string& origin, const toml::node& node) {
  return fmt::format("{}:{}", origin, node.source().begin.line);
}

double read_rate(const toml::table& table, const std::string& model, const char* key,
                 const std::string& origin, std::optional<double> fallback) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (fallback) return *fallback;
    throw UserError(fmt::format("{}: model \"{}\" has no `{}` price; add {} = <USD per 1M tokens>",
                                price_location(origin, table), model, key, key));
  }
  auto value = node->value<double>();
  if (!value || *value < 0) {
    throw UserError(
        fmt::format("{}: model \"{}\": `{}` must be a non-negative number of USD "
                    "per 1M tokens",
                    price_location(origin, *node), model, key));
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
                    price_location(origin, table), model, key));
  }
  return *value;
}

Price read_price(const toml::table& table, const std::string& model, const std::string& origin) {
  Price price;
  price.input_per_mtok = read_rate(table, model, "input", origin, std::nullopt);
  price.cached_input_per_mtok =
      read_rate(table, model, "cached_input", origin, price.input_per_mtok);
  price.output_per_mtok = read_rate(table, model, "output", origin, std::nullopt);
  price.cache_write_per_mtok =
      read_rate(table, model, "cache_write", origin, kCacheWriteTimesInput * price.input_per_mtok);
  price.cache_write_1h_per_mtok = read_rate(table, model, "cache_write_1h", origin,
                                            kCacheWrite1hTimesInput * price.input_per_mtok);
  price.date = read_text(table, model, "date", origin);
  price.source = read_text(table, model, "source", origin);
  return price;
}

void read_finetune_prices(const toml::table& document, const std::string& origin,
                          std::map<std::string, FinetunePrice>& out) {
  const toml::node* section = document.get("finetune");
  if (section == nullptr) return;
  if (!section->is_table())
    throw UserError(fmt::format("{}: `finetune` must be a table of [finetune.\"<base model>\"]",
                                price_location(origin, *section)));
  for (const auto& [key, node] : *section->as_table()) {
    std::string model(key.str());
    const toml::table* table = node.as_table();
    if (table == nullptr)
      throw UserError(fmt::format("{}: finetune.\"{}\" must be a table of prices",
                                  price_location(origin, node), model));
    FinetunePrice price;
    price.training_per_mtok = read_rate(*table, model, "training", origin, std::nullopt);
    price.inference = read_price(*table, model, origin);
    out[model] = price;
  }
}

}  // namespace

PriceFile read_price_file(std::string_view text, const std::string& origin) {
  toml::table document;
  try {
    document = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw UserError(fmt::format("{}:{}: {}; fix the TOML syntax", origin, e.source().begin.line,
                                e.description()));
  }
  PriceFile file;
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
      throw UserError(fmt::format("{}: models.\"{}\" must be a table of prices",
                                  price_location(origin, node), model));
    }
    file.models[model] = read_price(*table, model, origin);
  }
  read_finetune_prices(document, origin, file.finetune);
  return file;
}

}  // namespace tunecase
