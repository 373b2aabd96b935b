#include "tunecase/config/config.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "tunecase/core/error.h"

namespace tunecase {
namespace {

nlohmann::json to_json(const toml::node& node);

nlohmann::json table_to_json(const toml::table& table) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : table) out[std::string(key.str())] = to_json(value);
  return out;
}

nlohmann::json to_json(const toml::node& node) {
  if (auto t = node.as_table()) return table_to_json(*t);
  if (auto a = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : *a) out.push_back(to_json(item));
    return out;
  }
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return i->get();
  if (auto f = node.as_floating_point()) return f->get();
  if (auto b = node.as_boolean()) return b->get();
  std::ostringstream text;  // dates and times stay as their TOML text
  if (auto d = node.as_date()) text << d->get();
  if (auto t = node.as_time()) text << t->get();
  if (auto dt = node.as_date_time()) text << dt->get();
  return text.str();
}

std::string where(const toml::node* node, const std::filesystem::path& origin) {
  if (node == nullptr) return origin.string();
  return fmt::format("{}:{}", origin.string(), node->source().begin.line);
}

template <typename T>
T get_or(const toml::table& table, std::string_view key, T fallback,
         const std::filesystem::path& origin, std::string_view section) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return fallback;
  if constexpr (std::is_same_v<T, double>) {
    if (auto v = node->value<double>()) return *v;
  } else {
    if (auto v = node->value<T>()) return *v;
  }
  throw UserError(
      fmt::format("{}: [{}] {} has the wrong type; see the configuration reference "
                  "in README.md",
                  where(node, origin), section, key));
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty()) return {};
  std::filesystem::path path(p);
  return path.is_absolute() ? path : base / path;
}

DataConfig read_data(const toml::table& root, const std::filesystem::path& origin) {
  DataConfig d;
  const toml::table* t = root["data"].as_table();
  if (t == nullptr) return d;  // `tunecase decide` in scenario mode needs no data
  std::filesystem::path base = origin.parent_path();
  d.path = resolve(base, get_or<std::string>(*t, "path", "", origin, "data"));
  d.train = resolve(base, get_or<std::string>(*t, "train", "", origin, "data"));
  d.dev = resolve(base, get_or<std::string>(*t, "dev", "", origin, "data"));
  d.test = resolve(base, get_or<std::string>(*t, "test", "", origin, "data"));
  d.text = get_or<std::string>(*t, "text", d.text, origin, "data");
  d.label = get_or<std::string>(*t, "label", d.label, origin, "data");
  d.time = get_or<std::string>(*t, "time", "", origin, "data");
  d.id = get_or<std::string>(*t, "id", "", origin, "data");
  d.split = get_or<std::string>(*t, "split", d.split, origin, "data");
  d.test_fraction = get_or<double>(*t, "test_fraction", d.test_fraction, origin, "data");
  d.dev_fraction = get_or<double>(*t, "dev_fraction", d.dev_fraction, origin, "data");
  d.seed = static_cast<uint64_t>(get_or<int64_t>(*t, "seed", 7, origin, "data"));
  d.skip_invalid = get_or<bool>(*t, "skip_invalid", false, origin, "data");
  if (d.path.empty() && !d.pre_split()) {
    throw UserError(fmt::format("{}: [data] needs path = \"file\" or train = ... and test = ...",
                                where(t, origin)));
  }
  if (!d.path.empty() && d.pre_split()) {
    throw UserError(
        fmt::format("{}: [data] has both path and train/test; keep one of them", where(t, origin)));
  }
  if (d.pre_split() && (d.train.empty() || d.test.empty())) {
    throw UserError(
        fmt::format("{}: pre-split [data] needs both train and test", where(t, origin)));
  }
  if (d.split != "stratified" && d.split != "time") {
    throw UserError(
        fmt::format("{}: [data] split = \"{}\" is not known; use \"stratified\" or "
                    "\"time\"",
                    where(t->get("split"), origin), d.split));
  }
  if (d.split == "time" && d.time.empty()) {
    throw UserError(
        fmt::format("{}: split = \"time\" needs time = \"<column>\" in [data]", where(t, origin)));
  }
  if (d.test_fraction <= 0 || d.dev_fraction < 0 || d.test_fraction + d.dev_fraction >= 1) {
    throw UserError(
        fmt::format("{}: test_fraction must be > 0, dev_fraction >= 0, and together "
                    "below 1 (got {} and {})",
                    where(t, origin), d.test_fraction, d.dev_fraction));
  }
  return d;
}

std::vector<ApproachConfig> read_approaches(const toml::table& root,
                                            const std::filesystem::path& origin) {
  std::vector<ApproachConfig> out;
  const toml::node* node = root.get("approach");
  if (node == nullptr) return out;
  const toml::array* list = node->as_array();
  if (list == nullptr) {
    throw UserError(
        fmt::format("{}: approach must be written as [[approach]] tables", where(node, origin)));
  }
  for (const auto& item : *list) {
    const toml::table* t = item.as_table();
    if (t == nullptr)
      throw UserError(fmt::format("{}: [[approach]] must be a table", where(&item, origin)));
    ApproachConfig a;
    a.name = get_or<std::string>(*t, "name", "", origin, "approach");
    a.kind = get_or<std::string>(*t, "kind", "", origin, "approach");
    if (a.name.empty() || a.kind.empty()) {
      throw UserError(fmt::format("{}: every [[approach]] needs name and kind", where(t, origin)));
    }
    for (const auto& other : out) {
      if (other.name == a.name) {
        throw UserError(fmt::format("{}: two approaches are named '{}'; names must be unique",
                                    where(t, origin), a.name));
      }
    }
    a.params = table_to_json(*t);
    // File paths inside an approach (templates, model folders) are relative to the config too.
    for (const char* key : {"template_file", "model_dir", "prices"}) {
      if (a.params.contains(key) && a.params[key].is_string()) {
        a.params[key] = resolve(origin.parent_path(), a.params[key].get<std::string>()).string();
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

ProjectConfig parse_config(std::string_view text, const std::filesystem::path& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin.string());
  } catch (const toml::parse_error& e) {
    throw UserError(fmt::format("{}:{}:{}: invalid TOML: {}", origin.string(),
                                e.source().begin.line, e.source().begin.column, e.description()));
  }
  ProjectConfig c;
  c.file = origin;
  c.raw = table_to_json(root);
  c.data = read_data(root, origin);
  c.approaches = read_approaches(root, origin);
  if (const toml::table* labels = root["labels"].as_table()) {
    for (const auto& [key, value] : *labels) {
      std::string name(key.str());
      c.data.allowed_labels.push_back(name);
      if (auto s = value.value<std::string>()) c.label_descriptions[name] = *s;
    }
  }
  if (const toml::table* task = root["task"].as_table()) {
    c.task = get_or<std::string>(*task, "description", "", origin, "task");
  }
  if (const toml::table* business = root["business"].as_table()) {
    c.queries_per_day = get_or<double>(*business, "queries_per_day", 0, origin, "business");
    if (c.queries_per_day < 0) {
      throw UserError(fmt::format("{}: [business] queries_per_day must not be negative",
                                  where(business->get("queries_per_day"), origin)));
    }
  }
  return c;
}

ProjectConfig load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(fmt::format("{}: cannot open the config file; check the path", file.string()));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), file);
}

std::vector<ApproachConfig> default_local_approaches() {
  std::vector<ApproachConfig> out;
  for (const char* kind : {"linear", "fasttext", "retrieval"}) {
    ApproachConfig a;
    a.name = kind;
    a.kind = kind;
    a.params = {{"name", kind}, {"kind", kind}};
    out.push_back(a);
  }
  return out;
}

namespace {
[[noreturn]] void wrong_type(const ApproachConfig& a, const std::string& key, const char* want) {
  throw UserError(fmt::format("approach '{}': {} must be {}", a.name, key, want));
}
}  // namespace

double param_number(const ApproachConfig& a, const std::string& key, double fallback) {
  auto it = a.params.find(key);
  if (it == a.params.end()) return fallback;
  if (!it->is_number()) wrong_type(a, key, "a number");
  return it->get<double>();
}

int param_int(const ApproachConfig& a, const std::string& key, int fallback) {
  auto it = a.params.find(key);
  if (it == a.params.end()) return fallback;
  if (!it->is_number_integer()) wrong_type(a, key, "an integer");
  return it->get<int>();
}

std::string param_string(const ApproachConfig& a, const std::string& key,
                         const std::string& fallback) {
  auto it = a.params.find(key);
  if (it == a.params.end()) return fallback;
  if (!it->is_string()) wrong_type(a, key, "a string");
  return it->get<std::string>();
}

bool param_bool(const ApproachConfig& a, const std::string& key, bool fallback) {
  auto it = a.params.find(key);
  if (it == a.params.end()) return fallback;
  if (!it->is_boolean()) wrong_type(a, key, "true or false");
  return it->get<bool>();
}

}  // namespace tunecase
