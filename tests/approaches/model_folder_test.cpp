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

// Names in other scripts keep their letters: "线性" and "检索" both became "______" and one
// model overwrote the other. ASCII punctuation still becomes '_'.
TEST(ModelFolder, NamesInOtherScriptsGetFoldersOfTheirOwn) {
  EXPECT_EQ(model_folder_name("线性"), "线性");
  EXPECT_NE(model_folder_name("线性"), model_folder_name("检索"));
  EXPECT_EQ(model_folder_name("a/b c"), "a_b_c");
  EXPECT_EQ(model_folder_name(".."), "approach");
}

// An eval written before that, under the ASCII-only name, is still found when its manifest
// names the approach.
TEST(ModelFolder, AModelUnderTheOlderFolderNameIsStillFound) {
  auto eval = std::filesystem::temp_directory_path() / "tunecase_model_folder_legacy";
  std::filesystem::remove_all(eval);
  std::filesystem::create_directories(eval / "models" / "______");
  std::ofstream(eval / "models" / "______" / "approach.json") << R"({"name": "线性"})";
  ApproachConfig approach = approach_from_json({{"name", "线性"}, {"kind", "linear"}}, "t.toml");
  EXPECT_EQ(model_folder(approach, eval), eval / "models" / "______");
  ApproachConfig other = approach_from_json({{"name", "检索"}, {"kind", "linear"}}, "t.toml");
  EXPECT_EQ(model_folder(other, eval), eval / "models" / "检索") << "another approach's model";
  std::filesystem::remove_all(eval);
}

}  // namespace
}  // namespace tunecase
