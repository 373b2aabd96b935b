#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <utility>
#include <vector>

namespace tunecase {

// Values handed from many threads to one: push() never waits for a lock, so a thread that
// must not stall (an event loop) never queues behind the one that takes (a writer at a lower
// priority, which may lose its core while it holds a lock). A push is one allocation and one
// compare-and-swap; take_into() empties the whole inbox with one exchange.
// Any thread may push at any time; one thread at a time may take (the caller's lock decides).
template <typename T>
class MpscInbox {
 public:
  MpscInbox() = default;
  MpscInbox(const MpscInbox&) = delete;
  MpscInbox& operator=(const MpscInbox&) = delete;
  ~MpscInbox() { free(head_.exchange(nullptr)); }

  // True when the inbox was empty: after each take, exactly one push says so (the one to wake
  // the taker for).
  bool push(T value) {
    Node* before = head_.load(std::memory_order_relaxed);
    Node* node = new Node{std::move(value), before};
    // `before` is this thread's own copy: once the node is in, the taker may take and free it at
    // any moment, so what it says after the exchange is read from here, never from the node.
    while (!head_.compare_exchange_weak(before, node, std::memory_order_release,
                                        std::memory_order_relaxed))
      node->next = before;  // not yet published: still this thread's alone
    return before == nullptr;
  }

  // Appends what was pushed so far to `out`, oldest first; returns how many.
  std::size_t take_into(std::vector<T>& out) {
    Node* newest = head_.exchange(nullptr, std::memory_order_acquire);
    const std::size_t start = out.size();
    std::size_t count = 0;  // counted first: `out` grows once, not by doubling as it fills
    for (Node* n = newest; n != nullptr; n = n->next) ++count;
    out.reserve(start + count);
    for (Node* n = newest; n != nullptr; n = n->next) out.push_back(std::move(n->value));
    free(newest);
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    return out.size() - start;
  }

  // Nothing pushed since the last take (a push in progress may land at any moment).
  bool empty() const { return head_.load(std::memory_order_acquire) == nullptr; }

 private:
  struct Node {
    T value;
    Node* next;
  };
  static void free(Node* n) {
    while (n != nullptr) delete std::exchange(n, n->next);
  }

  std::atomic<Node*> head_{nullptr};
};

}  // namespace tunecase
