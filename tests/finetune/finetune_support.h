#pragma once

// Shared by the fine-tuning tests: a scratch folder inside the build tree and a project config
// over the CLI fixture tickets with one fine-tunable openai approach.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tunecase::finetune_test {

inline std::filesystem::path scratch(const std::string& name) {
  auto dir = std::filesystem::path(TUNECASE_BIN).parent_path() / "test-scratch" / "finetune" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// `extra` lands inside the approach table.
inline std::string project_toml(int port, const std::string& extra = "",
                                const std::string& finetune =
                                    "{ base_model = \"gpt-4.1-mini-2025-04-14\", epochs = 2, "
                                    "suffix = \"tickets\" }") {
  return "[data]\npath = \"" + std::string(TUNECASE_FIXTURES) +
         "/cli/tickets.csv\"\nlabel = \"category\"\n\n"
         "[labels]\nbilling = \"invoices, charges, payments\"\n"
         "login = \"passwords and signing in\"\nrefund = \"money back\"\n"
         "shipping = \"parcels and couriers\"\n\n"
         "[[approach]]\nname = \"gpt-ft\"\nkind = \"openai\"\n"
         "base_url = \"http://127.0.0.1:" +
         std::to_string(port) +
         "/v1\"\napi_key_env = \"TUNECASE_FT_TEST_KEY\"\nmodel = \"gpt-4.1-mini\"\n"
         "finetune = " +
         finetune + "\n" + extra;
}

}  // namespace tunecase::finetune_test
