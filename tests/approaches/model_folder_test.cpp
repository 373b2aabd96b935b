#include "tunecase/approaches/model_folder.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tunecase/approaches/registry.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/search/tokenize.h"

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

// 20 rows of two labels, each with its own words.
Examples two_labels() {
  Examples train;
  for (int i = 0; i < 20; ++i)
    train.push_back({.text = i % 2 ? "refund my card" : "where is my parcel",
                     .label = i % 2 ? "billing" : "shipping"});
  return train;
}

// A linear model of two_labels() saved into `root` (emptied first), as eval saves one.
void save_two_label_linear(const std::filesystem::path& root) {
  std::filesystem::remove_all(root);
  ApproachConfig approach =
      approach_from_json({{"name", "local-linear"}, {"kind", "linear"}}, "test.toml");
  Examples train = two_labels();
  std::unique_ptr<Classifier> classifier = make_classifier(approach);
  classifier->train(train, {}, {"billing", "shipping"});
  save_model(root, approach, *classifier, {"billing", "shipping"}, train.size());
}

// A save that fails part-way (or is killed) leaves the model that was there as it was: a
// gateway serving it can load it again (the save had rewritten the folder in place).
TEST(ModelFolder, ASaveThatFailsLeavesTheOldModelAsItWas) {
  auto root = std::filesystem::temp_directory_path() / "tunecase_model_folder_failed_save";
  std::filesystem::remove_all(root);
  const auto dir = root / "local-linear";
  std::filesystem::create_directories(dir);
  const std::string manifest = R"({"format": "tunecase-model/1"})";
  std::ofstream(dir / "approach.json") << manifest;
  std::ofstream(dir / "linear.json") << "old";
  ApproachConfig approach =
      approach_from_json({{"name", "local-linear"}, {"kind", "linear"}}, "test.toml");
  EXPECT_THROW(save_model(dir, approach, FailingSave(), {"a", "b"}, 10), UserError);
  std::ifstream in(dir / "approach.json");
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, manifest);
  std::ifstream weights(dir / "linear.json");
  std::string old((std::istreambuf_iterator<char>(weights)), std::istreambuf_iterator<char>());
  EXPECT_EQ(old, "old");
  for (const auto& entry : std::filesystem::directory_iterator(root))
    EXPECT_EQ(entry.path(), dir) << "left behind: " << entry.path();
  std::filesystem::remove_all(root);
}

// A save replaces the whole folder in one step, and clears what a killed save left beside it.
TEST(ModelFolder, ASaveReplacesTheFolderWholeAndClearsAKilledSavesLeftovers) {
  auto root = std::filesystem::temp_directory_path() / "tunecase_model_folder_swap";
  std::filesystem::remove_all(root);
  const auto dir = root / "local-linear";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "stale.bin") << "from the model before";
  std::filesystem::create_directories(root / ".local-linear.saving-12345");
  std::ofstream(root / ".local-linear.saving-12345" / "linear.model") << "half";
  ApproachConfig approach =
      approach_from_json({{"name", "local-linear"}, {"kind", "linear"}}, "test.toml");
  Examples train = two_labels();
  std::unique_ptr<Classifier> classifier = make_classifier(approach);
  classifier->train(train, {}, {"billing", "shipping"});
  save_model(dir, approach, *classifier, {"billing", "shipping"}, train.size());
  EXPECT_FALSE(std::filesystem::exists(dir / "stale.bin"));
  EXPECT_EQ(load_model(dir).labels, (std::vector<std::string>{"billing", "shipping"}));
  for (const auto& entry : std::filesystem::directory_iterator(root))
    EXPECT_EQ(entry.path(), dir) << "left behind: " << entry.path();
  // And into a folder that is not there yet.
  save_model(root / "new", approach, *classifier, {"billing", "shipping"}, train.size());
  EXPECT_TRUE(std::filesystem::exists(root / "new" / "approach.json"));
  // With keep_replaced, the model a save replaces is moved there, not deleted (eval puts it back
  // when it stops before its results); something already there is kept.
  save_model(dir, approach, *classifier, {"billing", "shipping"}, train.size(), nullptr,
             root / "kept" / "local-linear");
  EXPECT_TRUE(std::filesystem::exists(root / "kept" / "local-linear" / "approach.json"));
  std::ofstream(root / "kept" / "local-linear" / "marker") << "first kept";
  save_model(dir, approach, *classifier, {"billing", "shipping"}, train.size(), nullptr,
             root / "kept" / "local-linear");
  EXPECT_TRUE(std::filesystem::exists(root / "kept" / "local-linear" / "marker"));
  std::filesystem::remove_all(root);
}

// A model records the word splitting it was trained with; one from an earlier tunecase (no
// "tokenizer" in approach.json) still loads, with a note saying to retrain it.
TEST(ModelFolder, AModelTrainedWithAnotherTokenizerLoadsWithANote) {
  auto root = std::filesystem::temp_directory_path() / "tunecase_model_folder_tokenizer";
  save_two_label_linear(root);
  EXPECT_EQ(load_model(root).note, "");
  std::ifstream in(root / "approach.json");
  nlohmann::json doc = nlohmann::json::parse(in);
  in.close();
  EXPECT_EQ(doc["tokenizer"], kTokenizerVersion);
  doc.erase("tokenizer");
  std::ofstream(root / "approach.json") << doc.dump();
  LoadedModel old = load_model(root);
  EXPECT_NE(old.note.find("trained with the word splitting of an earlier tunecase"),
            std::string::npos)
      << old.note;
  EXPECT_NE(old.note.find("Retrain it"), std::string::npos) << old.note;
  EXPECT_EQ(old.classifier->classify("refund my card").label, "billing");
  // One from a newer tunecase, or with a field that is no version, is said as such.
  doc["tokenizer"] = kTokenizerVersion + 1;
  std::ofstream(root / "approach.json") << doc.dump();
  EXPECT_NE(load_model(root).note.find("written by a newer tunecase"), std::string::npos);
  doc["tokenizer"] = "two";
  std::ofstream(root / "approach.json") << doc.dump();
  EXPECT_NE(load_model(root).note.find("is \"two\", not a version number"), std::string::npos);
  std::filesystem::remove_all(root);
}

// Every file of a model is as it was trained, or the model is refused naming the file: an edited
// label list, a cut example file or flipped weights had loaded silently, answered otherwise and
// kept the model's version. A model saved before the list was kept still loads.
TEST(ModelFolder, AFileEditedAfterTrainingIsRefusedNamingIt) {
  auto root = std::filesystem::temp_directory_path() / "tunecase_model_folder_files";
  save_two_label_linear(root);
  const std::string version = model_fingerprint(root);
  std::ifstream in(root / "linear.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::string edited = std::string(text).replace(text.find("billing"), 7, "zzzzzzz");
  std::ofstream(root / "linear.json") << edited;
  try {
    load_model(root);
    FAIL() << "an edited linear.json loaded";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((root / "linear.json").string() + ": not the file that was trained"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("copy the whole model folder again"), std::string::npos) << what;
  }
  std::filesystem::remove(root / "linear.json");
  EXPECT_THROW(load_model(root), UserError);
  std::ofstream(root / "linear.json") << text;
  EXPECT_EQ(load_model(root).classifier->classify("refund my card").label, "billing");
  EXPECT_EQ(model_fingerprint(root), version);
  // approach.json without the list (an earlier tunecase): loads as before.
  std::ifstream manifest(root / "approach.json");
  nlohmann::json doc = nlohmann::json::parse(manifest);
  manifest.close();
  ASSERT_TRUE(doc.contains("files"));
  EXPECT_TRUE(doc["files"].contains("linear.model"));
  doc.erase("files");
  std::ofstream(root / "approach.json") << doc.dump(2) << "\n";
  // The same model as an earlier tunecase wrote it has the same version (an upgrade had made
  // every registered model "another model"), and loads with a note that it cannot be checked.
  EXPECT_EQ(model_fingerprint(root), version);
  std::ofstream(root / "linear.json") << edited;
  LoadedModel old = load_model(root);
  EXPECT_NE(old.note.find("written by an earlier tunecase, which kept no checksums"),
            std::string::npos)
      << old.note;
  std::filesystem::remove_all(root);
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
