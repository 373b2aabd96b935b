#pragma once

// A blocking HTTP/1.1 client over one TCP connection, for the server tests: Boost.Beast on its
// own io_context, every operation bounded by a time-out so a broken server fails a test instead
// of hanging it.

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <string>

namespace tunecase::http::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

struct Reply {
  int status = 0;                              // 0 when no response arrived
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;
  std::string error;  // what failed, when status is 0
};

class TestClient {
 public:
  explicit TestClient(int port, std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : stream_(io_), timeout_(timeout) {
    stream_.expires_after(timeout_);
    stream_.connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }

  Reply send(const std::string& method, const std::string& target, const std::string& body = "",
             const std::map<std::string, std::string>& headers = {}) {
    bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
    request.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    beast::error_code ec;
    run([&](auto done) { bhttp::async_write(stream_, request, done); }, ec);
    if (ec) return failed("write: " + ec.message());
    return read_reply();
  }

  Reply read_reply() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    run([&](auto done) { bhttp::async_read(stream_, buffer_, parser, done); }, ec);
    if (ec) return failed("read: " + ec.message());
    auto& message = parser.get();
    Reply reply;
    reply.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    reply.body = message.body();
    reply.keep_alive = message.keep_alive();
    return reply;
  }

  // Writes raw bytes; true when they were all written.
  bool write_raw(const std::string& bytes) {
    beast::error_code ec;
    run([&](auto done) { net::async_write(stream_, net::buffer(bytes), done); }, ec);
    return !ec;
  }

  // Reads whatever arrives until the server closes the connection or the time-out; returns it.
  std::string read_until_closed(bool* closed = nullptr) {
    std::string out;
    char chunk[4096];
    for (;;) {
      beast::error_code ec;
      std::size_t n =
          run([&](auto done) { stream_.async_read_some(net::buffer(chunk), done); }, ec);
      out.append(chunk, n);
      if (ec) {
        if (closed) *closed = ec != beast::error::timeout;
        return out;
      }
    }
  }

  // Tells the server this client sends nothing more (a half-close); reading still works.
  void shutdown_send() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  static Reply failed(std::string error) {
    Reply reply;
    reply.error = std::move(error);
    return reply;
  }

  // Starts one operation and runs the io_context until it completes or times out; returns the
  // bytes it transferred.
  template <typename Start>
  std::size_t run(Start start, beast::error_code& ec) {
    std::size_t transferred = 0;
    stream_.expires_after(timeout_);
    start([&ec, &transferred](beast::error_code e, std::size_t n) {
      ec = e;
      transferred = n;
    });
    io_.restart();
    io_.run();
    return transferred;
  }

  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

}  // namespace tunecase::http::testing
