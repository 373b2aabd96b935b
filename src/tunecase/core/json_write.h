#pragma once

#include <string>
#include <string_view>

// Writing JSON text directly, for the few bodies built on every request of the gateway (the
// Chat Completions request, the classify answer). The bytes are those nlohmann::json's dump()
// writes for the same value, so a body reads the same whichever way it was built.
namespace tunecase {

// `text` as a JSON string, quotes included, appended to `out`. `text` must be valid UTF-8
// (check with invalid_utf8_offset); it is copied as is but for `"`, `\` and the control
// characters, escaped as dump() escapes them (\b \f \n \r \t, else \u00XX).
void append_json_string(std::string& out, std::string_view text);

}  // namespace tunecase
