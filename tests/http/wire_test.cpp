#include "tunecase/http/wire.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tunecase::http {
namespace {

namespace bhttp = boost::beast::http;

// What Beast itself writes for a message: the bytes to_wire must give.
template <bool isRequest>
std::string beast_bytes(const bhttp::message<isRequest, bhttp::string_body>& message) {
  std::ostringstream out;
  out << message;
  return out.str();
}

TEST(Wire, AResponseIsTheBytesBeastWouldWrite) {
  bhttp::response<bhttp::string_body> message{bhttp::status::ok, 11};
  message.set(bhttp::field::server, "tunecase");
  message.set(bhttp::field::content_type, "application/json");
  message.insert("Retry-After", "2");
  message.keep_alive(false);
  message.body() = std::string(70000, 'x') + "{\"label\":\"billing\"}";
  message.prepare_payload();
  std::string wire = to_wire(message);
  EXPECT_EQ(wire, beast_bytes(message));
  EXPECT_TRUE(wire.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(wire.find("Content-Length: 70019\r\n"), std::string::npos);
  EXPECT_TRUE(wire.ends_with("{\"label\":\"billing\"}"));
}

TEST(Wire, ARequestAndAnEmptyBodyAreTheBytesBeastWouldWrite) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/v1/chat/completions", 11};
  request.set(bhttp::field::host, "127.0.0.1:8080");
  request.set(bhttp::field::content_type, "application/json");
  request.body() = R"({"model":"m","messages":[]})";
  request.prepare_payload();
  EXPECT_EQ(to_wire(request), beast_bytes(request));

  bhttp::response<bhttp::string_body> empty{bhttp::status::no_content, 10};
  empty.prepare_payload();
  EXPECT_EQ(to_wire(empty), beast_bytes(empty));
  EXPECT_TRUE(to_wire(empty).starts_with("HTTP/1.0 204 No Content\r\n"));
}

}  // namespace
}  // namespace tunecase::http
