#include "tunecase/llm/example_pool.h"

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/output_dir.h"

namespace tunecase {
namespace {

std::string read_whole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(
        fmt::format("cannot read {}: not an example pool folder (tunecase retrain writes them)",
                    file.string()));
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

nlohmann::json read_manifest(const std::filesystem::path& dir) {
  std::filesystem::path file = dir / "approach.json";
  try {
    return nlohmann::json::parse(read_whole(file));
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("{}: not valid JSON ({})", file.string(), e.what()));
  }
}

}  // namespace

void save_example_pool(const std::filesystem::path& dir, const ExamplePool& pool,
                       const nlohmann::json& provenance) {
  create_output_dir(dir);
  std::string lines;
  for (const Example& e : pool.examples) {
    lines += nlohmann::json{{"id", e.id}, {"text", e.text}, {"label", e.label}}.dump();
    lines += '\n';
  }
  write_file(dir / "examples.jsonl", lines);
  nlohmann::json doc = {
      {"format", "tunecase-example-pool/1"}, {"kind", kExamplePoolKind},
      {"approach", pool.approach},           {"labels", pool.labels},
      {"rows", pool.examples.size()},        {"examples_sha256", text_hash(lines)}};
  if (provenance.is_object())
    for (const auto& [key, value] : provenance.items()) doc["provenance"][key] = value;
  write_file(dir / "approach.json", doc.dump(2) + "\n");
}

bool is_example_pool(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "approach.json", ec)) return false;
  try {
    return read_manifest(dir).value("kind", std::string()) == kExamplePoolKind;
  } catch (const UserError&) {
    return false;
  }
}

ExamplePool load_example_pool(const std::filesystem::path& dir) {
  nlohmann::json doc = read_manifest(dir);
  if (doc.value("kind", std::string()) != kExamplePoolKind) {
    throw UserError(fmt::format("{}: holds a '{}' model, not an LLM approach's example pool",
                                dir.string(), doc.value("kind", std::string("unknown"))));
  }
  std::filesystem::path file = dir / "examples.jsonl";
  std::string lines = read_whole(file);
  if (text_hash(lines) != doc.value("examples_sha256", std::string())) {
    throw UserError(fmt::format(
        "{}: the examples changed after the pool was written (their SHA-256 differs from "
        "approach.json); run `tunecase retrain` again rather than editing a registered pool",
        file.string()));
  }
  ExamplePool pool;
  pool.approach = doc.value("approach", std::string());
  try {
    pool.labels = doc.at("labels").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw UserError(
        fmt::format("{}: no label list ({})", (dir / "approach.json").string(), e.what()));
  }
  std::size_t start = 0, line = 0;
  while (start < lines.size()) {
    std::size_t end = lines.find('\n', start);
    if (end == std::string::npos) end = lines.size();
    ++line;
    std::string_view row(lines.data() + start, end - start);
    start = end + 1;
    if (row.empty()) continue;
    try {
      nlohmann::json j = nlohmann::json::parse(row);
      Example e;
      e.id = j.value("id", std::string());
      e.text = j.at("text").get<std::string>();
      e.label = j.at("label").get<std::string>();
      e.line = line;
      pool.examples.push_back(std::move(e));
    } catch (const nlohmann::json::exception& e) {
      throw UserError(fmt::format("{}:{}: not an example ({})", file.string(), line, e.what()));
    }
  }
  return pool;
}

}  // namespace tunecase
