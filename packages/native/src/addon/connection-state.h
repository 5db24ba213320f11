// Per-connection state shared by the SQLite callbacks (extension side) and the Node-API
// functions (addon side). Both roles live in the same shared object, so they share these globals.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sqlite-api.h"

namespace liveframe {

// Change operations as delivered to JS (index into ['insert','update','delete'] + 1).
enum ChangeOp : uint8_t { kInsert = 1, kUpdate = 2, kDelete = 3 };

// Columnar event storage: three flat vectors copy into typed arrays with one memcpy each, which
// keeps a 100k-event batch cheap on both sides.
struct ChangeColumns {
  std::vector<uint8_t> ops;
  std::vector<uint32_t> tableIndex;
  std::vector<double> rowids;  // NaN = "some row" (rowid outside the JS safe-integer range)
  std::vector<std::string> tables;

  size_t size() const { return ops.size(); }
  void clear();
  void truncate(size_t n);
  void append(ChangeColumns&& other);
};

struct CommitBatch {
  uint64_t seq = 0;
  int64_t walFrames = 0;      // WAL size in frames after this commit (0 outside WAL mode)
  int64_t framesWritten = 0;  // frames this connection appended since its previous commit
  ChangeColumns changes;
};

// The most recently started statement, judged when the next one starts.
struct LastStatement {
  void* stmt = nullptr;
  size_t mark = 0;              // pending events when it started
  int64_t totalChanges = 0;     // sqlite3_total_changes64 when it started
  bool triggers = false;        // a trigger program ran inside it
  bool valid = false;
};

struct Savepoint {
  std::string name;  // folded to lower case: SQLite compares savepoint names case-insensitively
  size_t mark;       // pending event count when the savepoint opened
};

// A failure that SQLite can only report as a generic code (INTERRUPT, AUTH, CONSTRAINT...). The
// JS side takes it to build a typed NativeError.
struct Failure {
  std::string code;  // NativeErrorCode on the TS side
  std::string message;
  Napi::Reference<Napi::Value> cause;  // the JS exception, when a JS callback threw
};

struct JsCallbacks {
  Napi::FunctionReference commitVeto;
  Napi::FunctionReference authorizer;
  Napi::FunctionReference progress;
  Napi::FunctionReference perEvent;
};

class EnvData;
struct RowidInfo;

struct ConnState {
  uint32_t id = 0;
  sqlite3* db = nullptr;  // null once SQLite closed the connection
  std::thread::id owner;  // the JS thread that loaded the extension
  EnvData* envData = nullptr;  // set by claim(); null until then and after env teardown
  bool closed = false;
  bool detached = false;

  // --- change capture (touched only by the thread running statements) ---
  bool capture = true;
  ChangeColumns pending;  // events of the open transaction
  const char* lastTablePtr = nullptr;
  uint32_t lastTableIndex = 0;
  std::vector<Savepoint> savepoints;
  LastStatement lastStatement;
  int64_t lastWalSize = 0;
  int autoCheckpoint = 1000;
  std::shared_ptr<RowidInfo> rowidInfo;
  std::vector<std::pair<std::string, int>> definedFunctions;  // (name, arity) for detach  // WITHOUT ROWID bookkeeping, created on demand

  // --- committed, not yet delivered (shared with the JS thread: guarded by queueMutex) ---
  std::mutex queueMutex;
  std::atomic<bool> hasCommitting{false};  // commit hook ran; awaiting proof the commit succeeded
  CommitBatch committing;
  std::deque<CommitBatch> ready;
  uint64_t seq = 0;

  // --- JS callbacks (JS thread only) ---
  JsCallbacks js;
  int callbackDepth = 0;  // >0 while a JS callback runs on this connection
  bool probing = false;
  int lastAuthAction = -1;
  Failure failure;
  bool hasFailure = false;

  // --- progress / deadline ---
  std::atomic<int64_t> deadlineNs{0};  // CLOCK_MONOTONIC ns; 0 = none
  int progressEveryOps = 0;            // JS progress listener period; 0 = none
  int progressCounter = 0;

  void recordFailure(std::string code, std::string message);
};

using ConnPtr = std::shared_ptr<ConnState>;

// Registry ------------------------------------------------------------------------------------
ConnPtr RegisterConnection(sqlite3* db);
ConnPtr FindConnection(uint32_t id);
ConnPtr FindOpenConnectionByDb(sqlite3* db);
void ForgetConnection(uint32_t id);
std::vector<ConnPtr> ConnectionsOf(EnvData* env);

// Per Node environment (main thread or a worker) ---------------------------------------------
class EnvData {
 public:
  explicit EnvData(Napi::Env env) : env(env) {}
  Napi::Env env;
  std::thread::id thread = std::this_thread::get_id();
  napi_threadsafe_function autoDrain = nullptr;
  std::atomic<bool> drainScheduled{false};
  bool alive = true;
  void ScheduleDrain();
};

// Callback plumbing ---------------------------------------------------------------------------
int64_t MonotonicNowNs();
void ApplyProgressConfig(ConnState* s);

// Every JS call from inside a SQLite callback goes through this guard: it refuses off-thread and
// re-entrant calls (returning the failure code) and opens the handle scope the call needs.
class JsCallGuard {
 public:
  explicit JsCallGuard(ConnState* s);
  ~JsCallGuard();
  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }
  Napi::Env env() const { return s_->envData->env; }

 private:
  ConnState* s_;
  const char* error_ = nullptr;
  napi_handle_scope scope_ = nullptr;
};

// Installed hooks (defined in change-capture.cc, authorizer.cc, progress-deadline.cc) ----------
void InstallCaptureHooks(ConnState* s);
void UninstallHooks(ConnState* s);
void FinalizeCommitIfDone(ConnState* s);
void DiscardTransaction(ConnState* s);
int OnAuthorize(void* p, int action, const char* a1, const char* a2, const char* dbName,
                const char* trigger);
int OnProgress(void* p);
void HandleSavepointStatement(ConnState* s, const char* sql);
void NoteWriteTarget(ConnState* s, int action, const char* table, const char* dbName);
void ForgetSchemaKnowledge(ConnState* s);
void DetachConnection(ConnState* s);
int AttachToConnection(sqlite3* db, char** pzErrMsg);
size_t RegisteredConnectionCount();
void RememberHandshake(const std::string& token, uint32_t id);
uint32_t TakeHandshake(const std::string& token);  // 0 when unknown

// Value conversion (value-conversion.cc) ------------------------------------------------------
Napi::Value ToJs(Napi::Env env, sqlite3_value* v);
// Returns an error message, or empty when the result was set.
std::string SetResult(sqlite3_context* ctx, Napi::Value value);

// Node-API registration of the per-area functions ---------------------------------------------
void InitFunctionExports(Napi::Env env, Napi::Object exports);

}  // namespace liveframe
