#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The request and response a route sees: plain values, no Boost types, so routes (sim-llm, the
// gateway) are written and tested without a socket.
namespace tunecase::http {

// Header fields in arrival order. Names compare case-insensitively (RFC 9110 section 5.1);
// values are kept exactly as sent.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // The first value of `name`, or nullopt when the field is absent.
  std::optional<std::string_view> find(std::string_view name) const;
  // The first value of `name`, or "" when the field is absent.
  std::string get(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }
  // Replaces every field called `name` with one field.
  void set(std::string_view name, std::string value);
  // Appends a field, keeping earlier ones of the same name.
  void add(std::string name, std::string value);
  void reserve(std::size_t fields) { fields_.reserve(fields); }

  const std::vector<Field>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }

 private:
  std::vector<Field> fields_;
};

// ASCII case-insensitive equality, the comparison HTTP uses for field names and methods.
bool equals_ignoring_case(std::string_view a, std::string_view b);

// The items of a list-valued field ("gzip, chunked"; RFC 9110 5.6.1): split at commas, spaces
// and tabs trimmed, empty items left out. Views into `value`.
std::vector<std::string_view> field_items(std::string_view value);

struct Request {
  std::string method;  // as sent, e.g. "GET", "POST"
  std::string target;  // as sent, e.g. "/v1/pilot?arm=b"
  std::string path;    // the target before '?', not percent-decoded
  std::string query;   // the target after '?', not decoded; "" when there is none
  Headers headers;
  std::string body;  // at most ServerOptions::max_body_bytes
  int version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string remote_address;

  // The first value of query parameter `name`, percent-decoded ('+' read as a space); nullopt
  // when the parameter is absent. A parameter without '=' has the value "".
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // "" sends no Content-Type
  // Extra fields (Retry-After, Cache-Control, ...). The server sets Content-Length, Server and
  // Connection itself.
  Headers headers;
  std::string body;
  bool close = false;  // close the connection after this response, even if kept alive

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
};

// Percent-decodes a query component ('+' becomes a space). Malformed escapes are kept as sent.
std::string percent_decode(std::string_view text);

// The default body of the answers the server gives by itself (400, 413, 431, 503, 504):
// {"error": {"message": MESSAGE, "status": STATUS}}.
Response default_error_page(int status, const std::string& message);

}  // namespace tunecase::http
