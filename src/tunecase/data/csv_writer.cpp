#include "tunecase/data/csv_writer.h"

#include <fstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {

std::string csv_field(std::string_view value) {
  bool needs_quotes = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                      (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {
void write_row(std::ofstream& out, const std::vector<std::string>& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out << ',';
    out << csv_field(row[i]);
  }
  out << "\r\n";
}
}  // namespace

void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw UserError(fmt::format("cannot write {}: it is a folder; give a file name (e.g. {})",
                                path.string(), (path / "tickets.csv").string()));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    throw UserError(fmt::format(
        "cannot write {}: the folder does not exist or is not writable; choose another --out "
        "folder",
        path.string()));
  write_row(out, header);
  for (const auto& row : rows) write_row(out, row);
  out.flush();
  if (!out)
    throw UserError(
        fmt::format("writing {} failed (disk full?); free space and run again", path.string()));
}

}  // namespace tunecase
