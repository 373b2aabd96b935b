#include "tunecase/privacy/endpoint_locality.h"

#include <cstdint>
#include <optional>

#include "tunecase/core/ascii_case.h"

namespace tunecase {
namespace {

// "scheme://" stripped; the authority and the rest.
std::pair<std::string_view, std::string_view> split_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  return {authority, tail};
}

std::optional<uint32_t> ipv4(std::string_view s) {
  uint32_t value = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    if (parts > 0) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
    std::size_t b = i;
    uint32_t part = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - b < 3)
      part = part * 10 + (s[i++] - '0');
    if (i == b || part > 255) return std::nullopt;
    value = (value << 8) | part;
    ++parts;
  }
  if (i != s.size()) return std::nullopt;
  return value;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1" ||
      host == "0:0:0:0:0:0:0:1")
    return true;
  auto v4 = ipv4(host);
  return v4 && (*v4 >> 24) == 127;
}

// "10.0.0.0/8" -> (network, prefix length)
std::optional<std::pair<uint32_t, int>> cidr(std::string_view entry) {
  std::size_t slash = entry.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto net = ipv4(entry.substr(0, slash));
  std::string_view len = entry.substr(slash + 1);
  if (!net || len.empty() || len.size() > 2) return std::nullopt;
  int bits = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (bits > 32) return std::nullopt;
  return std::make_pair(*net, bits);
}

bool allows(const std::string& entry_raw, const std::string& host) {
  std::string entry = ascii_lower(entry_raw);
  if (entry == host) return true;
  if (entry.starts_with("*."))
    return host.size() > entry.size() - 1 && host.ends_with(entry.substr(1));
  if (auto block = cidr(entry)) {
    auto v4 = ipv4(host);
    if (!v4) return false;
    uint32_t mask = block->second == 0 ? 0 : ~uint32_t{0} << (32 - block->second);
    return (*v4 & mask) == (block->first & mask);
  }
  return false;
}

}  // namespace

std::string url_host(std::string_view url) {
  std::string_view authority = split_url(url).first;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    return ascii_lower(authority.substr(1, close == std::string_view::npos ? close : close - 1));
  }
  std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(':') == colon)
    authority = authority.substr(0, colon);
  return ascii_lower(authority);
}

std::string url_endpoint(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  std::string scheme =
      scheme_end == std::string_view::npos ? "" : ascii_lower(url.substr(0, scheme_end)) + "://";
  auto [authority, tail] = split_url(url);
  std::string_view path = tail.substr(0, tail.find_first_of("?#"));
  return scheme + ascii_lower(authority) + std::string(path);
}

EndpointLocality endpoint_locality(std::string_view url, const std::vector<std::string>& allowed) {
  EndpointLocality out;
  out.host = url_host(url);
  if (is_loopback(out.host)) {
    out.local = true;
    out.reason = "loopback";
    return out;
  }
  for (const auto& entry : allowed) {
    if (allows(entry, out.host)) {
      out.local = true;
      out.reason = "allowed by \"" + entry + "\" in [privacy] allowed_hosts";
      return out;
    }
  }
  out.reason = out.host.empty()
                   ? "the URL names no host"
                   : "host " + out.host + " is neither loopback nor in [privacy] allowed_hosts";
  return out;
}

std::string allowed_host_problem(std::string_view entry) {
  if (entry.empty()) return "an empty entry";
  if (entry.find("://") != std::string_view::npos || entry.find('/') != std::string_view::npos) {
    if (cidr(entry)) return "";
    return "write a host name, an address, \"*.suffix\" or an IPv4 block like \"10.0.0.0/8\", "
           "not a URL";
  }
  if (entry.find('*') != std::string_view::npos && !(entry.starts_with("*.") && entry.size() > 2 &&
                                                     entry.find('*', 1) == std::string_view::npos))
    return "a wildcard is only allowed as a leading \"*.\"";
  return "";
}

}  // namespace tunecase
