#include "tunecase/llm/http_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <utility>  // before Asio: Boost 1.74 misses it

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "tunecase/http/server.h"
#include "tunecase/llm/sim_llm_server.h"

namespace tunecase {
namespace {

std::string chat_body(const std::string& text) {
  return nlohmann::json{
      {"model", "sim"},
      {"messages", {{{"role", "user"}, {"content", "Text: " + text + "\nLabel:"}}}}}
      .dump();
}

// Requests a test server leaves unanswered.
class HeldAnswers {
 public:
  void add(http::Responder responder) {
    std::lock_guard lock(mutex_);
    held_.push_back(std::move(responder));
  }

 private:
  std::mutex mutex_;
  std::vector<http::Responder> held_;
};

// Every test runs on both engines: the parameter says whether plain http:// goes through
// libcurl (as https:// always does) instead of the Asio engine.
class HttpEngines : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<HttpClient> make_client(int max_connections = 256) const {
    HttpClientOptions options;
    options.max_connections = max_connections;
    options.curl_only = GetParam();
    return make_http_client(std::move(options));
  }
};

class HttpClientTest : public HttpEngines {
 protected:
  void SetUp() override { port_ = server_.start(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  SimLlmServer server_{SimLlmOptions{}};
  int port_ = 0;
  std::unique_ptr<HttpClient> client_ = make_client();
};

TEST_P(HttpClientTest, GetReturnsStatusBodyAndLowerCasedHeaders) {
  HttpRequest request;
  request.method = "GET";
  request.url = url("/v1/models");
  auto response = http_send_sync(*client_, request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.transport_error, "");
  EXPECT_EQ(response.headers.at("x-tunecase-simulated"), "1");
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body)["data"][0]["id"], "sim-llm");
  EXPECT_GT(response.elapsed_ms, 0);
}

TEST_P(HttpClientTest, PostSendsBodyAndHeaders) {
  HttpRequest request;
  request.url = url("/v1/chat/completions");
  request.headers = {{"Content-Type", "application/json"}};
  request.body = chat_body("hello");
  auto response = http_send_sync(*client_, request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(nlohmann::json::parse(response.body)["object"], "chat.completion");
}

// A header value with a line break would end the header and start another (a key read with a
// newline had sent "X-Injected: yes" as a header of its own): the request is never sent.
TEST_P(HttpClientTest, AHeaderWithALineBreakIsNeverSent) {
  HttpRequest request;
  request.url = url("/v1/chat/completions");
  request.headers = {{"Authorization", "Bearer sk-test\r\nX-Injected: yes"}};
  request.body = chat_body("hello");
  auto response = http_send_sync(*client_, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error,
            "the Authorization header holds a line break; no request was sent");
  EXPECT_EQ(response.copies_sent, 0);
}

TEST_P(HttpClientTest, ReportsErrorStatusesAsResponsesNotTransportErrors) {
  HttpRequest request;
  request.url = url("/v1/chat/completions");
  request.body = "{not json";
  auto response = http_send_sync(*client_, request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.transport_error, "");
  EXPECT_FALSE(response.timed_out);
}

TEST_P(HttpEngines, TimesOutWithAClearMessage) {
  SimLlmOptions options;
  options.rate_timeout = 1.0;  // the server never answers
  SimLlmServer server(options);
  int port = server.start();
  auto client = make_client();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
  request.body = chat_body("slow");
  request.timeout = std::chrono::milliseconds(300);
  auto response = http_send_sync(*client, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.timed_out);
  EXPECT_EQ(response.transport_error, "timed out after 300 ms");
  EXPECT_GE(response.elapsed_ms, 290);
  EXPECT_LT(response.elapsed_ms, 3000);
}

// An answer longer than the request's max_response_bytes is cut off there and fails, saying so:
// not read on into memory (a wrong base_url serving a large file), and not worth a retry.
TEST_P(HttpClientTest, AnAnswerOverItsSizeLimitIsCutOffAndSaysSo) {
  HttpRequest request;
  request.url = url("/v1/chat/completions");
  request.body = chat_body("hello");
  auto whole = http_send_sync(*client_, request);
  ASSERT_EQ(whole.status, 200);
  ASSERT_GT(whole.body.size(), 100u);
  request.max_response_bytes = 100;
  auto cut = http_send_sync(*client_, request);
  EXPECT_TRUE(cut.too_large);
  EXPECT_EQ(cut.status, 0);
  // Its header had arrived: a 2xx cut off, which the runner charges at its worst case.
  EXPECT_EQ(cut.status_before_failure, 200);
  EXPECT_LE(cut.body.size(), 100u);
  EXPECT_NE(cut.transport_error.find("is over 100 bytes"), std::string::npos)
      << cut.transport_error;
  EXPECT_NE(cut.transport_error.find("127.0.0.1:" + std::to_string(port_)), std::string::npos);
  request.max_response_bytes = whole.body.size();  // exactly the limit: answered
  auto fits = http_send_sync(*client_, request);
  EXPECT_EQ(fits.status, 200) << fits.transport_error;
  EXPECT_FALSE(fits.too_large);
}

// A server on a raw socket that answers each request with `parts`, written one at a time with
// a pause between them: an answer's header and body in separate TCP segments, as many servers
// send them (the header flushed before the body is ready).
class PacedServer {
 public:
  explicit PacedServer(std::vector<std::string> parts) : parts_(std::move(parts)) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~PacedServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void serve() {
    for (;;) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) return;
      socket.set_option(boost::asio::ip::tcp::no_delay(true));
      std::string request;
      char chunk[4096];
      // The request's header and its Content-Length body.
      while (request.find("\r\n\r\n") == std::string::npos ||
             request.size() < request.find("\r\n\r\n") + 4 + content_length(request)) {
        std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
        if (ec) break;
        request.append(chunk, n);
      }
      for (const auto& part : parts_) {
        boost::asio::write(socket, boost::asio::buffer(part), ec);
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
      }
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }
  static std::size_t content_length(const std::string& request) {
    auto at = request.find("Content-Length: ");
    if (at == std::string::npos) at = request.find("content-length: ");
    return at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
  }

  std::vector<std::string> parts_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  int port_ = 0;
  std::thread thread_;
};

// The header in one segment and the body in the next: the body is read (it was refused as over
// the size limit, whatever its size).
TEST_P(HttpEngines, AnAnswerWhoseBodyComesAfterItsHeaderIsReadWhole) {
  const std::string body = R"({"choices":[{"message":{"content":"refund"}}]})";
  for (const char* version : {"HTTP/1.0", "HTTP/1.1"}) {
    PacedServer server(
        {fmt::format("{} 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
                     "Connection: close\r\n\r\n",
                     version, body.size()),
         body});
    auto client = make_client();
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/chat/completions";
    request.body = chat_body("hello");
    auto response = http_send_sync(*client, request);
    EXPECT_EQ(response.status, 200) << version << ": " << response.transport_error;
    EXPECT_EQ(response.body, body) << version;
    EXPECT_FALSE(response.too_large) << version;
  }
}

// Answers the first request it reads (keeping the connection alive) and closes every connection
// on each later request without answering: a server that acted on a request and lost its answer.
class ClosesAfterFirstAnswer {
 public:
  ClosesAfterFirstAnswer() {
    using boost::asio::ip::tcp;
    acceptor_.open(tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept(); });
  }
  // After the client: its kept-alive connections are closed, so each connection's thread ends.
  ~ClosesAfterFirstAnswer() {
    stopping_ = true;
    boost::asio::ip::tcp::socket wake(io_);  // a blocking accept does not see the close
    boost::system::error_code ignored;
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)},
                 ignored);
    thread_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void accept() {
    while (!stopping_) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) return;
      connections_.emplace_back([this, socket] { serve(*socket); });
    }
  }
  void serve(boost::asio::ip::tcp::socket& socket) {
    boost::system::error_code ec;
    std::string pending;
    char chunk[4096];
    while (!ec) {
      std::size_t end = pending.find("\r\n\r\n");
      if (end == std::string::npos) {
        std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
        pending.append(chunk, ec ? 0 : n);
        continue;
      }
      pending.erase(0, end + 4);  // the tests' requests have no body
      if (++requests_ > 1) break;
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      boost::asio::write(socket, boost::asio::buffer(answer), ec);
    }
    socket.close(ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> connections_;
  std::thread thread_;
};

// A request marked send_once is never sent a second time when its connection closes without an
// answer (a fine-tuning job would be created and billed twice); other requests are sent once
// more on a new connection when a kept-alive one turns out closed, as HTTP clients do.
TEST_P(HttpEngines, ASendOnceRequestIsNotSentAgainWhenItsConnectionCloses) {
  for (bool once : {true, false}) {
    ClosesAfterFirstAnswer server;
    auto client = make_client();  // destroyed first
    HttpRequest request;
    request.method = "GET";
    request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/fine_tuning/jobs";
    ASSERT_EQ(http_send_sync(*client, request).status, 200);
    request.send_once = once;
    auto response = http_send_sync(*client, request);
    EXPECT_EQ(response.status, 0) << once;
    EXPECT_NE(response.transport_error, "") << once;
    if (once)
      EXPECT_EQ(server.requests(), 2);
    else
      EXPECT_EQ(server.requests(), 3);  // the resend this test would otherwise not exercise
    // The server read the copy it then closed on: the answer counts it as sent (the runner's
    // requests_sent and the audit follow), on the Asio engine, which sees the write complete.
    if (!once && !GetParam()) {
      EXPECT_EQ(response.copies_sent, 2);
    }
  }
}

// A kept-alive connection whose earlier request had a long time-out still times out a later
// request at the later one's own, shorter time-out.
TEST_P(HttpEngines, ALaterRequestOnAKeptAliveConnectionTimesOutOnTime) {
  http::ServerOptions options;
  std::atomic<bool> answer{true};
  HeldAnswers held;
  http::Server server(options, [&](http::Request, http::Responder responder) {
    if (answer) return responder.respond(http::Response::text(200, "ok"));
    held.add(std::move(responder));
  });
  int port = server.start();
  auto client = make_client();
  HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  request.timeout = std::chrono::milliseconds(20000);
  ASSERT_EQ(http_send_sync(*client, request).status, 200);
  answer = false;
  request.timeout = std::chrono::milliseconds(300);
  auto response = http_send_sync(*client, request);
  EXPECT_TRUE(response.timed_out) << response.status << " " << response.transport_error;
  EXPECT_EQ(response.transport_error, "timed out after 300 ms");
  EXPECT_LT(response.elapsed_ms, 5000);
  answer = true;  // and the client goes on: the timed-out connection is not handed out again
  request.timeout = std::chrono::milliseconds(20000);
  auto after = http_send_sync(*client, request);
  EXPECT_EQ(after.status, 200) << after.transport_error;
  server.stop();
}

// A provider that quotes the key it was sent in its error text: the caller sees "***", so no
// error message, log line or stored prediction can carry the key.
TEST_P(HttpEngines, TheRequestsKeyIsMaskedInTheAnswer) {
  http::Server server(http::ServerOptions{}, [](http::Request q, http::Responder responder) {
    responder.respond(http::Response::text(
        401, "Incorrect API key provided: " + q.headers.get("authorization") + " / " +
                 q.headers.get("x-api-key") + " / short " + q.headers.get("x-other")));
  });
  int port = server.start();
  auto client = make_client();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
  request.headers = {{"Authorization", "Bearer sk-test-SECRET123"},
                     {"x-api-key", "ant-SECRET456-key"},
                     {"x-other", "not-a-secret-header"}};
  auto response = http_send_sync(*client, request);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body.find("SECRET"), std::string::npos) << response.body;
  EXPECT_EQ(response.body,
            "Incorrect API key provided: Bearer *** / *** / short not-a-secret-header");
  server.stop();
}

// The key quoted inside a JSON error body with its punctuation escaped ("sk\u002d..."): a JSON
// reader turns it back into the key, which reached stderr, the store and the dashboard.
TEST_P(HttpEngines, TheKeyIsMaskedWhenTheAnswerEscapesItsPunctuation) {
  http::Server server(http::ServerOptions{}, [](http::Request, http::Responder responder) {
    responder.respond(http::Response::json(
        401, R"({"error":{"message":"bad key sk\u002dtest\u002dSECRET123"}})"));
  });
  int port = server.start();
  auto client = make_client();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
  request.headers = {{"Authorization", "Bearer sk-test-SECRET123"}};
  auto response = http_send_sync(*client, request);
  EXPECT_EQ(response.status, 401);
  auto message = nlohmann::json::parse(response.body)["error"]["message"].get<std::string>();
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  server.stop();
}

TEST_P(HttpEngines, ConnectionRefusedNamesHostAndPort) {
  // A port that was free a moment ago: bind, read the port, close.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  int port = acceptor.local_endpoint().port();
  acceptor.close();

  auto client = make_client();
  HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/models";
  auto response = http_send_sync(*client, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.timed_out);
  EXPECT_EQ(response.transport_error, "connection refused to 127.0.0.1:" + std::to_string(port));
}

TEST_P(HttpEngines, CompletesTwoHundredRequestsInFlightAtOnce) {
  SimLlmOptions options;
  options.latency_base_ms = 300;  // every request is still open when the last one is sent
  options.threads = 2;
  SimLlmServer server(options);
  int port = server.start();
  auto client = make_client(256);

  constexpr int kRequests = 200;
  std::mutex mutex;
  std::condition_variable all_done;
  int done = 0, ok = 0;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
    request.body = chat_body("item " + std::to_string(i));
    client->submit(std::move(request), [&](HttpResponse response) {
      std::lock_guard lock(mutex);
      ok += response.status == 200;
      if (++done == kRequests) all_done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(20), [&] { return done == kRequests; }));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(ok, kRequests);
  // Sequential would take 200 x 0.3 s = 60 s; concurrent takes about one latency.
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(server.stats().completions, static_cast<uint64_t>(kRequests));
}

TEST_P(HttpEngines, DestroyingTheClientCompletesOpenRequests) {
  SimLlmOptions options;
  options.rate_timeout = 1.0;
  SimLlmServer server(options);
  int port = server.start();
  std::atomic<int> calls{0};
  std::string error;
  {
    auto client = make_client();
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
    request.body = chat_body("never answered");
    client->submit(std::move(request), [&](HttpResponse response) {
      error = response.transport_error;
      ++calls;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(error, "client shut down");
}

std::string engine_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "curl" : "asio";
}
INSTANTIATE_TEST_SUITE_P(Engines, HttpEngines, ::testing::Bool(), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, HttpClientTest, ::testing::Bool(), engine_name);

}  // namespace
}  // namespace tunecase
