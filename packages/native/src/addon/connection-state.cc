// Connection registry, per-environment data and the guard every JS call from SQLite goes through.
#include "connection-state.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace liveframe {

void ChangeColumns::clear() {
  ops.clear();
  tableIndex.clear();
  rowids.clear();
  tables.clear();
}

void ChangeColumns::truncate(size_t n) {
  if (n >= ops.size()) return;
  ops.resize(n);
  tableIndex.resize(n);
  rowids.resize(n);
  // Drop table names no surviving event refers to, so a batch never names untouched tables.
  std::vector<int64_t> remap(tables.size(), -1);
  std::vector<std::string> kept;
  for (auto& idx : tableIndex) {
    if (remap[idx] < 0) {
      remap[idx] = static_cast<int64_t>(kept.size());
      kept.push_back(tables[idx]);
    }
    idx = static_cast<uint32_t>(remap[idx]);
  }
  tables = std::move(kept);
}

void ChangeColumns::append(ChangeColumns&& other) {
  std::vector<uint32_t> remap(other.tables.size());
  for (size_t i = 0; i < other.tables.size(); i++) {
    auto it = std::find(tables.begin(), tables.end(), other.tables[i]);
    if (it == tables.end()) {
      remap[i] = static_cast<uint32_t>(tables.size());
      tables.push_back(other.tables[i]);
    } else {
      remap[i] = static_cast<uint32_t>(it - tables.begin());
    }
  }
  ops.insert(ops.end(), other.ops.begin(), other.ops.end());
  rowids.insert(rowids.end(), other.rowids.begin(), other.rowids.end());
  for (auto idx : other.tableIndex) tableIndex.push_back(remap[idx]);
  other.clear();
}

void ConnState::recordFailure(std::string code, std::string message) {
  failure.code = std::move(code);
  failure.message = std::move(message);
  if (!failure.cause.IsEmpty() && envData != nullptr && std::this_thread::get_id() == owner) {
    failure.cause.Reset();
  }
  hasFailure = true;
}

// The registry is leaked on purpose: static destructors run after Node tore down its
// environments, and destroying JS references then would crash at exit.
namespace {
struct Registry {
  std::mutex mutex;
  std::unordered_map<uint32_t, ConnPtr> byId;
  uint32_t nextId = 1;
};
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}
}  // namespace

ConnPtr RegisterConnection(sqlite3* db) {
  auto& r = registry();
  auto s = std::make_shared<ConnState>();
  s->db = db;
  s->owner = std::this_thread::get_id();
  std::lock_guard<std::mutex> lock(r.mutex);
  s->id = r.nextId++;
  r.byId.emplace(s->id, s);
  return s;
}

ConnPtr FindConnection(uint32_t id) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.byId.find(id);
  return it == r.byId.end() ? nullptr : it->second;
}

ConnPtr FindOpenConnectionByDb(sqlite3* db) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto& [id, s] : r.byId) {
    if (s->db == db && !s->closed && !s->detached) return s;
  }
  return nullptr;
}

void ForgetConnection(uint32_t id) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.byId.erase(id);
}

std::vector<ConnPtr> ConnectionsOf(EnvData* env) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<ConnPtr> out;
  for (auto& [id, s] : r.byId) {
    if (s->envData == env) out.push_back(s);
  }
  return out;
}

size_t RegisteredConnectionCount() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.byId.size();
}

namespace {
std::mutex& handshakeMutex() {
  static auto* m = new std::mutex();
  return *m;
}
std::unordered_map<std::string, uint32_t>& handshakes() {
  static auto* m = new std::unordered_map<std::string, uint32_t>();
  return *m;
}
}  // namespace

void RememberHandshake(const std::string& token, uint32_t id) {
  std::lock_guard<std::mutex> lock(handshakeMutex());
  handshakes()[token] = id;
}

uint32_t TakeHandshake(const std::string& token) {
  std::lock_guard<std::mutex> lock(handshakeMutex());
  auto it = handshakes().find(token);
  if (it == handshakes().end()) return 0;
  uint32_t id = it->second;
  handshakes().erase(it);
  return id;
}

void EnvData::ScheduleDrain() {
  if (autoDrain == nullptr || !alive) return;
  if (!drainScheduled.exchange(true)) {
    if (napi_call_threadsafe_function(autoDrain, nullptr, napi_tsfn_nonblocking) != napi_ok) {
      drainScheduled = false;
    }
  }
}

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

JsCallGuard::JsCallGuard(ConnState* s) : s_(s) {
  if (std::this_thread::get_id() != s->owner) {
    error_ = "OFF_THREAD";
    return;
  }
  if (s->envData == nullptr || !s->envData->alive || s->detached || s->closed) {
    error_ = "DETACHED";
    return;
  }
  if (s->callbackDepth > 0) {
    error_ = "REENTRANT_CALL";
    return;
  }
  if (napi_open_handle_scope(s->envData->env, &scope_) != napi_ok) {
    error_ = "CALLBACK_ERROR";
    return;
  }
  s->callbackDepth++;
  ApplyProgressConfig(s);
}

JsCallGuard::~JsCallGuard() {
  if (error_ != nullptr) return;
  s_->callbackDepth--;
  ApplyProgressConfig(s_);
  napi_close_handle_scope(s_->envData->env, scope_);
}

}  // namespace liveframe
