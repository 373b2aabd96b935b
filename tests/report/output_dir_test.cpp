#include "tunecase/core/output_dir.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../data/data_test_support.h"
#include "tunecase/core/error.h"

namespace tunecase {
namespace {

using ::testing::HasSubstr;

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A failed write says the system's reason and leaves the file there before as it was: a full
// disk had left a cut-off monitor.json in place of the good one, with "cannot write the file".
TEST(WriteFile, AFailedWriteSaysWhyAndLeavesTheEarlierFileWhole) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "report.json";
  write_file(file, "{\"earlier\": true}\n");
  pid_t child = fork();
  if (child == 0) {
    // A file size limit makes the write fail as a full disk does, in this process alone.
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64, 64};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file(file, std::string(4096, 'x'));
    } catch (const UserError& e) {
      const std::string what = e.what();
      _exit(what.find("File too large") != std::string::npos &&
                    what.find("is unchanged") != std::string::npos
                ? 0
                : 2);
    }
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_all(file), "{\"earlier\": true}\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "report.json.tmp"));
}

// Files written together are replaced together or not at all: a full disk had left a new memo.md
// beside an old memo.html, each telling another figure.
TEST(WriteFile, FilesWrittenTogetherAreReplacedTogetherOrNotAtAll) {
  testing::TempDir dir;
  const std::filesystem::path json = dir.path() / "decision.json", md = dir.path() / "memo.md";
  write_files({{json, "old json"}, {md, "old md"}});
  pid_t child = fork();
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64, 64};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_files({{json, "new json"}, {md, std::string(4096, 'm')}});
    } catch (const UserError& e) {
      _exit(std::string(e.what()).find("none of the 2 files written together was replaced") !=
                    std::string::npos
                ? 0
                : 2);
    }
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_all(json), "old json");
  EXPECT_EQ(read_all(md), "old md");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "decision.json.tmp"));
  write_files({{json, "new json"}, {md, "new md"}});
  EXPECT_EQ(read_all(json), "new json");
  EXPECT_EQ(read_all(md), "new md");
}

TEST(WriteFile, AMissingFolderIsNamedAsSuch) {
  testing::TempDir dir;
  try {
    write_file(dir.path() / "no-such-folder" / "memo.md", "text");
    FAIL() << "written into a folder that does not exist";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
    EXPECT_THAT(e.what(), HasSubstr("the folder does not exist"));
  }
}

}  // namespace
}  // namespace tunecase
