#pragma once

// Whether an endpoint keeps data on this machine or inside the team's network (local_only in
// [privacy], docs/privacy.md). Loopback (localhost, 127.0.0.0/8, ::1) is always local; any other
// host is local only when `allowed_hosts` lists it: an exact host name or address, a suffix
// written "*.corp.internal", or an IPv4 block written "10.0.0.0/8". Nothing is resolved through
// DNS: the decision rests on what the config says, so it is the same on every machine and cannot
// be changed by a DNS answer. A request that the environment's proxy variables route through a
// proxy goes to the proxy: it is local only when allowed_hosts names the proxy's host.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tunecase {

struct EndpointLocality {
  std::string host;    // as written in the URL, lower-cased, without brackets or port
  bool local = false;  // loopback or allowed, and no proxy other than an allowed one
  std::string reason;  // "loopback", "allowed by \"10.0.0.0/8\"", "not loopback and not in ..."
  std::string proxy;   // the environment's proxy the requests go through ("" when none)
};

// The proxy the environment sets for a URL, as libcurl (which sends such requests) reads it:
// no_proxy / NO_PROXY first, then http_proxy for http:// (lower case only), https_proxy or
// HTTPS_PROXY for https://, then all_proxy / ALL_PROXY.
struct EnvironmentProxy {
  std::string variable;  // "http_proxy"
  std::string endpoint;  // the proxy's URL without user info or query
  std::string host;
};
std::optional<EnvironmentProxy> environment_proxy(std::string_view url);

// localhost (and *.localhost), 127.0.0.0/8 or ::1, as written (lower case, no brackets).
bool is_loopback(const std::string& host);

// The host of a URL ("https://api.openai.com/v1" -> "api.openai.com"; "http://[::1]:8080" ->
// "::1"); "" when the URL has none.
std::string url_host(std::string_view url);

// The origin and path of a URL without user info, query or fragment: how the audit names an
// endpoint (a query string may carry a key).
std::string url_endpoint(std::string_view url);

EndpointLocality endpoint_locality(std::string_view url, const std::vector<std::string>& allowed);

// Checks one allowed_hosts entry's form; "" when fine, else what is wrong.
std::string allowed_host_problem(std::string_view entry);

}  // namespace tunecase
