#pragma once

// A Beast message as the bytes that go on the wire, in one string.

#include <string>
#include <utility>  // before Boost: its Asio uses std::exchange without including it

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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

}  // namespace tunecase::http
