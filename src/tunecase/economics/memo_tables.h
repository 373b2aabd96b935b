#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {

// A table of already formatted cells, rendered as Markdown by memo.cpp and as HTML by
// memo_html.cpp, so both memos always show the same figures.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Table business_inputs_table(const Decision& d);  // [business] inputs with provenance
Table quality_table(const Decision& d);          // accuracy / error rates, interval, latency
Table cost_table(const Decision& d);  // one-time, running, over the horizon, extra vs baseline
Table net_table(const Decision& d);   // value, net benefit (with interval ends), payback
Table break_even_table(const Decision& d);
Table sensitivity_table(const Decision& d);  // only the inputs that matter
// One line naming the inputs left out of sensitivity_table; "" when none.
std::string sensitivity_folded(const Decision& d);
// "Cost of delay (value forgone while building): a $x, b $y." or "" when nothing is built.
std::string cost_of_delay_text(const Decision& d);
// The memo's prose, plain text, the same in memo.md (Markdown-escaped) and memo.html (escaped):
// what the figures are and how they were taken. "" where a section has nothing to say.
std::string labelled_examples_text(const Decision& d);  // "Labelled examples: 5,375 (measured)."
std::string cost_value_text(const Decision& d);         // at risk, keeping it, what value is
std::string net_ends_text(const Decision& d);           // which interval each range's ends are
std::string break_even_text();
std::string sensitivity_text(const Decision& d);  // how the inputs were moved
// The score, its verdict (in Markdown bold when asked: the text holds no user input) and the scale.
std::string checklist_text(const Decision& d, bool bold_verdict = false);
Table what_it_takes_table(const Decision& d);
Table checklist_table(const Decision& d);
Table pilot_outcomes_table(const Decision& d);
// What the planned days bring, after "N days": the sample that detects the difference, or why
// no call (or no confirmation) can be made in them. memo.md and memo.html say the same.
std::string pilot_duration_note(const Decision& d);  // clear win / marginal / worse

// The weakest provenance of the figures: a figure derived from them is only as good as that.
Figure weakest_of(std::initializer_list<Figure> figures);
// Where a comparison of two approaches' running costs (a break-even) comes from.
Figure running_cost_source(const Decision& d, const std::string& a, const std::string& b);
// Where a what-it-takes row comes from: both approaches' costs and error rates and the cost of
// an error.
Figure what_it_takes_source(const Decision& d, const WhatItTakes& w);
// Where an approach's payback and net benefit come from: its cost over the horizon and value.
Figure net_source(const ApproachResult& r);

// "84.0% [81.2%, 86.5%]" or "2.0% harmful" depending on the scenario's mode.
std::string quality_text(const Scenario& s, const ApproachInputs& a);

// A break-even or required volume, to the nearest query (never rounded up).
std::string volume_text(double queries_per_month);

// How an approach is priced, for the memo: a fixed hosting bill is called one, however the
// config gave it (usd_per_month, or usd_per_hour x instances).
std::string cost_basis_text(const ApproachInputs& a);

// "$0.0046 effective at 300,000 queries a month (fixed hosting, ...)" for a fixed bill.
std::string price_text(const Decision& d, const ApproachInputs& a);

// Reads "Simulated" first so it cannot be missed.
std::string simulated_warning();

}  // namespace tunecase::econ
