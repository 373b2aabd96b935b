#pragma once

// Debian's Chromium, headless, driven over the DevTools protocol (a WebSocket, Boost.Beast):
// the dashboard tests open the page as a person would and read what it shows. Every wait is
// bounded, so a broken page fails a test instead of hanging it; the browser is killed with the
// object.

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../http/test_client.h"

namespace tunecase::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

class HeadlessChromium {
 public:
  using json = nlohmann::json;

  // Starts the browser on about:blank with its own profile under `profile_dir`.
  explicit HeadlessChromium(const std::filesystem::path& profile_dir) : profile_(profile_dir) {
    std::filesystem::create_directories(profile_);
    std::vector<std::string> args = {kChromium,
                                     "--headless",
                                     "--no-sandbox",  // CI runs as root
                                     "--disable-gpu",
                                     "--hide-scrollbars",
                                     "--no-first-run",
                                     "--remote-debugging-port=0",
                                     "--user-data-dir=" + profile_.string(),
                                     "about:blank"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    const std::string log = (profile_ / "chromium.log").string();
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    int rc = posix_spawn(&pid_, kChromium, &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0) throw std::runtime_error("cannot start " + std::string(kChromium));
    connect_to_page();
  }

  ~HeadlessChromium() {
    ws_.reset();
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // A DevTools method on the page; throws on a protocol error. Events that arrive meanwhile are
  // kept in events().
  json call(const std::string& method, const json& params = json::object()) {
    const int id = next_id_++;
    ws_->write(
        boost::asio::buffer(json{{"id", id}, {"method", method}, {"params", params}}.dump()));
    for (;;) {
      json message = read();
      if (!message.contains("id")) {
        events_.push_back(std::move(message));
        continue;
      }
      if (message["id"] != id) continue;
      if (message.contains("error"))
        throw std::runtime_error(method + ": " + message["error"].dump());
      return message["result"];
    }
  }

  // The value of a JavaScript expression in the page (promises awaited).
  json evaluate(const std::string& expression) {
    json r = call("Runtime.evaluate",
                  {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
    if (r.contains("exceptionDetails"))
      throw std::runtime_error("page threw on " + expression + ": " + r["exceptionDetails"].dump());
    return r["result"].value("value", json(nullptr));
  }

  // Polls `expression` until it is true (a throw counts as not yet); false after `limit`.
  bool wait_for(const std::string& expression,
                std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      try {
        if (evaluate("Boolean(" + expression + ")") == true) return true;
      } catch (const std::runtime_error&) {
        // The page is still loading (its elements or scripts are not there yet).
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void resize(int width, int height, bool mobile) {
    call("Emulation.setDeviceMetricsOverride",
         {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", mobile}});
  }

  // A PNG of the whole page.
  void screenshot(const std::filesystem::path& file) {
    json r = call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
    std::ofstream(file, std::ios::binary) << base64_decode(r["data"].get<std::string>());
  }

  // Console errors, uncaught exceptions and failed loads the browser reported.
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const auto& e : events_) {
      const std::string method = e.value("method", "");
      const json& p = e.contains("params") ? e["params"] : json::object();
      if (method == "Runtime.exceptionThrown") out.push_back(p["exceptionDetails"].dump());
      if (method == "Runtime.consoleAPICalled" && p.value("type", "") == "error")
        out.push_back(p["args"].dump());
      if (method == "Log.entryAdded" && p["entry"].value("level", "") == "error")
        out.push_back(p["entry"].value("text", "") + " " + p["entry"].value("url", ""));
    }
    return out;
  }

 private:
  json read() {
    boost::beast::flat_buffer buffer;
    ws_->read(buffer);
    return json::parse(boost::beast::buffers_to_string(buffer.data()));
  }

  // Chromium writes its DevTools port to DevToolsActivePort in the profile once it listens.
  void connect_to_page() {
    int port = 0;
    for (int i = 0; i < 300 && port == 0; ++i) {
      std::ifstream f(profile_ / "DevToolsActivePort");
      if (!(f >> port)) {
        port = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (port == 0) throw std::runtime_error("chromium did not open its DevTools port");
    std::string ws_path;
    for (int i = 0; i < 100 && ws_path.empty(); ++i) {
      http::testing::TestClient client(port);
      auto reply = client.send("GET", "/json/list");
      for (const auto& target : json::parse(reply.body, nullptr, false))
        if (target.is_object() && target.value("type", "") == "page")
          ws_path = target.value("webSocketDebuggerUrl", "");
      if (ws_path.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ws_path.empty()) throw std::runtime_error("chromium has no page to drive");
    ws_path = ws_path.substr(ws_path.find('/', std::string("ws://").size()));
    ws_ = std::make_unique<Socket>(io_);
    boost::asio::ip::tcp::endpoint at(boost::asio::ip::make_address("127.0.0.1"), port);
    ws_->next_layer().connect(at);
    // A bounded read: a page that never answers fails the test.
    timeval limit{30, 0};
    setsockopt(ws_->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ws_->read_message_max(64 << 20);
    ws_->handshake("127.0.0.1:" + std::to_string(port), ws_path);
  }

  static std::string base64_decode(const std::string& in) {
    std::string out;
    int value = 0, bits = -8;
    for (unsigned char c : in) {
      int d = c >= 'A' && c <= 'Z'   ? c - 'A'
              : c >= 'a' && c <= 'z' ? c - 'a' + 26
              : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+'             ? 62
              : c == '/'             ? 63
                                     : -1;
      if (d < 0) continue;
      value = (value << 6) | d;
      bits += 6;
      if (bits >= 0) {
        out.push_back(char((value >> bits) & 0xFF));
        bits -= 8;
      }
    }
    return out;
  }

  using Socket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;
  std::filesystem::path profile_;
  pid_t pid_ = -1;
  boost::asio::io_context io_;
  std::unique_ptr<Socket> ws_;
  int next_id_ = 1;
  std::vector<json> events_;
};

}  // namespace tunecase::testing
