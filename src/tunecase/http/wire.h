#pragma once

// A Beast message as the bytes that go on the wire, in one string.

#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Boost: its Asio uses std::exchange without including it
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tunecase/http/message.h"

namespace tunecase::http {

// The bytes of `message` (start line, fields and body), as Beast's serializer writes them, in one
// string. Sending one contiguous buffer costs less than Beast's write of the message itself, which
// walks the message's buffer sequence (start line, each field, the body) on every send attempt.
template <bool isRequest>
std::string to_wire(
    boost::beast::http::message<isRequest, boost::beast::http::string_body>& message) {
  namespace beast = boost::beast;
  beast::http::serializer<isRequest, beast::http::string_body> serializer{message};
  std::string out;
  out.reserve(message.body().size() + 256);
  beast::error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (auto buffer : beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
        n += buffer.size();
      }
      serializer.consume(n);
    });
  }
  return out;
}

// A response as its bytes on the wire: the Server field, Content-Type when not empty, the extra
// fields in order (one holding a line break is not sent), Connection as keep-alive asks,
// Content-Length and the body. A status outside 100-999 is sent as 500.
std::string response_wire(Response response, unsigned version, bool keep_alive,
                          std::string_view server);
// A keep-alive HTTP/1.1 request as its bytes: start line, Host, `headers` in order,
// Content-Length (for an empty body only with POST, PUT and OPTIONS), the body.
std::string request_wire(std::string_view method, std::string_view target, std::string_view host,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string body);

// The two ways each is written, for the tests that hold them to the same bytes: through a Beast
// message, and straight into one string (no message, no allocation per field). The direct
// one gives nullopt for what only the message's writing handles as the server needs: a status
// outside 200-599, or 204 and 304, which carry no body; a field the writer sets itself, one
// with a line break, one too long; a name given twice, whose fields Beast writes together.
std::string message_response_wire(Response response, unsigned version, bool keep_alive,
                                  std::string_view server);
std::string message_request_wire(std::string_view method, std::string_view target,
                                 std::string_view host,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string body);
std::optional<std::string> direct_response_wire(const Response& response, unsigned version,
                                                bool keep_alive, std::string_view server);

std::optional<std::string> direct_request_wire(
    std::string_view method, std::string_view target, std::string_view host,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body);

}  // namespace tunecase::http
