// Update/commit/rollback/WAL hooks: events are buffered per connection in C and handed to JS as
// one columnar batch per committed transaction. Calling into JS per event costs ~20% on bulk
// inserts; buffering keeps the hot path to three vector appends.
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "connection-state.h"

namespace liveframe {


namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

uint32_t InternTable(ConnState* s, const char* dbName, const char* table) {
  auto& cols = s->pending;
  bool isMain = std::strcmp(dbName, "main") == 0;
  if (s->lastTablePtr == table && s->lastTableIndex < cols.tables.size()) {
    // Pointer identity alone is not enough: DDL inside the transaction can free a table name
    // and reuse its address for another one.
    const std::string& known = cols.tables[s->lastTableIndex];
    size_t len = std::strlen(table);
    if (known.size() >= len && std::memcmp(known.data() + known.size() - len, table, len) == 0 &&
        (isMain ? known.size() == len : known.size() > len)) {
      return s->lastTableIndex;
    }
  }
  std::string name = isMain ? std::string(table) : std::string(dbName) + "." + table;
  uint32_t idx = 0;
  for (; idx < cols.tables.size(); idx++) {
    if (cols.tables[idx] == name) break;
  }
  if (idx == cols.tables.size()) cols.tables.push_back(std::move(name));
  s->lastTablePtr = table;
  s->lastTableIndex = idx;
  return idx;
}

void PushEvent(ConnState* s, uint8_t op, const char* dbName, const char* table, double rowid) {
  s->pending.ops.push_back(op);
  s->pending.tableIndex.push_back(InternTable(s, dbName, table));
  s->pending.rowids.push_back(rowid);
}

uint8_t OpFromSqlite(int op) {
  return op == SQLITE_INSERT ? kInsert : op == SQLITE_UPDATE ? kUpdate : kDelete;
}

void OnUpdate(void* p, int op, const char* dbName, const char* table, sqlite3_int64 rowid) {
  auto* s = static_cast<ConnState*>(p);
  if (!s->capture) return;
  double r = (rowid > kMaxSafeInteger || rowid < -kMaxSafeInteger) ? NAN : static_cast<double>(rowid);
  if (!s->js.perEvent.IsEmpty()) {
    JsCallGuard guard(s);
    if (guard.ok()) {
      // Reference mode for the benchmark: one JS call per row, like a naive binding would do.
      Napi::Env env = guard.env();
      try {
        s->js.perEvent.Call({Napi::Number::New(env, op == SQLITE_INSERT ? 1 : op == SQLITE_UPDATE ? 2 : 3),
                             Napi::String::New(env, table),
                             std::isnan(r) ? env.Null() : Napi::Number::New(env, r)});
      } catch (const Napi::Error&) {
        // A throwing per-event listener must not abort the write; the batch path still records it.
      }
      return;
    }
  }
  PushEvent(s, OpFromSqlite(op), dbName, table, r);
}

int OnCommit(void* p) {
  auto* s = static_cast<ConnState*>(p);
  if (!s->js.commitVeto.IsEmpty()) {
    JsCallGuard guard(s);
    if (!guard.ok()) {
      // Fail closed: a veto listener that cannot run must not let the commit through unchecked.
      s->recordFailure(guard.error(), std::string("commit refused: the commit listener could not run (") +
                                          guard.error() + ")");
      return 1;
    }
    Napi::Env env = guard.env();
    try {
      Napi::Value verdict =
          s->js.commitVeto.Call({Napi::Number::New(env, static_cast<double>(s->pending.size()))});
      if (verdict.IsBoolean() && !verdict.As<Napi::Boolean>().Value()) {
        s->recordFailure("COMMIT_VETOED", "commit vetoed by a commit listener");
        return 1;
      }
    } catch (const Napi::Error& e) {
      s->recordFailure("CALLBACK_ERROR", "commit listener threw: " + e.Message());
      s->failure.cause = Napi::Persistent(e.Value().As<Napi::Value>());
      return 1;
    }
  }
  {
    std::lock_guard<std::mutex> lock(s->queueMutex);
    if (s->hasCommitting) {
      // A COMMIT that failed with SQLITE_BUSY keeps its transaction open; this is its retry.
      s->committing.changes.append(std::move(s->pending));
    } else {
      s->committing = CommitBatch{};
      s->committing.changes = std::move(s->pending);
      s->hasCommitting = true;
    }
  }
  s->pending.clear();
  s->lastTablePtr = nullptr;
  s->savepoints.clear();
  if (s->envData != nullptr) s->envData->ScheduleDrain();
  return 0;
}

void OnRollback(void* p) { DiscardTransaction(static_cast<ConnState*>(p)); }

int OnWal(void* p, sqlite3* db, const char* zDb, int nFrame) {
  auto* s = static_cast<ConnState*>(p);
  if (std::strcmp(zDb, "main") == 0) {
    int64_t written = nFrame > s->lastWalSize ? nFrame - s->lastWalSize : nFrame;
    s->lastWalSize = nFrame;
    std::lock_guard<std::mutex> lock(s->queueMutex);
    if (s->hasCommitting) {
      s->committing.walFrames = nFrame;
      s->committing.framesWritten += written;
    }
  }
  // The WAL hook fires only after a successful commit: the batch is confirmed.
  FinalizeCommitIfDone(s);
  // Installing a WAL hook replaces SQLite's auto-checkpoint hook, so we take over its job.
  if (s->autoCheckpoint > 0 && nFrame >= s->autoCheckpoint) {
    sqlite3_wal_checkpoint(db, zDb);
  }
  return SQLITE_OK;
}

// --- WITHOUT ROWID tables ----------------------------------------------------------------------
// They never fire the update hook. The authorizer tells us (at prepare time) which tables a
// statement writes; at statement start we look up, by SQL text, which of its targets lack a rowid
// and record a table-level change (rowid null) for each. This over-reports when the statement
// ends up changing nothing, which is safe for invalidation.

std::string QuoteIdent(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

// Defined here, used by the authorizer and the trace hook.
struct WriteTarget {
  uint8_t op;
  std::string db;
  std::string table;
};

struct RowidInfo {
  std::unordered_map<std::string, bool> hasRowid;  // "db\x1ftable" -> has a rowid
  std::vector<WriteTarget> unknown;                 // seen by the authorizer, not yet classified
  std::vector<WriteTarget> probe;                   // filled while probing one statement
  std::unordered_map<std::string, std::vector<WriteTarget>> byStatement;
  bool anyWithoutRowid = false;
};

namespace {
RowidInfo& InfoFor(ConnState* s) {
  if (!s->rowidInfo) s->rowidInfo = std::make_shared<RowidInfo>();
  return *s->rowidInfo;
}
void ForgetInfo(ConnState* s) { s->rowidInfo.reset(); }

bool IsView(ConnState* s, const WriteTarget& t) {
  std::string sql = "SELECT 1 FROM " + QuoteIdent(t.db) + ".sqlite_schema WHERE type = 'view' AND name = ?1";
  sqlite3_stmt* stmt = nullptr;
  bool view = false;
  if (sqlite3_prepare_v2(s->db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, t.table.c_str(), -1, SQLITE_TRANSIENT);
    view = sqlite3_step(stmt) == SQLITE_ROW;
  }
  if (stmt != nullptr) sqlite3_finalize(stmt);
  return view;
}

// True when the table has a rowid, i.e. its writes fire the update hook. Views count as having
// one: their writes happen through INSTEAD OF triggers on real tables, which report themselves.
bool ProbeHasRowid(ConnState* s, const WriteTarget& t) {
  std::string sql = "SELECT rowid FROM " + QuoteIdent(t.db) + "." + QuoteIdent(t.table);
  sqlite3_stmt* stmt = nullptr;
  s->probing = true;
  int rc = sqlite3_prepare_v2(s->db, sql.c_str(), -1, &stmt, nullptr);
  if (stmt != nullptr) sqlite3_finalize(stmt);
  bool has = rc == SQLITE_OK || IsView(s, t);
  s->probing = false;
  return has;
}

void ClassifyUnknownTargets(ConnState* s, RowidInfo& info) {
  auto unknown = std::move(info.unknown);
  info.unknown.clear();
  for (auto& t : unknown) {
    std::string key = t.db + '\x1f' + t.table;
    if (info.hasRowid.count(key)) continue;
    bool has = ProbeHasRowid(s, t);
    info.hasRowid[key] = has;
    if (!has) info.anyWithoutRowid = true;
  }
}

void RecordWithoutRowidWrites(ConnState* s, sqlite3_stmt* stmt, const char* sql) {
  auto& info = InfoFor(s);
  if (!info.unknown.empty()) ClassifyUnknownTargets(s, info);
  if (!info.anyWithoutRowid || sqlite3_stmt_readonly(stmt)) return;
  auto it = info.byStatement.find(sql);
  if (it == info.byStatement.end()) {
    // Re-prepare the statement text with the authorizer in collecting mode to learn its targets.
    info.probe.clear();
    sqlite3_stmt* probe = nullptr;
    s->probing = true;
    sqlite3_prepare_v2(s->db, sql, -1, &probe, nullptr);
    s->probing = false;
    if (probe != nullptr) sqlite3_finalize(probe);
    std::vector<WriteTarget> noRowid;
    for (auto& t : info.probe) {
      auto known = info.hasRowid.find(t.db + '\x1f' + t.table);
      bool has = known != info.hasRowid.end() ? known->second : ProbeHasRowid(s, t);
      if (known == info.hasRowid.end()) info.hasRowid[t.db + '\x1f' + t.table] = has;
      bool dup = false;
      for (auto& n : noRowid) dup = dup || (n.op == t.op && n.db == t.db && n.table == t.table);
      if (!has && !dup) noRowid.push_back(t);
    }
    if (info.byStatement.size() > 1024) info.byStatement.clear();
    it = info.byStatement.emplace(sql, std::move(noRowid)).first;
  }
  for (auto& t : it->second) PushEvent(s, t.op, t.db.c_str(), t.table.c_str(), NAN);
}

// True while `stmt` (possibly finalized since) is mid-execution. Only walked in the rare
// suspicious case below, and never dereferences a statement SQLite no longer lists.
bool StatementStillRunning(ConnState* s, void* stmt, void* starting) {
  if (stmt == starting) return false;  // it was reset and is starting over
  for (sqlite3_stmt* p = sqlite3_next_stmt(s->db, nullptr); p != nullptr; p = sqlite3_next_stmt(s->db, p)) {
    if (p == stmt) return sqlite3_stmt_busy(p) != 0;
  }
  return false;
}

// A statement that fails inside an open transaction is undone through the statement journal
// without any hook: its rows fired the update hook (a foreign key checked at statement end, a
// UNIQUE clash on the 3rd row of a multi-row INSERT) but are gone. SQLite adds a statement's
// changes to total_changes only when it succeeds, so "events but no new changes" identifies it.
// Judged when the next statement starts (COMMIT included), which costs one counter read per
// statement; a profile hook would cost two clock reads per statement.
void JudgePreviousStatement(ConnState* s, void* starting) {
  LastStatement last = s->lastStatement;
  s->lastStatement.valid = false;
  if (!last.valid || last.triggers || s->pending.size() <= last.mark) return;
  // With triggers, 0 changes is also what a successful INSTEAD OF trigger reports: keep those
  // events (a harmless over-report if the statement in fact failed).
  if (sqlite3_total_changes64(s->db) != last.totalChanges || sqlite3_get_autocommit(s->db)) return;
  if (StatementStillRunning(s, last.stmt, starting)) return;
  s->pending.truncate(last.mark);
  s->lastTablePtr = nullptr;
}

// Statement start (SQLITE_TRACE_STMT).
void OnStatementStart(ConnState* s, void* P, const char* sql) {
  if (sql[0] == '-' && sql[1] == '-') {
    // A trigger program (or a nested statement) started inside statement P.
    if (s->lastStatement.valid && s->lastStatement.stmt == P) s->lastStatement.triggers = true;
    return;
  }
  if (s->capture) JudgePreviousStatement(s, P);
  if (s->hasCommitting) FinalizeCommitIfDone(s);
  if (sqlite3_get_autocommit(s->db)) {
    // No transaction is open, so no savepoint and no pending event can be alive.
    s->savepoints.clear();
    if (s->pending.size() > 0) {
      s->pending.clear();
      s->lastTablePtr = nullptr;
    }
  }
  // Hot path (every statement): only SAVEPOINT/RELEASE/ROLLBACK need parsing.
  const char* first = sql;
  while (*first == ' ' || *first == '\t' || *first == '\n' || *first == '\r') first++;
  char c = static_cast<char>(*first | 0x20);
  if (c == 's' || c == 'r' || *first == '/' || *first == '-') HandleSavepointStatement(s, sql);
  if (!s->capture) return;
  s->lastStatement = LastStatement{P, s->pending.size(), sqlite3_total_changes64(s->db), false, true};
  if (s->rowidInfo && (s->rowidInfo->anyWithoutRowid || !s->rowidInfo->unknown.empty())) {
    RecordWithoutRowidWrites(s, static_cast<sqlite3_stmt*>(P), sql);
  }
}

int OnTrace(unsigned type, void* p, void* P, void* X) {
  auto* s = static_cast<ConnState*>(p);
  // Statements run re-entrantly from a callback are refused elsewhere and must not disturb the
  // outer transaction's bookkeeping.
  if (s->callbackDepth > 0 || s->probing) return 0;
  if (type == SQLITE_TRACE_STMT) {
    const char* sql = static_cast<const char*>(X);
    if (sql != nullptr) OnStatementStart(s, P, sql);
  }
  return 0;
}

}  // namespace

void NoteWriteTarget(ConnState* s, int action, const char* table, const char* dbName) {
  if (table == nullptr || dbName == nullptr || std::strncmp(table, "sqlite_", 7) == 0) return;
  uint8_t op = action == SQLITE_INSERT ? kInsert : action == SQLITE_UPDATE ? kUpdate : kDelete;
  auto& info = InfoFor(s);
  if (s->probing) {
    info.probe.push_back({op, dbName, table});
    return;
  }
  std::string key = std::string(dbName) + '\x1f' + table;
  if (!info.hasRowid.count(key)) {
    for (auto& t : info.unknown) {
      if (t.db == dbName && t.table == table) return;
    }
    info.unknown.push_back({op, dbName, table});
  }
}

void ForgetSchemaKnowledge(ConnState* s) {
  auto& info = InfoFor(s);
  info.hasRowid.clear();
  info.byStatement.clear();
  info.anyWithoutRowid = false;
}

void FinalizeCommitIfDone(ConnState* s) {
  std::lock_guard<std::mutex> lock(s->queueMutex);
  if (!s->hasCommitting) return;
  // After a successful COMMIT the connection is back in autocommit mode; a COMMIT that failed
  // with SQLITE_BUSY leaves the transaction open, and its batch must wait for the retry.
  if (!s->closed && s->db != nullptr && !sqlite3_get_autocommit(s->db)) return;
  s->committing.seq = ++s->seq;
  s->ready.push_back(std::move(s->committing));
  s->committing = CommitBatch{};
  s->hasCommitting = false;
}

void DiscardTransaction(ConnState* s) {
  s->pending.clear();
  s->lastTablePtr = nullptr;
  s->savepoints.clear();
  std::lock_guard<std::mutex> lock(s->queueMutex);
  s->hasCommitting = false;
  s->committing = CommitBatch{};
}

void InstallCaptureHooks(ConnState* s) {
  sqlite3_update_hook(s->db, OnUpdate, s);
  sqlite3_commit_hook(s->db, OnCommit, s);
  sqlite3_rollback_hook(s->db, OnRollback, s);
  sqlite3_wal_hook(s->db, OnWal, s);
  sqlite3_trace_v2(s->db, SQLITE_TRACE_STMT, OnTrace, s);
  sqlite3_set_authorizer(s->db, OnAuthorize, s);
}

void UninstallHooks(ConnState* s) {
  if (s->db == nullptr) return;
  sqlite3_update_hook(s->db, nullptr, nullptr);
  sqlite3_commit_hook(s->db, nullptr, nullptr);
  sqlite3_rollback_hook(s->db, nullptr, nullptr);
  sqlite3_trace_v2(s->db, 0, nullptr, nullptr);
  sqlite3_set_authorizer(s->db, nullptr, nullptr);
  sqlite3_progress_handler(s->db, 0, nullptr, nullptr);
  sqlite3_wal_autocheckpoint(s->db, s->autoCheckpoint);  // reinstalls SQLite's default WAL hook
}

namespace {

void ReleaseJs(ConnState* s) {
  bool canTouchJs = s->envData != nullptr && s->envData->alive && std::this_thread::get_id() == s->owner;
  for (auto* ref : {&s->js.commitVeto, &s->js.authorizer, &s->js.progress, &s->js.perEvent}) {
    if (ref->IsEmpty()) continue;
    if (canTouchJs) {
      ref->Reset();
    } else {
      ref->SuppressDestruct();  // leaking a reference beats touching a dead or foreign isolate
    }
  }
  if (!s->failure.cause.IsEmpty()) {
    if (canTouchJs) {
      s->failure.cause.Reset();
    } else {
      s->failure.cause.SuppressDestruct();
    }
  }
}

void ConnIdFunction(sqlite3_context* ctx, int, sqlite3_value**) {
  auto* holder = static_cast<ConnPtr*>(sqlite3_user_data(ctx));
  sqlite3_result_int64(ctx, (*holder)->id);
}

// liveframe_handshake(token): JS runs it through db.exec(), which keeps no statement object alive
// (a libsql-js Statement pins the connection open after db.close() until it is collected).
void HandshakeFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* s = static_cast<ConnState*>(sqlite3_user_data(ctx));
  const auto* token = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (token == nullptr) {
    sqlite3_result_error(ctx, "liveframe_handshake expects a text token", -1);
    return;
  }
  RememberHandshake(token, s->id);
  sqlite3_result_int64(ctx, s->id);
}

// SQLite destroys the handshake function when the connection closes: that is our close signal.
void ConnIdDestroy(void* p) {
  auto* holder = static_cast<ConnPtr*>(p);
  ConnPtr s = *holder;
  delete holder;
  if (s->detached) return;  // detach() already released everything
  s->closed = true;
  FinalizeCommitIfDone(s.get());  // sqlite has already rolled back anything uncommitted
  s->db = nullptr;
  s->pending.clear();
  ReleaseJs(s.get());
  ForgetInfo(s.get());
  if (s->envData != nullptr) {
    s->envData->ScheduleDrain();  // deliver what is left and let JS see the close
  } else {
    ForgetConnection(s->id);
  }
}

}  // namespace

void DetachConnection(ConnState* s) {
  UninstallHooks(s);
  // Unregistering makes SQLite run each definition's xDestroy, which releases its JS function.
  for (auto& [name, arity] : s->definedFunctions) {
    sqlite3_create_function_v2(s->db, name.c_str(), arity, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr,
                               nullptr);
  }
  s->definedFunctions.clear();
  s->detached = true;
  s->pending.clear();
  ReleaseJs(s);
  ForgetInfo(s);
}

int AttachToConnection(sqlite3* db, char** pzErrMsg) {
  if (FindOpenConnectionByDb(db) != nullptr) return SQLITE_OK;  // loaded twice: keep the first
  ConnPtr s = RegisterConnection(db);
  auto* holder = new ConnPtr(s);
  int rc = sqlite3_create_function_v2(db, "liveframe_conn_id", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, holder,
                                      ConnIdFunction, nullptr, nullptr, ConnIdDestroy);
  if (rc != SQLITE_OK) {
    ForgetConnection(s->id);
    if (pzErrMsg != nullptr) *pzErrMsg = sqlite3_mprintf("liveframe: cannot register liveframe_conn_id()");
    return rc;
  }
  // The handshake function borrows the state kept alive by liveframe_conn_id's holder.
  rc = sqlite3_create_function_v2(db, "liveframe_handshake", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, s.get(),
                                  HandshakeFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    if (pzErrMsg != nullptr) *pzErrMsg = sqlite3_mprintf("liveframe: cannot register liveframe_handshake()");
    return rc;
  }
  InstallCaptureHooks(s.get());
  return SQLITE_OK;
}

}  // namespace liveframe
