// The Node-API side of the shared object: the functions native-connection.ts calls.
#include <napi.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "connection-state.h"

namespace liveframe {
namespace {

uint32_t IdArg(const Napi::CallbackInfo& info) { return info[0].As<Napi::Number>().Uint32Value(); }

ConnPtr OpenConnection(const Napi::CallbackInfo& info) {
  uint32_t id = IdArg(info);
  ConnPtr s = FindConnection(id);
  if (!s || s->closed || s->detached || s->db == nullptr) {
    throw Napi::Error::New(info.Env(),
                           "CONNECTION_CLOSED: native connection " + std::to_string(id) + " is closed");
  }
  return s;
}

void SetCallback(Napi::FunctionReference& ref, const Napi::Value& v) {
  if (v.IsFunction()) {
    ref = Napi::Persistent(v.As<Napi::Function>());
  } else {
    ref.Reset();
  }
}

// claim(token) -> id: completes the handshake, binds the connection to this JS environment and
// proves we are on its thread.
Napi::Value Claim(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = TakeHandshake(info[0].As<Napi::String>().Utf8Value());
  ConnPtr s = id == 0 ? nullptr : FindConnection(id);
  if (!s || s->closed || s->detached) {
    throw Napi::Error::New(env, "HANDSHAKE_FAILED: no connection answered this handshake token");
  }
  if (std::this_thread::get_id() != s->owner) {
    throw Napi::Error::New(env, "OFF_THREAD: the extension was loaded on another thread");
  }
  if (s->envData != nullptr) {
    throw Napi::Error::New(env, "ALREADY_ATTACHED: this connection already has a NativeConnection");
  }
  s->envData = env.GetInstanceData<EnvData>();
  return Napi::Number::New(env, s->id);
}

Napi::Value Detach(const Napi::CallbackInfo& info) {
  ConnPtr s = FindConnection(IdArg(info));
  if (s && !s->closed && !s->detached) DetachConnection(s.get());
  if (s) ForgetConnection(s->id);
  return info.Env().Undefined();
}

Napi::Object BatchToJs(Napi::Env env, const CommitBatch& b) {
  auto obj = Napi::Object::New(env);
  size_t n = b.changes.size();
  auto ops = Napi::Uint8Array::New(env, n);
  auto tableIndex = Napi::Uint32Array::New(env, n);
  auto rowids = Napi::Float64Array::New(env, n);
  if (n > 0) {
    std::memcpy(ops.Data(), b.changes.ops.data(), n);
    std::memcpy(tableIndex.Data(), b.changes.tableIndex.data(), n * sizeof(uint32_t));
    std::memcpy(rowids.Data(), b.changes.rowids.data(), n * sizeof(double));
  }
  auto tables = Napi::Array::New(env, b.changes.tables.size());
  for (uint32_t i = 0; i < b.changes.tables.size(); i++) tables.Set(i, b.changes.tables[i]);
  obj.Set("seq", Napi::Number::New(env, static_cast<double>(b.seq)));
  obj.Set("walFrames", Napi::Number::New(env, static_cast<double>(b.walFrames)));
  obj.Set("framesWritten", Napi::Number::New(env, static_cast<double>(b.framesWritten)));
  obj.Set("ops", ops);
  obj.Set("tableIndex", tableIndex);
  obj.Set("rowids", rowids);
  obj.Set("tables", tables);
  return obj;
}

// drain(id) -> { closed, batches: [...] } | undefined (nothing to report). Cheap when empty:
// db-core calls it after every write statement.
Napi::Value Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnPtr s = FindConnection(IdArg(info));
  if (!s) return env.Undefined();
  if (!s->closed && s->hasCommitting.load()) FinalizeCommitIfDone(s.get());
  std::vector<CommitBatch> ready;
  {
    std::lock_guard<std::mutex> lock(s->queueMutex);
    if (s->ready.empty() && !s->closed) return env.Undefined();  // the common, cheap case
    ready.reserve(s->ready.size());
    for (auto& b : s->ready) ready.push_back(std::move(b));
    s->ready.clear();
  }
  auto batches = Napi::Array::New(env, ready.size());
  for (uint32_t i = 0; i < ready.size(); i++) batches.Set(i, BatchToJs(env, ready[i]));
  auto out = Napi::Object::New(env);
  out.Set("closed", Napi::Boolean::New(env, s->closed));
  out.Set("batches", batches);
  if (s->closed) ForgetConnection(s->id);  // everything has been handed over
  return out;
}

Napi::Value SetAutoDrainHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<EnvData>();
  if (data->autoDrain != nullptr) return env.Undefined();
  napi_value name = Napi::String::New(env, "liveframe-auto-drain");
  napi_status st = napi_create_threadsafe_function(
      env, info[0], nullptr, name, 0, 1, nullptr, nullptr, data,
      [](napi_env e, napi_value js, void* ctx, void*) {
        if (e == nullptr || js == nullptr) return;
        static_cast<EnvData*>(ctx)->drainScheduled = false;
        napi_value undefined;
        napi_get_undefined(e, &undefined);
        napi_call_function(e, undefined, js, 0, nullptr, nullptr);
      },
      &data->autoDrain);
  if (st != napi_ok) throw Napi::Error::New(env, "cannot create the auto-drain callback");
  // Pending deliveries must not keep the process alive on their own.
  napi_unref_threadsafe_function(env, data->autoDrain);
  return env.Undefined();
}

Napi::Value SetCommitListener(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  SetCallback(s->js.commitVeto, info[1]);
  return info.Env().Undefined();
}

Napi::Value SetAuthorizer(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  SetCallback(s->js.authorizer, info[1]);
  return info.Env().Undefined();
}

Napi::Value SetPerEventListener(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  SetCallback(s->js.perEvent, info[1]);
  return info.Env().Undefined();
}

// setProgress(id, everyOps, fn|null)
Napi::Value SetProgress(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  SetCallback(s->js.progress, info[2]);
  s->progressEveryOps = s->js.progress.IsEmpty() ? 0 : std::max(1, info[1].As<Napi::Number>().Int32Value());
  s->progressCounter = 0;
  ApplyProgressConfig(s.get());
  return info.Env().Undefined();
}

// setDeadline(id, ms): ms <= 0 clears it.
Napi::Value SetDeadline(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  double ms = info[1].As<Napi::Number>().DoubleValue();
  s->deadlineNs = ms > 0 ? MonotonicNowNs() + static_cast<int64_t>(ms * 1e6) : 0;
  ApplyProgressConfig(s.get());
  return info.Env().Undefined();
}

Napi::Value SetCapture(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  s->capture = info[1].As<Napi::Boolean>().Value();
  if (!s->capture) s->pending.clear();
  return info.Env().Undefined();
}

Napi::Value SetAutoCheckpoint(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  s->autoCheckpoint = info[1].As<Napi::Number>().Int32Value();
  return info.Env().Undefined();
}

// limit(id, limitId, value) -> previous value (value < 0 only reads)
Napi::Value Limit(const Napi::CallbackInfo& info) {
  ConnPtr s = OpenConnection(info);
  int prev = sqlite3_limit(s->db, info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), prev);
}

// takeFailure(id) -> { code, message, cause? } | undefined. Consumed on read.
Napi::Value TakeFailure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnPtr s = FindConnection(IdArg(info));
  if (!s || !s->hasFailure) return env.Undefined();
  auto out = Napi::Object::New(env);
  out.Set("code", s->failure.code);
  out.Set("message", s->failure.message);
  if (!s->failure.cause.IsEmpty()) {
    out.Set("cause", s->failure.cause.Value());
    s->failure.cause.Reset();
  }
  s->hasFailure = false;
  return out;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnPtr s = FindConnection(IdArg(info));
  auto out = Napi::Object::New(env);
  out.Set("registered", Napi::Boolean::New(env, static_cast<bool>(s)));
  if (!s) return out;
  std::lock_guard<std::mutex> lock(s->queueMutex);
  out.Set("closed", Napi::Boolean::New(env, s->closed));
  out.Set("pendingEvents", Napi::Number::New(env, static_cast<double>(s->pending.size())));
  out.Set("readyBatches", Napi::Number::New(env, static_cast<double>(s->ready.size())));
  out.Set("seq", Napi::Number::New(env, static_cast<double>(s->seq)));
  out.Set("savepointDepth", Napi::Number::New(env, static_cast<double>(s->savepoints.size())));
  return out;
}

Napi::Value RegisteredCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(RegisteredConnectionCount()));
}

// Test hook: runs SQL on the connection from a foreign thread, the way a binding with a thread
// pool would, so the off-thread paths are exercised for real. Blocks the JS thread meanwhile.
Napi::Value RunOffThread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnPtr s = OpenConnection(info);
  std::string sql = info[1].As<Napi::String>().Utf8Value();
  int rc = 0;
  std::string message;
  std::thread worker([&] {
    char* err = nullptr;
    rc = sqlite3_exec(s->db, sql.c_str(), nullptr, nullptr, &err);
    if (err != nullptr) {
      message = err;
      sqlite3_free(err);
    }
  });
  worker.join();
  auto out = Napi::Object::New(env);
  out.Set("rc", rc);
  out.Set("message", message);
  return out;
}

// Environment teardown: no JS may be touched for this env's connections from now on.
void ReleaseEnvData(Napi::Env, EnvData* d) {
  d->alive = false;
  for (auto& s : ConnectionsOf(d)) {
    for (auto* ref : {&s->js.commitVeto, &s->js.authorizer, &s->js.progress, &s->js.perEvent}) {
      if (!ref->IsEmpty()) ref->SuppressDestruct();
    }
    if (!s->failure.cause.IsEmpty()) s->failure.cause.SuppressDestruct();
    s->envData = nullptr;
  }
  delete d;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<EnvData, ReleaseEnvData>(new EnvData(env));
  exports.Set("claim", Napi::Function::New(env, Claim));
  exports.Set("detach", Napi::Function::New(env, Detach));
  exports.Set("drain", Napi::Function::New(env, Drain));
  exports.Set("setAutoDrainHandler", Napi::Function::New(env, SetAutoDrainHandler));
  exports.Set("setCommitListener", Napi::Function::New(env, SetCommitListener));
  exports.Set("setAuthorizer", Napi::Function::New(env, SetAuthorizer));
  exports.Set("setPerEventListener", Napi::Function::New(env, SetPerEventListener));
  exports.Set("setProgress", Napi::Function::New(env, SetProgress));
  exports.Set("setDeadline", Napi::Function::New(env, SetDeadline));
  exports.Set("setCapture", Napi::Function::New(env, SetCapture));
  exports.Set("setAutoCheckpoint", Napi::Function::New(env, SetAutoCheckpoint));
  exports.Set("limit", Napi::Function::New(env, Limit));
  exports.Set("takeFailure", Napi::Function::New(env, TakeFailure));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("registeredCount", Napi::Function::New(env, RegisteredCount));
  exports.Set("runOffThreadForTest", Napi::Function::New(env, RunOffThread));
  InitFunctionExports(env, exports);
  return exports;
}

}  // namespace
}  // namespace liveframe

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return liveframe::Init(env, exports); }

NODE_API_MODULE(liveframe_native, InitModule)
