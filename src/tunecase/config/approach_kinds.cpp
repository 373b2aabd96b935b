#include "tunecase/config/approach_kinds.h"

#include "tunecase/config/approach_settings.h"
#include "tunecase/config/config.h"

namespace tunecase {

const std::vector<ApproachKind>& approach_kinds() {
  static const std::vector<ApproachKind> kinds = {
      {"linear", true, "TF-IDF word + character n-grams into a linear SVM or logistic regression",
       read_linear_settings},
      {"fasttext", true, "fastText supervised classifier", read_fasttext_settings},
      {"retrieval", true, "BM25 nearest labelled neighbours, score-weighted vote",
       read_retrieval_settings},
      {"openai", false, "any OpenAI-compatible Chat Completions endpoint", read_llm_settings},
      {"anthropic", false, "the Anthropic Messages API", read_llm_settings},
  };
  return kinds;
}

const ApproachKind* find_kind(std::string_view name) {
  for (const auto& k : approach_kinds())
    if (name == k.name) return &k;
  return nullptr;
}

bool is_local_kind(std::string_view name) {
  const ApproachKind* k = find_kind(name);
  return k != nullptr && k->local;
}

bool is_llm_kind(std::string_view name) {
  const ApproachKind* k = find_kind(name);
  return k != nullptr && !k->local;
}

std::string kind_names() {
  std::string out;
  for (const auto& k : approach_kinds()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

bool ApproachConfig::is_local() const {
  return is_local_kind(kind);
}

bool ApproachConfig::is_llm() const {
  return is_llm_kind(kind);
}

}  // namespace tunecase
