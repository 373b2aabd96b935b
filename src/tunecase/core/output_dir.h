#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tunecase {

// Every command writes its results through these two, so an unwritable folder or a failed write
// is a UserError naming the path (and what to do), never an internal error or a silent loss.

// Creates `dir` and its parents when missing. `flag` names the option the user set (--out).
void create_output_dir(const std::filesystem::path& dir, std::string_view flag = "--out");

// Writes `text` to `file` (replacing it) and checks that every byte reached the disk: the text
// goes to a temporary file beside it that is renamed into place, so a crash leaves either the
// old file or the new one, never half of one.
void write_file(const std::filesystem::path& file, std::string_view text);

// Files that belong together (a memo's JSON, Markdown and HTML): each is written to its temporary
// first, and only when all are whole are they renamed into place, so a full disk leaves the
// earlier set as it was, not a new memo.md beside an old memo.html.
void write_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

// UserError when `file`, which the user named as `what` ("the prompt template (template_file)"),
// is a folder: reading one had ended in an internal error, or in a message about its contents.
void refuse_folder_as_file(const std::filesystem::path& file, std::string_view what);

// `name` (valid UTF-8) as one path component: letters and digits of any script (the bytes of
// every multi-byte UTF-8 character are kept), '-', '_' and '.' stay; every other ASCII character
// becomes '_'; `fallback` when nothing usable is left ("", ".", "..").
std::string path_component_of(std::string_view name, std::string_view fallback);

// Whether the disk holding `file` has under 1 MiB left: SQLite reports a write that ran out of
// room as a "disk I/O error" as often as "disk full", and the message should say which.
bool disk_nearly_full(const std::filesystem::path& file);

}  // namespace tunecase
