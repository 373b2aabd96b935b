#pragma once

// Where each approach sends its texts, judged by [privacy] (docs/privacy.md): the one place that
// says whether an approach keeps data in, for local_only (eval, optimize, finetune, serve refuse
// before any request) and for the decision memo (checklist question 6).

#include <string>
#include <vector>

#include "tunecase/config/config.h"
#include "tunecase/privacy/endpoint_locality.h"

namespace tunecase {

// Local kinds (linear, fasttext, retrieval) run in-process: local, reason "runs in-process".
// LLM kinds are judged by their base_url against [privacy] allowed_hosts.
EndpointLocality approach_locality(const ApproachConfig& approach, const PrivacySettings& privacy);

// With local_only on, a UserError naming every approach of `approaches` whose endpoint is not
// local, and why, before anything is sent; nothing otherwise. `remedy` is the command's own way
// to leave them out (eval's --only; a config without them elsewhere).
void enforce_local_only(const PrivacySettings& privacy,
                        const std::vector<ApproachConfig>& approaches,
                        const std::string& remedy = "Remove them from the config");

}  // namespace tunecase
