#include "tunecase/http/wire.h"

#include <fmt/format.h>

#include <iterator>

#include "tunecase/core/trim.h"

namespace tunecase::http {
namespace {

namespace bhttp = boost::beast::http;

// Beast's limit on a field's name or value (its offsets are 16-bit); longer ones throw there.
constexpr std::size_t kLongField = 60000;

boost::beast::string_view beast_view(std::string_view s) {
  return {s.data(), s.size()};
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// A field the direct writers can take as it is: not one the writer sets or edits itself
// (`owned`), nor one Beast would refuse, nor one that would forge further fields.
bool plain_field(std::string_view name, std::string_view value,
                 std::initializer_list<std::string_view> owned) {
  for (std::string_view own : owned)
    if (equals_ignoring_case(name, own)) return false;
  return !name.empty() && name.size() < kLongField && value.size() < kLongField &&
         !has_line_break(name) && !has_line_break(value);
}

// Beast keeps the fields of one name together (a repeated name goes after the first): the
// direct writers take only fields whose names all differ, which they write in the order given.
template <typename Fields>
bool names_differ(const Fields& fields) {
  for (auto a = fields.begin(); a != fields.end(); ++a)
    for (auto b = std::next(a); b != fields.end(); ++b)
      if (equals_ignoring_case(a->first, b->first)) return false;
  return true;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  out.append(trim(value, " \t"));  // as Beast stores a value
  out += "\r\n";
}

bhttp::response<bhttp::string_body> to_message(Response&& response, unsigned version,
                                               bool keep_alive, std::string_view server) {
  int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(status), version};
  message.set(bhttp::field::server, beast_view(server));
  if (!response.content_type.empty() && !has_line_break(response.content_type))
    message.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers.fields()) {
    // A line break would let a value forge further fields: such a field is not sent.
    if (!name.empty() && !has_line_break(name) && !has_line_break(value))
      message.insert(name, value);
  }
  message.keep_alive(keep_alive);
  message.body() = std::move(response.body);
  message.prepare_payload();
  return message;
}

}  // namespace

std::string message_response_wire(Response response, unsigned version, bool keep_alive,
                                  std::string_view server) {
  auto message = to_message(std::move(response), version, keep_alive, server);
  return to_wire(message);
}

std::string response_wire(Response response, unsigned version, bool keep_alive,
                          std::string_view server) {
  if (auto direct = direct_response_wire(response, version, keep_alive, server))
    return std::move(*direct);
  return message_response_wire(std::move(response), version, keep_alive, server);
}

std::string message_request_wire(std::string_view method, std::string_view target,
                                 std::string_view host,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string body) {
  bhttp::request<bhttp::string_body> m;
  m.version(11);
  m.method_string(beast_view(method));
  m.target(beast_view(target));
  m.set(bhttp::field::host, beast_view(host));
  for (const auto& [name, value] : headers) m.insert(name, value);
  bool sized = method != "GET" || !body.empty();
  m.body() = std::move(body);
  if (sized) m.prepare_payload();
  m.keep_alive(true);
  return to_wire(m);
}

std::string request_wire(std::string_view method, std::string_view target, std::string_view host,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string body) {
  if (auto direct = direct_request_wire(method, target, host, headers, body))
    return std::move(*direct);
  return message_request_wire(method, target, host, headers, std::move(body));
}

std::optional<std::string> direct_response_wire(const Response& response, unsigned version,
                                                bool keep_alive, std::string_view server) {
  int status = response.status;
  if (status < 200 || status > 599 || status == 204 || status == 304) return std::nullopt;
  if (version != 10 && version != 11) return std::nullopt;
  if (server.size() >= kLongField || has_line_break(server) ||
      response.content_type.size() >= kLongField)
    return std::nullopt;
  for (const auto& [name, value] : response.headers.fields())
    if (!plain_field(
            name, value,
            {"Server", "Content-Type", "Content-Length", "Connection", "Transfer-Encoding"}))
      return std::nullopt;
  if (!names_differ(response.headers.fields())) return std::nullopt;
  std::string out;
  out.reserve(response.body.size() + 160);
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  fmt::format_to(std::back_inserter(out), "HTTP/1.{} {} ", version % 10, status);
  out.append(reason.data(), reason.size());
  out += "\r\n";
  append_field(out, "Server", server);
  if (!response.content_type.empty() && !has_line_break(response.content_type))
    append_field(out, "Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers.fields()) append_field(out, name, value);
  if (version == 11 && !keep_alive) out += "Connection: close\r\n";
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n\r\n", response.body.size());
  out += response.body;
  return out;
}

std::optional<std::string> direct_request_wire(
    std::string_view method, std::string_view target, std::string_view host,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
  if (method.empty() || method == "TRACE" || target.empty() || host.size() >= kLongField ||
      method.find_first_of(" \r\n") != std::string_view::npos ||
      target.find_first_of(" \r\n") != std::string_view::npos || has_line_break(host))
    return std::nullopt;
  for (const auto& [name, value] : headers)
    if (!plain_field(name, value, {"Host", "Content-Length", "Connection", "Transfer-Encoding"}))
      return std::nullopt;
  if (!names_differ(headers)) return std::nullopt;
  std::string out;
  out.reserve(body.size() + 256);
  out.append(method);
  out += ' ';
  out.append(target);
  out += " HTTP/1.1\r\n";
  append_field(out, "Host", host);
  for (const auto& [name, value] : headers) append_field(out, name, value);
  // As Beast's prepare_payload: an empty body is sized only for the methods that expect one.
  if (!body.empty() || method == "POST" || method == "PUT" || method == "OPTIONS")
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", body.size());
  out += "\r\n";
  out.append(body);
  return out;
}

}  // namespace tunecase::http
