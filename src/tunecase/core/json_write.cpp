#include "tunecase/core/json_write.h"

#include <algorithm>

#include "tunecase/core/hash.h"

namespace tunecase {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    // The stretch that needs no escape, copied at once.
    const char* stop = std::find_if(p, end, [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
    });
    out.append(p, stop);
    if (stop == end) break;
    char c = *stop;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        append_hex(out, static_cast<unsigned char>(c), 2);
    }
    p = stop + 1;
  }
  out += '"';
}

}  // namespace tunecase
