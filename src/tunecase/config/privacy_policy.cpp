#include "tunecase/config/privacy_policy.h"

#include <fmt/format.h>

#include "tunecase/core/error.h"

namespace tunecase {

EndpointLocality approach_locality(const ApproachConfig& approach, const PrivacySettings& privacy) {
  if (approach.is_local()) return {"", true, "runs in-process", ""};
  return endpoint_locality(approach.llm.base_url, privacy.allowed_hosts);
}

void enforce_local_only(const PrivacySettings& privacy,
                        const std::vector<ApproachConfig>& approaches, const std::string& remedy) {
  if (!privacy.local_only) return;
  std::string refused;
  for (const auto& a : approaches) {
    EndpointLocality where = approach_locality(a, privacy);
    if (!where.local)
      refused += fmt::format("\n  {} ({}): {}", a.name, a.llm.base_url, where.reason);
  }
  if (refused.empty()) return;
  throw UserError(fmt::format(
      "local_only is on ([privacy] local_only or --local-only), so nothing was sent; these "
      "approaches would send data off this machine:{}\n{}, or list their host in [privacy] "
      "allowed_hosts if it is inside your network",
      refused, remedy));
}

}  // namespace tunecase
