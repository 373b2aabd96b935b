// How dollar amounts and shares read in the memo and the reports.
#include "tunecase/economics/money.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tunecase/core/number_format.h"

namespace tunecase::econ {
namespace {

TEST(Money, SmallAmountsReadInPlainDecimals) {
  // A local model at full load costs fractions of a cent per 1,000 requests: no "6e-07".
  EXPECT_EQ(money(6.04e-7), "$0.00000060");
  EXPECT_EQ(money(1.26e-6), "$0.0000013");
  EXPECT_EQ(money(0.0153), "$0.015");
  EXPECT_EQ(money(-0.05), "-$0.05");
  EXPECT_EQ(money(2.5), "$2.50");
  EXPECT_EQ(money(394587.2), "$394,587");
  EXPECT_EQ(money(0.0), "$0");
}

// Estimates and caps of a small trial: never "$0.00 ... capping it at $0.00".
TEST(Money, EstimatesAndCapsUnderADollarKeepTwoSignificantDigits) {
  EXPECT_EQ(usd_amount(0.0035), "$0.0035");
  EXPECT_EQ(usd_amount(0.62), "$0.62");
  EXPECT_EQ(usd_amount(12.345), "$12.35");
  EXPECT_EQ(usd_amount(0.0), "$0.00");
}

// An amount named as a cap to pass is rounded up: $2.8134 named "$2.81" was refused again.
TEST(Money, CapAmountsAreRoundedUp) {
  EXPECT_EQ(usd_cap_amount(2.8134), "$2.82");
  EXPECT_EQ(usd_cap_amount(2.81), "$2.81");
  EXPECT_EQ(usd_cap_amount(0.01231), "$0.013");
  EXPECT_EQ(usd_cap_amount(0.0), "$0.00");
}

TEST(Money, SmallSharesReadInPlainDecimals) {
  EXPECT_EQ(percent(0.00000612), "0.00061%");
  EXPECT_EQ(percent(0.123), "12.3%");
}

TEST(SignificantFixed, KeepsTheDigitsAskedForAndNoTrailingZeros) {
  EXPECT_EQ(significant_fixed(6.04e-7, 1), "0.0000006");
  EXPECT_EQ(significant_fixed(0.050, 2), "0.05");
  EXPECT_EQ(significant_fixed(0.0999, 2), "0.1");
  EXPECT_EQ(significant_fixed(123.456, 2), "123");
  EXPECT_EQ(significant_fixed(-0.00123, 2), "-0.0012");
  EXPECT_EQ(significant_fixed(1e-15, 2), "0");
}

// Dollar amounts keep their two significant digits: $0.1022 is "$0.10" beside "$0.064" and
// "$0.14" (a bare "$0.1" read as a rough figure).
TEST(Money, AmountsUnderADollarKeepTwoSignificantDigits) {
  EXPECT_EQ(significant_cents(0.10221), "0.10");
  EXPECT_EQ(significant_cents(0.000102), "0.00010");
  EXPECT_EQ(significant_cents(0.0153), "0.015");
  EXPECT_EQ(significant_cents(0.5), "0.50");
  EXPECT_EQ(significant_cents(0.05), "0.05");
  EXPECT_EQ(significant_cents(0.0996), "0.10");
  EXPECT_EQ(significant_cents(0.00999), "0.010");
  EXPECT_EQ(usd_amount(0.10221), "$0.10");
  EXPECT_EQ(money(0.000102), "$0.00010");
}

// Amounts past what a 64-bit count of dollars holds are written in powers of ten, not wrapped
// into nonsense (a product of large inputs reached 1e19); a value that is not finite is UNKNOWN.
TEST(Money, VastAmountsAndCountsStayReadable) {
  EXPECT_EQ(money(1.44e19), "$1.44e+19");
  EXPECT_EQ(money(-2e16), "-$2e+16");
  EXPECT_EQ(money(std::nan("")), "UNKNOWN");
  EXPECT_EQ(count(4.6e20), "4.6e+20");
  EXPECT_EQ(money(123456789.0), "$123,456,789");
}

}  // namespace
}  // namespace tunecase::econ
