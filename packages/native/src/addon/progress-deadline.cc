// One progress handler multiplexes the per-query deadline, the JS progress listener and the
// re-entrancy guard (which needs it to stop already-prepared statements stepped from a callback).
#include <string>

#include "connection-state.h"

namespace liveframe {

namespace {
constexpr int kDeadlineCheckOps = 1000;  // ~microseconds of VM work between clock reads
}

void ApplyProgressConfig(ConnState* s) {
  if (s->db == nullptr || s->detached) return;
  int every = 0;
  if (s->callbackDepth > 0) {
    // A statement stepped from inside a JS callback is stopped at its first check.
    every = 1;
  } else {
    if (s->deadlineNs.load() != 0) every = kDeadlineCheckOps;
    if (s->progressEveryOps > 0) every = every == 0 ? s->progressEveryOps : std::min(every, s->progressEveryOps);
  }
  if (every > 0) {
    sqlite3_progress_handler(s->db, every, OnProgress, s);
  } else {
    sqlite3_progress_handler(s->db, 0, nullptr, nullptr);
  }
}

int OnProgress(void* p) {
  auto* s = static_cast<ConnState*>(p);
  bool onOwner = std::this_thread::get_id() == s->owner;
  if (s->callbackDepth > 0 && onOwner) {
    s->recordFailure("REENTRANT_CALL", "liveframe: connection " + std::to_string(s->id) +
                                           " is busy running a JS callback; a statement stepped "
                                           "re-entrantly was interrupted");
    return 1;
  }
  int64_t deadline = s->deadlineNs.load();
  if (deadline != 0 && MonotonicNowNs() >= deadline) {
    s->recordFailure("DEADLINE_EXCEEDED", "liveframe: query deadline exceeded");
    return 1;
  }
  if (!s->js.progress.IsEmpty() && onOwner) {
    int tick = s->deadlineNs.load() != 0 ? std::min(kDeadlineCheckOps, s->progressEveryOps) : s->progressEveryOps;
    s->progressCounter += tick;
    if (s->progressCounter < s->progressEveryOps) return 0;
    s->progressCounter = 0;
    JsCallGuard guard(s);
    if (!guard.ok()) return 0;
    try {
      Napi::Value stop = s->js.progress.Call({});
      if (stop.ToBoolean().Value()) {
        s->recordFailure("INTERRUPTED", "liveframe: interrupted by the progress listener");
        return 1;
      }
    } catch (const Napi::Error& e) {
      s->recordFailure("CALLBACK_ERROR", "progress listener threw: " + e.Message());
      s->failure.cause = Napi::Persistent(e.Value().As<Napi::Value>());
      return 1;
    }
  }
  return 0;
}

}  // namespace liveframe
