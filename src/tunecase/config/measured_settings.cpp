#include "tunecase/config/measured_settings.h"

#include <array>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "tunecase/core/hash.h"

namespace tunecase {
namespace {

// The content hash of a file, "" when it cannot be read (decide may run where the data is not).
std::string file_content_hash(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  uint64_t h = kFnv1a64Start;
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    h = fnv1a64(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())), h);
  }
  std::string out;
  append_hex(out, h, 16);
  return out;
}

std::string shown(const nlohmann::json& v) {
  if (v.is_null()) return "not set";
  return v.dump();
}

}  // namespace

nlohmann::json measured_data_settings(const DataConfig& d) {
  nlohmann::json files = nlohmann::json::object();
  auto add = [&](const char* role, const std::filesystem::path& p) {
    if (!p.empty()) files[role] = file_content_hash(p);
  };
  add("path", d.path);
  add("train", d.train);
  add("dev", d.dev);
  add("test", d.test);
  return {{"file_hashes", files},
          {"text", d.text},
          {"label", d.label},
          {"time", d.time},
          {"id", d.id},
          {"split", d.split},
          {"test_fraction", d.test_fraction},
          {"dev_fraction", d.dev_fraction},
          {"seed", d.seed},
          {"skip_invalid", d.skip_invalid},
          {"delimiter", d.delimiter == 0 ? std::string() : std::string(1, d.delimiter)},
          {"normalize_labels", d.normalize_labels},
          {"allowed_labels", d.allowed_labels}};
}

nlohmann::json measured_approach_settings(const ApproachConfig& a) {
  static const std::set<std::string> kChangeNoMeasurement = {
      // the business case's figures, read by decide from the config as it is now
      "accuracy", "harmful_error_rate", "usd_per_query", "training_usd", "engineering_weeks",
      "retrain_every_months", "retrain_usd", "maintenance_weeks_per_month", "time_to_ship_weeks",
      "finetune_record", "monitoring_usd_per_month", "trained", "hosting",
      // how and where the model is reached, not what it answers
      "name", "model_dir", "threads", "base_url", "api_key_env", "price", "prices", "rpm", "tpm",
      "timeout_ms", "finetune",
      // compared by content below
      "template_file"};
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : a.source.items())
    if (!kChangeNoMeasurement.contains(key)) out[key] = value;
  if (a.is_llm() && !a.llm.template_file.empty())
    out["template_file_content"] = file_content_hash(a.llm.template_file);
  return out;
}

nlohmann::json measured_prompt_settings(const ProjectConfig& config) {
  nlohmann::json out = nlohmann::json::object();
  if (!config.task.empty()) out["[task] description"] = config.task;
  for (const auto& [label, description] : config.label_descriptions)
    out["[labels] " + label] = description;
  if (!config.privacy.redact.empty()) out["[privacy] redact"] = config.privacy.redact;
  return out;
}

std::vector<std::string> settings_differences(const nlohmann::json& recorded,
                                              const nlohmann::json& now, const std::string& what) {
  std::vector<std::string> out;
  if (!recorded.is_object() || !now.is_object()) return out;
  std::set<std::string> keys;
  for (const auto& [key, value] : recorded.items()) keys.insert(key);
  for (const auto& [key, value] : now.items()) keys.insert(key);
  for (const auto& key : keys) {
    nlohmann::json before = recorded.value(key, nlohmann::json());
    nlohmann::json after = now.value(key, nlohmann::json());
    if (before == after) continue;
    if (key == "file_hashes") {
      for (const auto& [role, hash] : after.items()) {
        std::string then = before.is_object() ? before.value(role, std::string()) : "";
        std::string current = hash.is_string() ? hash.get<std::string>() : "";
        if (current.empty()) continue;  // not readable here: nothing to compare
        if (then.empty()) {
          out.push_back(
              fmt::format("{} {} is a data file the measured run did not read", what, role));
        } else if (then != current) {
          out.push_back(
              fmt::format("{} {}: the file does not hold the data that was measured (another "
                          "file, or this one changed since)",
                          what, role));
        }
      }
      continue;
    }
    if (key == "template_file_content") {
      out.push_back(
          fmt::format("{} template_file: the template changed since it was measured", what));
      continue;
    }
    out.push_back(
        fmt::format("{} {} = {} now, {} when measured", what, key, shown(after), shown(before)));
  }
  return out;
}

}  // namespace tunecase
