#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tunecase/economics/inputs.h"

namespace tunecase::econ {

// One question of the decision framework's six-question checklist.
struct ChecklistItem {
  std::string question;
  std::optional<bool> answer;  // empty: the config is silent (counts as no, shown as unknown)
  std::string evidence;        // the number or setting the answer rests on
  std::string
      source;  // measured | assumed | config | unknown, or a money figure's provenance_label
};

struct Checklist {
  std::vector<ChecklistItem> items;
  int score = 0;        // number of yes answers
  std::string verdict;  // fine-tune | pilot | prompting (a key; see checklist_verdict_text)
  // Some approach of the scenario prompts an API (is not trained): false when a "prompting"
  // verdict has nothing in the comparison to point at.
  bool prompting_compared = true;
  // Said after a "fine-tune" verdict when the memo's own money disagrees (set by decide(), which
  // has the analysis): no trained approach compared here pays for itself, or none is compared.
  std::string economics_note;
};

// The framework's score rule: 5 or more yes -> fine-tune, 3-4 -> pilot, fewer -> prompting.
std::string checklist_verdict(int score);

// The verdict in words for the memo. "fine-tune" covers any model trained on the labels, so it
// reads "a trained model (fine-tuned or self-hosted) is probably worth it".
std::string checklist_verdict_text(const std::string& verdict);

// The same, for the memo: a "prompting" verdict on a scenario without a prompting approach says
// that none was compared.
std::string checklist_verdict_text(const Checklist& checklist);

Checklist fill_checklist(const Scenario& s);

}  // namespace tunecase::econ
