#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

// One CSV field as RFC 4180 writes it: unchanged when it holds no comma, quote, CR or LF (and
// does not start or end with a space, which some readers trim); otherwise wrapped in double
// quotes with every inner quote doubled.
std::string csv_field(std::string_view value);

// Writes a header and rows as RFC 4180 CSV (comma-separated, CRLF line ends as the RFC says,
// UTF-8 without BOM). Rows shorter or longer than the header are written as given; the caller
// keeps them rectangular. Throws UserError naming the path when the file cannot be written.
void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

}  // namespace tunecase
