#pragma once

// Internal to the llm module: the Boost.Asio engine behind make_http_client() for plain
// http:// URLs. Nothing outside src/tunecase/llm/ includes this header.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tunecase/llm/http_client.h"

namespace tunecase::asio_http {

// The parts of an http:// URL the engine needs. nullopt for anything else (https://, user
// information, a malformed authority): those go to libcurl.
struct HttpTarget {
  std::string host;         // without the brackets of an IPv6 literal
  std::string port;         // "80" when the URL names none
  std::string host_header;  // the authority as written: the Host header
  std::string path;         // path and query, "/" when empty
  std::string pool_key;     // host and port: the connections a request to it may reuse
};
std::optional<HttpTarget> parse_http_url(std::string_view url);
// parse_http_url, remembered for the last few URLs this thread parsed: a gateway sends every
// request to the same one or two, and parsing each again cost more than the rest of a submit.
// nullptr where parse_http_url gives nullopt.
std::shared_ptr<const HttpTarget> parsed_http_url(const std::string& url);

// Keep-alive connections pooled per event loop, host and port, at most `max_connections` open
// at once (further requests wait, their time-out running). Every operation runs on one of
// `loops`: the one whose thread submits the request, else the next in turn; without loops, on
// one I/O thread of the client's own.
std::unique_ptr<HttpClient> make_asio_http_client(
    int max_connections, std::vector<std::shared_ptr<boost::asio::io_context>> loops);

}  // namespace tunecase::asio_http
