#include "tunecase/approaches/registry.h"

#include <fmt/format.h>

#include "tunecase/approaches/fasttext_classifier.h"
#include "tunecase/approaches/linear_classifier.h"
#include "tunecase/approaches/retrieval_classifier.h"
#include "tunecase/core/error.h"

namespace tunecase {

std::unique_ptr<Classifier> make_classifier(const ApproachConfig& config) {
  if (config.kind == "linear") return make_linear_classifier(config);
  if (config.kind == "fasttext") return make_fasttext_classifier(config);
  if (config.kind == "retrieval") return make_retrieval_classifier(config);
  throw UserError(fmt::format("approach '{}': kind '{}' is not a local approach; use one of {}",
                              config.name, config.kind, kind_names()));
}

}  // namespace tunecase
