#include "tunecase/http/message.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tunecase/core/ascii_case.h"
#include "tunecase/core/trim.h"

namespace tunecase::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::vector<std::string_view> field_items(std::string_view value) {
  std::vector<std::string_view> items;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma), " \t");
    if (!item.empty()) items.push_back(item);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  return items;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::optional<std::string_view> Headers::find(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (equals_ignoring_case(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string Headers::get(std::string_view name) const {
  auto value = find(name);
  return value ? std::string(*value) : std::string();
}

void Headers::set(std::string_view name, std::string value) {
  std::erase_if(fields_, [name](const Field& f) { return equals_ignoring_case(f.first, name); });
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    std::size_t end = rest.find('&');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    std::size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    if (key != name) continue;
    return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

Response Response::json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::text(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  return response;
}

Response default_error_page(int status, const std::string& message) {
  nlohmann::json body = {{"error", {{"message", message}, {"status", status}}}};
  // A message may quote bytes a client sent; never fail on invalid UTF-8 while reporting it.
  return Response::json(status,
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace tunecase::http
