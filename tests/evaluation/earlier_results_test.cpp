#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <stdlib.h>

#include "tunecase/evaluation/eval_run.h"

namespace tunecase {
namespace {

class Folder {
 public:
  Folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "earlier-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a run killed (kill -9) part-way leaves: the earlier results aside, a model it trained over
// an earlier one, a prompt it rewrote. Putting back restores the earlier run whole.
TEST(EarlierResults, PutBackRestoresTheResultsWithTheModelsAndPromptsTheyDescribe) {
  Folder out;
  write(out.path() / ".earlier-run" / "eval.json", "earlier\n");
  write(out.path() / ".earlier-run" / "models" / "lin" / "approach.json", "earlier model\n");
  write(out.path() / ".earlier-run" / "prompts" / "api.txt", "earlier prompt\n");
  write(out.path() / "models" / "lin" / "approach.json", "newer model\n");
  write(out.path() / "models" / "lin" / "extra.bin", "newer\n");
  write(out.path() / "prompts" / "api.txt", "newer prompt\n");
  write(out.path() / "data.md", "newer\n");
  EXPECT_TRUE(put_back_earlier_results(out.path()));
  EXPECT_EQ(read(out.path() / "eval.json"), "earlier\n");
  EXPECT_EQ(read(out.path() / "models" / "lin" / "approach.json"), "earlier model\n");
  EXPECT_FALSE(std::filesystem::exists(out.path() / "models" / "lin" / "extra.bin"));
  EXPECT_EQ(read(out.path() / "prompts" / "api.txt"), "earlier prompt\n");
  EXPECT_EQ(read(out.path() / "data.md"), "newer\n");  // nothing of it was aside
  EXPECT_FALSE(std::filesystem::exists(out.path() / ".earlier-run"));
  EXPECT_FALSE(put_back_earlier_results(out.path()));  // nothing left aside
}

// A model folder of the earlier run with no newer one in its place goes back too.
TEST(EarlierResults, PutBackMovesAModelIntoAnEmptyPlace) {
  Folder out;
  write(out.path() / ".earlier-run" / "models" / "lin" / "approach.json", "earlier model\n");
  EXPECT_TRUE(put_back_earlier_results(out.path()));
  EXPECT_EQ(read(out.path() / "models" / "lin" / "approach.json"), "earlier model\n");
}

// A run killed after it wrote its eval.json, before it removed what it had set aside, had
// finished: the leftovers are removed, never put back over its results.
TEST(EarlierResults, AFinishedRunsLeftoversAreRemovedNotPutBack) {
  Folder out;
  write(out.path() / ".earlier-run" / "eval.json", "earlier\n");
  write(out.path() / ".earlier-run" / "models" / "lin" / "approach.json", "earlier model\n");
  write(out.path() / "eval.json", "finished\n");
  write(out.path() / "models" / "lin" / "approach.json", "newer model\n");
  EXPECT_FALSE(put_back_earlier_results(out.path()));
  EXPECT_EQ(read(out.path() / "eval.json"), "finished\n");
  EXPECT_EQ(read(out.path() / "models" / "lin" / "approach.json"), "newer model\n");
  EXPECT_FALSE(std::filesystem::exists(out.path() / ".earlier-run"));
}

}  // namespace
}  // namespace tunecase
