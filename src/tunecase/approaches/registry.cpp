#include "tunecase/approaches/registry.h"

#include <fmt/format.h>

#include "tunecase/approaches/fasttext_classifier.h"
#include "tunecase/approaches/linear_classifier.h"
#include "tunecase/approaches/retrieval_classifier.h"
#include "tunecase/core/error.h"

namespace tunecase {

bool is_local_kind(const std::string& kind) {
  return kind == "linear" || kind == "fasttext" || kind == "retrieval";
}

std::unique_ptr<Classifier> make_classifier(const ApproachConfig& config) {
  if (config.kind == "linear") return make_linear_classifier(config);
  if (config.kind == "fasttext") return make_fasttext_classifier(config);
  if (config.kind == "retrieval") return make_retrieval_classifier(config);
  throw UserError(fmt::format(
      "approach '{}': unknown kind '{}'; use one of linear, fasttext, retrieval, openai, anthropic",
      config.name, config.kind));
}

}  // namespace tunecase
