#include "tunecase/core/output_dir.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
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

// What `write` throws, run in a child process whose files may not grow past 64 bytes: the write
// fails as on a full disk, in that process alone. "" when it throws nothing.
std::string error_past_64_bytes(const std::function<void()>& write) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "pipe failed";
  pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64, 64};
    setrlimit(RLIMIT_FSIZE, &limit);
    std::string what;
    try {
      write();
    } catch (const UserError& e) {
      what = e.what();
    }
    (void)!::write(pipe_fds[1], what.data(), what.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string what;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    what.append(buffer, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return what;
}

// A failed write says the system's reason and leaves the file there before as it was: a full
// disk had left a cut-off monitor.json in place of the good one, with "cannot write the file".
TEST(WriteFile, AFailedWriteSaysWhyAndLeavesTheEarlierFileWhole) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "report.json";
  write_file(file, "{\"earlier\": true}\n");
  const std::string what = error_past_64_bytes([&] { write_file(file, std::string(4096, 'x')); });
  EXPECT_NE(what.find("File too large"), std::string::npos) << what;
  EXPECT_NE(what.find("is unchanged"), std::string::npos) << what;
  EXPECT_EQ(read_all(file), "{\"earlier\": true}\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "report.json.tmp"));
}

// Files written together are replaced together or not at all: a full disk had left a new memo.md
// beside an old memo.html, each telling another figure.
TEST(WriteFile, FilesWrittenTogetherAreReplacedTogetherOrNotAtAll) {
  testing::TempDir dir;
  const std::filesystem::path json = dir.path() / "decision.json", md = dir.path() / "memo.md";
  write_files({{json, "old json"}, {md, "old md"}});
  const std::string what = error_past_64_bytes([&] {
    write_files({{json, "new json"}, {md, std::string(4096, 'm')}});
  });
  EXPECT_NE(what.find("none of the 2 files written together was replaced"), std::string::npos)
      << what;
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
