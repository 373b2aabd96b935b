#pragma once

#include <string>
#include <string_view>

namespace tunecase {

// `text` (a label, an approach name, a sample) as one line of Markdown that shows it as written,
// in a table cell or a sentence: '|' would end the cell, '<' could open raw HTML (a label
// "<script>"), and '\' would escape what follows, so each is backslash-escaped; a line break
// would end the row or the paragraph, so it becomes a space.
std::string markdown_text(std::string_view text);

}  // namespace tunecase
