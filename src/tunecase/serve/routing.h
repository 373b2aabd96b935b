#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tunecase::serve {

// The pilot's traffic split as a pure function, in the manner of TensorZero's experimentation
// module: an id and the pilot's salt hash to a point in [0, 1), and the arm is the first whose
// cumulative weight passes it. So the same id always lands in the same arm (a customer's tickets
// do not flip between models, and a restarted or second replica agrees without sharing state),
// the shares converge to the weights over many ids, and a new salt reshuffles everyone.

// Why the weights cannot split traffic, or nothing when they can: every weight finite and
// non-negative, at least one positive, at least one arm. For config validation at the edge.
std::optional<std::string> weights_error(std::span<const double> weights);

// The id's point in [0, 1): the top 53 bits of a 64-bit hash of the length-prefixed salt and the
// id (FNV-1a, then the splitmix64 finaliser so that ids differing in one character spread over
// the whole range). Stable across runs, machines and builds.
double unit_hash(std::string_view id, std::string_view salt);

// The arm of a point u in [0, 1): the first i with u < (w0 + ... + wi) / Σw. Arms of weight 0
// never receive traffic. Throws std::invalid_argument with weights_error()'s message.
std::size_t arm_at(double u, std::span<const double> weights);

// The arm for a request: arm_at(unit_hash(id, salt), weights). An empty id has nothing to stick
// to, so such a request draws its arm at random (per request, from a per-thread generator): the
// shares still follow the weights, but the same caller may meet both arms.
// Throws std::invalid_argument when weights_error() names a problem.
std::size_t arm_for(std::string_view id, std::string_view salt, std::span<const double> weights);

}  // namespace tunecase::serve
