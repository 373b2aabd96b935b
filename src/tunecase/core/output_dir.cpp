#include "tunecase/core/output_dir.h"

#include <cctype>

#include <cstdio>
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
}

void write_file(const std::filesystem::path& file, std::string_view text) {
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw UserError(
          fmt::format("{}: cannot write (folder missing, read-only or disk full); "
                      "check the output folder",
                      file.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
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

}  // namespace tunecase
