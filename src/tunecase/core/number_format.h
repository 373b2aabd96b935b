#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tunecase {

// `value` in plain decimal notation with `digits` significant digits and no trailing zeros:
// 6.04e-7 -> "0.0000006" (digits 1), 0.0153 -> "0.015" (digits 2). For the small dollar and
// percent figures a reader sees in reports, where "{:.2g}" would print "6e-07". Values under
// 1e-12 print as "0".
std::string significant_fixed(double value, int digits);

// An amount under $1 to two significant digits, in whole cents at least: 0.1022 -> "0.10" (beside
// "0.064" and "0.14", a bare "0.1" read as a rough figure), 0.05 -> "0.05", and under a cent with
// its trailing zero, 0.000102 -> "0.00010". No "$".
std::string significant_cents(double value);

// Days to one decimal, rounded down as a pilot counts them: 1.96 is "1.9" (not "2.0" of 2).
std::string tenths_down(double days);

// The digits of a whole number with thousands grouped: 80000 -> "80,000" (no sign).
std::string group_thousands(unsigned long long whole);

// A dollar amount as estimates and caps print it: cents from $1 on ("$12.35"), two significant
// digits under it ("$0.0035", "$0.5"), so a small cap never reads "$0.00".
std::string usd_amount(double usd);
// An amount to pass as a cap: usd_amount rounded up, never down ($2.8134 is "$2.82", where
// usd_amount's "$2.81" is a cap that would be refused again).
std::string usd_cap_amount(double usd);

// Whole dollars with thousands grouped: 80000 -> "$80,000", -1234.6 -> "-$1,235".
std::string whole_dollars(double usd);

// Characters (Unicode code points) in UTF-8 `text`: what a reader counts, for widths and limits.
// Invalid UTF-8 counts each stray byte once.
std::size_t utf8_chars(std::string_view text);

}  // namespace tunecase
