#include "tunecase/core/output_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {

void create_output_dir(const std::filesystem::path& dir, std::string_view flag) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw UserError(fmt::format("{}: cannot create the output folder ({}); choose another {}",
                                dir.string(), ec ? ec.message() : "a file has that name", flag));
  }
  // A folder that exists but takes no files (no permission, a read-only disk, /proc) is refused
  // now, not after the work whose results it was to hold.
  std::filesystem::path probe = dir / fmt::format(".tunecase-write-check-{}", ::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) return;  // a file of that name: the folder takes files
    // A folder that exists and refuses a new file as missing (/proc): said as what it is.
    throw UserError(
        fmt::format("{}: cannot write in the output folder ({}); choose another {}", dir.string(),
                    error == ENOENT ? "it takes no new files" : std::strerror(error), flag));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

namespace {

// What the system said, and what to do about it: "No space left on device" is the disk's.
std::string write_failure(const std::filesystem::path& file, int error) {
  const char* remedy = error == ENOSPC || error == EDQUOT  ? "free space on its disk"
                       : error == EROFS                    ? "the folder is on a read-only disk"
                       : error == ENOENT                   ? "the folder does not exist"
                       : error == EACCES || error == EPERM ? "check the folder's permissions"
                                                           : "check the output folder";
  return fmt::format(
      "{}: cannot write ({}); {}, or choose another output folder; the file "
      "there before, if any, is unchanged",
      file.string(), std::strerror(error), remedy);
}

}  // namespace

namespace {

// `text` into FILE.tmp, every byte checked: the temporary's path, or UserError (the temporary
// removed) saying the system's reason.
std::filesystem::path write_temporary(const std::filesystem::path& file, std::string_view text) {
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  {
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw UserError(write_failure(file, errno));
    std::size_t written = 0;
    int error = 0;
    while (written < text.size()) {
      ssize_t n = ::write(fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n < 0 ? errno : ENOSPC;
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0 && error == 0) error = errno;
    if (error != 0) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw UserError(write_failure(file, error));
    }
  }
  return temporary;
}

}  // namespace

void write_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
  std::vector<std::filesystem::path> written;
  try {
    for (const auto& [file, text] : files) written.push_back(write_temporary(file, text));
  } catch (const UserError& e) {
    std::error_code ignored;
    for (const auto& temporary : written) std::filesystem::remove(temporary, ignored);
    throw UserError(fmt::format("{} (none of the {} files written together was replaced)", e.what(),
                                files.size()));
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(written[i], files[i].first, ec);
    if (ec) {
      std::error_code ignored;  // ec's message is the one to give ("Success" had been given)
      for (std::size_t j = i; j < files.size(); ++j) std::filesystem::remove(written[j], ignored);
      throw UserError(fmt::format("{}: cannot write ({}); check the output folder",
                                  files[i].first.string(), ec.message()));
    }
  }
}

void write_file(const std::filesystem::path& file, std::string_view text) {
  refuse_folder_as_file(file, "a file to write");
  std::filesystem::path temporary = write_temporary(file, text);
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::error_code ignored;  // ec's message is the one to give ("Success" had been given)
    std::filesystem::remove(temporary, ignored);
    throw UserError(
        fmt::format("{}: cannot write ({}); check the output folder", file.string(), ec.message()));
  }
}

void refuse_folder_as_file(const std::filesystem::path& file, std::string_view what) {
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored))
    throw UserError(fmt::format("{}: is a folder, not {}; give the path of the file itself",
                                file.string(), what));
}

std::string path_component_of(std::string_view name, std::string_view fallback) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    bool ok = u >= 0x80 || std::isalnum(u) || c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out == "." || out == "..") out = fallback;
  return out;
}

bool disk_nearly_full(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  const std::filesystem::space_info space = std::filesystem::space(dir, ec);
  return !ec && space.available < (std::uintmax_t{1} << 20);
}

}  // namespace tunecase
