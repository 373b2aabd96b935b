#pragma once

#include <string_view>
#include <vector>

// The wording of the synthetic support tickets (see synthetic.h): per-category templates and the
// generic openers and closers. Kept apart from the generator so that the text can grow without
// burying the logic.
namespace tunecase::synthetic {

// Ticket templates. "[a|b|c]" picks one alternative, "{slot}" is filled from kSlots. Label names
// rarely appear verbatim: a zero-shot model that matches label names should struggle, while
// labelled examples (few-shot, trained models) reveal each category's vocabulary.
struct Category {
  const char* name;
  const char* description;
  double weight;                    // relative traffic share (imbalanced like real queues)
  std::vector<const char*> main;    // the core request, a full sentence
  std::vector<const char*> brief;   // a terse one-liner, sent alone
  std::vector<const char*> detail;  // an optional follow-up sentence
  std::vector<const char*> leak;    // after the launch: this category's tickets about Autopilot
};

// The categories that exist from the first month, in a fixed order.
const std::vector<Category>& base_categories();
// The category launched with Autopilot in the drift month.
const Category& launch_category();
// A category by name (base or launched); the launched one for an unknown name.
const Category& category_named(std::string_view name);
// Categories whose tickets a given category's tickets sometimes read like.
const std::vector<std::string_view>& neighbours(std::string_view name);

const std::vector<const char*>& openers();
const std::vector<const char*>& common_details();  // fit any category
const std::vector<const char*>& closers();
const std::vector<const char*>& also_prefixes();  // introduce a second topic

}  // namespace tunecase::synthetic
