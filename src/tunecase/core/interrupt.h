#pragma once

#include <cstdint>

// Ctrl-C on a command that pays for LLM answers (eval, optimize, curve): the answers to the
// requests in flight are paid for, so they are waited for and cached before the command ends,
// and a run resumed afterwards pays for none of them again. The signal watcher asks for the stop
// and waits until no request is unsettled (cli/privacy_options.cpp); the runners start nothing
// new once asked, settle what is in flight, and then hold their thread until the watcher ends
// the process, so that no partial result is written as if the run had ended on its own.

namespace tunecase {

void request_stop();
bool stop_requested();

// Requests a runner has sent whose answer is not yet recorded (in the cache, when there is one)
// or given up: counted over the process.
void note_request_sent();
void note_request_settled();
int64_t requests_unsettled();

// What the runners of this process were charged for LLM answers (each answer's cost, or its
// worst case where unknown), in USD: what an interrupted command says it spent.
void note_spent(double usd);
double spent_in_process();

}  // namespace tunecase
