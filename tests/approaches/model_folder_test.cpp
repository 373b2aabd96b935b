#include "tunecase/approaches/model_folder.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

// A classifier whose save() writes one file and then fails, like a save killed half-way.
class FailingSave : public Classifier {
 public:
  void train(const Examples&, const Examples&, const std::vector<std::string>&) override {}
  Prediction classify(std::string_view) override { return {}; }
  void save(const std::filesystem::path& dir) const override {
    std::ofstream(dir / "linear.json") << "{}";
    throw UserError("disk full");
  }
  void load(const std::filesystem::path&) override {}
};

TEST(ModelFolder, ASaveThatFailsLeavesNoLoadableModel) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase_model_folder_failed_save";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "approach.json") << R"({"format": "tunecase-model/1"})";
  ApproachConfig approach =
      approach_from_json({{"name", "local-linear"}, {"kind", "linear"}}, "test.toml");
  EXPECT_THROW(save_model(dir, approach, FailingSave(), {"a", "b"}, 10), UserError);
  EXPECT_FALSE(std::filesystem::exists(dir / "approach.json"));
  EXPECT_THROW(load_model(dir), UserError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunecase
