#include "tunecase/privacy/endpoint_locality.h"

#include <fmt/format.h>
#include <algorithm>

#include <cstdint>
#include <cstdlib>
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

}  // namespace

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1" ||
      host == "0:0:0:0:0:0:0:1")
    return true;
  auto v4 = ipv4(host);
  return v4 && (*v4 >> 24) == 127;
}

namespace {

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

// An IPv4 address written with a leading zero in a part ("127.000.000.001", "010"): libcurl
// reads such a part as octal and compares another address than the text says.
bool leading_zero_ipv4(std::string_view s) {
  if (!ipv4(s)) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '0' && (i == 0 || s[i - 1] == '.') && i + 1 < s.size() && s[i + 1] != '.')
      return true;
  return false;
}

// libcurl's no_proxy (or NO_PROXY) list, as libcurl 7.88 reads it: "*" for every host, only as
// the whole value; else entries by commas, blanks around them ignored. For a host written as an
// IP address, an entry matches when it is the same address or a block holding it ("10.0.0.0/8";
// "/0" is the address alone); for a host name, when it is the name or a domain above it
// ("corp.internal" or ".corp.internal" match "api.corp.internal"). Anything else (a "*" among
// other entries or with blanks, brackets, a port, an address with a leading zero) matches
// nothing, and the request is taken as proxied: the doubt falls on the side of data leaving.
bool no_proxy_names(std::string_view list, const std::string& host) {
  if (list == "*") return true;
  if (leading_zero_ipv4(host)) return false;
  auto trimmed = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  const bool address = ipv4(host).has_value() || host.find(':') != std::string::npos;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    std::string_view raw = trimmed(list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? list.size() + 1 : comma + 1;
    std::string entry = ascii_lower(raw);
    if (entry.empty() || entry.find_first_of("[]") != std::string::npos) continue;
    if (address) {
      std::string_view bare = std::string_view(entry).substr(0, entry.find('/'));
      if (leading_zero_ipv4(bare)) continue;
      if (entry == host) return true;
      auto block = cidr(entry);
      if (block && block->second == 0) {
        if (bare == host) return true;
      } else if (block && allows(entry, host)) {
        return true;
      }
      continue;
    }
    if (entry.front() == '.') entry.erase(0, 1);
    if (entry.empty()) continue;
    if (entry == host || (host.size() > entry.size() && host.ends_with("." + entry))) return true;
  }
  return false;
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::optional<EnvironmentProxy> environment_proxy(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string_view::npos ? "http" : ascii_lower(url.substr(0, scheme_end));
  const std::string host = url_host(url);
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    std::string list = environment(name);
    if (list.empty()) continue;
    if (no_proxy_names(list, host)) return std::nullopt;
    break;  // libcurl reads the first of the two that is set
  }
  // http_proxy in lower case only (a CGI server sets HTTP_PROXY from a request's header).
  std::vector<std::string> names = {scheme + "_proxy"};
  if (scheme != "http") {
    std::string upper = scheme + "_PROXY";
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    names.push_back(upper);
  }
  names.insert(names.end(), {"all_proxy", "ALL_PROXY"});
  for (const std::string& name : names) {
    std::string value = environment(name.c_str());
    if (!value.empty()) return EnvironmentProxy{name, url_endpoint(value), url_host(value)};
  }
  return std::nullopt;
}

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

namespace {

EndpointLocality host_locality(std::string_view url, const std::vector<std::string>& allowed) {
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

}  // namespace

EndpointLocality endpoint_locality(std::string_view url, const std::vector<std::string>& allowed) {
  EndpointLocality out = host_locality(url, allowed);
  std::optional<EnvironmentProxy> proxy = environment_proxy(url);
  if (proxy) out.proxy = proxy->endpoint;
  if (!proxy || !out.local) return out;
  // The request goes to the proxy, not to the host: local only when allowed_hosts names the
  // proxy's host itself (a proxy on loopback may forward anywhere, so loopback is not enough).
  for (const auto& entry : allowed) {
    if (allows(entry, proxy->host)) {
      out.reason += ", through the proxy " + proxy->endpoint + " (" + proxy->variable +
                    "), allowed by \"" + entry + "\" in [privacy] allowed_hosts";
      return out;
    }
  }
  out.local = false;
  out.reason = fmt::format(
      "requests to {} would go through the proxy {} (environment variable {}), which is not in "
      "[privacy] allowed_hosts; add {} to no_proxy to send them directly, or list the proxy's "
      "host in allowed_hosts if it is inside your network",
      out.host, proxy->endpoint, proxy->variable, out.host);
  return out;
}

std::string allowed_host_problem(std::string_view entry) {
  if (entry.empty()) return "an empty entry";
  // Entries that can never match a host (each had been accepted, and the host then refused):
  if (entry.front() == ' ' || entry.back() == ' ' || entry.front() == '\t' || entry.back() == '\t')
    return "spaces around it; write the entry without them";
  if (entry == "*.") return "a wildcard needs a suffix after \"*.\", like \"*.corp.example\"";
  const std::size_t colons = std::count(entry.begin(), entry.end(), ':');
  if (colons == 1 && entry.find("://") == std::string_view::npos)
    return "a port: list the host alone (\"vllm.corp:8000\" as \"vllm.corp\"); ports are not "
           "compared";
  if (colons > 1 && entry.find('/') != std::string_view::npos &&
      entry.find("://") == std::string_view::npos)
    return "an IPv6 block: only IPv4 blocks are read; list the hosts by name or address";
  if (entry.find_first_not_of("0123456789.-") == std::string_view::npos &&
      entry.find('-') != std::string_view::npos)
    return "a range: write it as an IPv4 block, like \"10.0.0.0/24\"";
  if (entry.find_first_not_of("0123456789.") == std::string_view::npos) {
    int parts = 0;
    bool ok = true;
    for (std::size_t at = 0; at <= entry.size();) {
      std::size_t dot = std::min(entry.find('.', at), entry.size());
      std::string_view part = entry.substr(at, dot - at);
      ok = ok && !part.empty() && part.size() <= 3 && std::stoi(std::string(part)) <= 255;
      ++parts;
      at = dot + 1;
    }
    if (!ok || parts != 4)
      return "not an IPv4 address: write four numbers 0-255 joined by dots, like \"10.1.2.3\"";
  }
  if (entry.find("://") != std::string_view::npos || entry.find('/') != std::string_view::npos) {
    if (cidr(entry)) return "";
    // An address and a prefix length that is not one ("10.0.0.0/33"): a block, mistyped.
    const std::size_t slash = entry.find('/');
    if (entry.find("://") == std::string_view::npos && slash == entry.rfind('/') &&
        entry.find_first_not_of("0123456789./") == std::string_view::npos)
      return "not an IPv4 block: write four numbers 0-255 and a prefix length 0-32, like "
             "\"10.0.0.0/8\"";
    return "write a host name, an address, \"*.suffix\" or an IPv4 block like \"10.0.0.0/8\", "
           "not a URL";
  }
  if (entry.find('*') != std::string_view::npos && !(entry.starts_with("*.") && entry.size() > 2 &&
                                                     entry.find('*', 1) == std::string_view::npos))
    return "a wildcard is only allowed as a leading \"*.\"";
  return "";
}

}  // namespace tunecase
