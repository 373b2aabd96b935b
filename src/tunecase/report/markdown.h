#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// `text` (a label, an approach name, a sample) as one line of Markdown that shows it as written,
// in a table cell or a sentence: '|' would end the cell, '<' could open raw HTML (a label
// "<script>"), '\' would escape what follows, '*', '`' and '~' would make emphasis, code or a
// strike-through, so each is backslash-escaped; so are '_' at a word's edge (emphasis; inside a
// word, alpha_alarm_query reads as written), '[' that opens a link or an image, '&' that starts
// an entity and '#' that starts a heading; a line break would end the row or the paragraph, so
// it becomes a space.
std::string markdown_text(std::string_view text);

// `text` as an inline code span: shown exactly as written (no emphasis, no HTML), one fence of
// backticks longer than any run inside it, line breaks as spaces. For labels in a list, where a
// label's own commas or spaces would blur where it ends. Not for table cells ('|' ends the cell
// even in a code span): use markdown_text there.
std::string code_span(std::string_view text);

}  // namespace tunecase
