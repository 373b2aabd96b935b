#include "tunecase/http/wire.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <stdexcept>

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

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& from) {
  return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
}

std::string some_body(std::mt19937& rng) {
  std::size_t n = std::uniform_int_distribution<std::size_t>(0, 3)(rng) == 0
                      ? 0
                      : std::uniform_int_distribution<std::size_t>(1, 300)(rng);
  std::string body(n, 'b');
  for (char& c : body) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
  return body;
}

const std::vector<std::string> kValues = {"1",
                                          " spaced\t",
                                          "no-store",
                                          "",
                                          "a\r\nX-Forged: 1",
                                          "Bearer sk-test",
                                          std::string(61000, 'v')};

// The server's answers written straight into a string are, byte for byte, what the Beast
// message of them gives; what the direct writer declines goes through the message.
TEST(Wire, DirectResponsesAreTheBytesOfTheirMessage) {
  const std::vector<int> statuses = {200, 201, 202, 299, 400, 404, 413, 422, 429, 431,  500,
                                     502, 503, 504, 599, 204, 304, 100, 101, 99,  1000, -5};
  const std::vector<std::string> servers = {"tunecase", " tunecase ", "x\r\ny"};
  const std::vector<std::string> types = {"application/json", "", "text/plain; charset=utf-8",
                                          " padded\t", "a\nb"};
  const std::vector<std::string> names = {"Retry-After",
                                          "Cache-Control",
                                          "X-Trace",
                                          "content-length",
                                          "Connection",
                                          "SERVER",
                                          "Content-Type",
                                          "X\r\nEvil",
                                          "",
                                          "Host"};
  std::mt19937 rng(7);
  int direct_count = 0;
  for (int i = 0; i < 20000; ++i) {
    Response r;
    r.status = pick(rng, statuses);
    r.content_type = pick(rng, types);
    int fields = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int f = 0; f < fields; ++f) r.headers.add(pick(rng, names), pick(rng, kValues));
    r.body = some_body(rng);
    unsigned version = std::uniform_int_distribution<int>(0, 1)(rng) ? 11 : 10;
    bool keep_alive = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    const std::string& server = pick(rng, servers);
    auto direct = direct_response_wire(r, version, keep_alive, server);
    std::string expected;
    try {
      expected = message_response_wire(r, version, keep_alive, server);
    } catch (const std::exception&) {
      EXPECT_FALSE(direct) << "status " << r.status;  // Beast refuses it: so must the writer
      continue;
    }
    EXPECT_EQ(response_wire(r, version, keep_alive, server), expected);
    if (!direct) continue;
    ++direct_count;
    ASSERT_EQ(*direct, expected) << "status " << r.status << " version " << version;
  }
  EXPECT_GT(direct_count, 2000);  // the common answers take the direct way
  Response ordinary = Response::json(200, R"({"label":"billing"})");
  EXPECT_TRUE(direct_response_wire(ordinary, 11, true, "tunecase"));
}

TEST(Wire, DirectRequestsAreTheBytesOfTheirMessage) {
  const std::vector<std::string> methods = {"POST", "GET", "PUT", "DELETE", "PATCH", "REPORT"};
  const std::vector<std::string> targets = {"/", "/v1/chat/completions", "/v1/x?model=a&b=c"};
  const std::vector<std::string> hosts = {"127.0.0.1:8080", "api.openai.com", " padded "};
  const std::vector<std::string> names = {
      "Authorization",  "Content-Type", "x-api-key",         "anthropic-version", "Host",
      "content-length", "Connection",   "Transfer-Encoding", "Bad\nName",         ""};
  std::mt19937 rng(11);
  int direct_count = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string& method = pick(rng, methods);
    const std::string& target = pick(rng, targets);
    const std::string& host = pick(rng, hosts);
    std::vector<std::pair<std::string, std::string>> headers;
    int fields = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int f = 0; f < fields; ++f) headers.emplace_back(pick(rng, names), pick(rng, kValues));
    std::string body = some_body(rng);
    auto direct = direct_request_wire(method, target, host, headers, body);
    std::string expected;
    try {
      expected = message_request_wire(method, target, host, headers, body);
    } catch (const std::exception&) {
      EXPECT_FALSE(direct);
      continue;
    }
    EXPECT_EQ(request_wire(method, target, host, headers, body), expected);
    if (!direct) continue;
    ++direct_count;
    ASSERT_EQ(*direct, expected) << method << " " << target;
  }
  EXPECT_GT(direct_count, 2000);
}

}  // namespace
}  // namespace tunecase::http
