// User-defined scalar and aggregate SQL functions implemented in JS.
#include <string>
#include <vector>

#include "connection-state.h"

namespace liveframe {
namespace {

struct FunctionDef {
  ConnPtr conn;
  std::string name;
  Napi::FunctionReference scalar;  // scalar: fn(...args)
  Napi::FunctionReference start;   // aggregate: start() -> initial accumulator
  Napi::FunctionReference step;    // aggregate: step(acc, ...args) -> acc
  Napi::FunctionReference result;  // aggregate: result(acc) -> value
};

// An aggregate's accumulator lives in a one-element JS array: Node-API 8 cannot hold references
// to primitive values directly.
struct AggregateSlot {
  napi_ref holder;
  bool started;
};

void DestroyFunction(void* p) {
  auto* def = static_cast<FunctionDef*>(p);
  ConnState* s = def->conn.get();
  bool canTouchJs = s->envData != nullptr && s->envData->alive && std::this_thread::get_id() == s->owner;
  for (auto* ref : {&def->scalar, &def->start, &def->step, &def->result}) {
    if (ref->IsEmpty()) continue;
    if (canTouchJs) {
      ref->Reset();
    } else {
      ref->SuppressDestruct();
    }
  }
  delete def;
}

// Maps a failed JS call to a SQL error; the message is what SQLite's caller will see.
void ReportJsError(sqlite3_context* ctx, ConnState* s, const Napi::Error& e, const std::string& fn) {
  if (s->hasFailure && s->failure.code == "REENTRANT_CALL") {
    // The callback tried to use its own connection; keep the precise diagnosis.
    sqlite3_result_error(ctx, s->failure.message.c_str(), -1);
    return;
  }
  std::string msg = e.Message();
  s->recordFailure("FUNCTION_ERROR", "SQL function " + fn + " threw: " + msg);
  s->failure.cause = Napi::Persistent(e.Value().As<Napi::Value>());
  sqlite3_result_error(ctx, msg.c_str(), static_cast<int>(msg.size()));
}

bool EnterJs(sqlite3_context* ctx, ConnState* s, JsCallGuard& guard, const std::string& fn) {
  if (guard.ok()) return true;
  std::string code = guard.error();
  std::string msg = code == "OFF_THREAD"
                        ? "liveframe: SQL function " + fn + " is implemented in JS and cannot run off the JS thread"
                    : code == "REENTRANT_CALL"
                        ? "liveframe: SQL function " + fn + " was called re-entrantly from inside a JS callback"
                        : "liveframe: SQL function " + fn + " is no longer available (connection detached)";
  s->recordFailure(code, msg);
  sqlite3_result_error(ctx, msg.c_str(), -1);
  return false;
}

void CollectArgs(Napi::Env env, std::vector<napi_value>& args, int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; i++) args.push_back(ToJs(env, argv[i]));
}

void CallScalar(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* def = static_cast<FunctionDef*>(sqlite3_user_data(ctx));
  ConnState* s = def->conn.get();
  JsCallGuard guard(s);
  if (!EnterJs(ctx, s, guard, def->name)) return;
  Napi::Env env = guard.env();
  try {
    std::vector<napi_value> args;
    args.reserve(static_cast<size_t>(argc));
    CollectArgs(env, args, argc, argv);
    Napi::Value out = def->scalar.Call(args);
    std::string err = SetResult(ctx, out);
    if (!err.empty()) {
      s->recordFailure("FUNCTION_ERROR", err);
      sqlite3_result_error(ctx, err.c_str(), -1);
    }
  } catch (const Napi::Error& e) {
    ReportJsError(ctx, s, e, def->name);
  }
}

void AggregateStep(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* def = static_cast<FunctionDef*>(sqlite3_user_data(ctx));
  ConnState* s = def->conn.get();
  auto* slot = static_cast<AggregateSlot*>(sqlite3_aggregate_context(ctx, sizeof(AggregateSlot)));
  if (slot == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  JsCallGuard guard(s);
  if (!EnterJs(ctx, s, guard, def->name)) return;
  Napi::Env env = guard.env();
  try {
    Napi::Array holder;
    if (!slot->started) {
      holder = Napi::Array::New(env, 1);
      holder.Set(0u, def->start.Call({}));
      napi_create_reference(env, holder, 1, &slot->holder);
      slot->started = true;
    } else {
      napi_value h;
      napi_get_reference_value(env, slot->holder, &h);
      holder = Napi::Array(env, h);
    }
    std::vector<napi_value> args;
    args.reserve(static_cast<size_t>(argc) + 1);
    args.push_back(holder.Get(0u));
    CollectArgs(env, args, argc, argv);
    holder.Set(0u, def->step.Call(args));
  } catch (const Napi::Error& e) {
    ReportJsError(ctx, s, e, def->name);
  }
}

void AggregateFinal(sqlite3_context* ctx) {
  auto* def = static_cast<FunctionDef*>(sqlite3_user_data(ctx));
  ConnState* s = def->conn.get();
  auto* slot = static_cast<AggregateSlot*>(sqlite3_aggregate_context(ctx, 0));
  JsCallGuard guard(s);
  if (!EnterJs(ctx, s, guard, def->name)) return;  // off-thread: the holder leaks rather than crash
  Napi::Env env = guard.env();
  try {
    Napi::Value acc;
    if (slot != nullptr && slot->started) {
      napi_value h;
      napi_get_reference_value(env, slot->holder, &h);
      acc = Napi::Array(env, h).Get(0u);
      napi_delete_reference(env, slot->holder);
      slot->started = false;
    } else {
      acc = def->start.Call({});  // no rows: the aggregate of an empty group
    }
    Napi::Value out = def->result.IsEmpty() ? acc : def->result.Call({acc});
    std::string err = SetResult(ctx, out);
    if (!err.empty()) {
      s->recordFailure("FUNCTION_ERROR", err);
      sqlite3_result_error(ctx, err.c_str(), -1);
    }
  } catch (const Napi::Error& e) {
    if (slot != nullptr && slot->started) {
      napi_delete_reference(env, slot->holder);
      slot->started = false;
    }
    ReportJsError(ctx, s, e, def->name);
  }
}

ConnPtr ClaimedConnection(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  ConnPtr s = FindConnection(id);
  if (!s || s->closed || s->detached || s->db == nullptr) {
    throw Napi::Error::New(env, "CONNECTION_CLOSED: native connection " + std::to_string(id) + " is closed");
  }
  return s;
}

int FunctionFlags(bool deterministic) {
  return SQLITE_UTF8 | (deterministic ? SQLITE_DETERMINISTIC : 0);
}

// defineFunction(id, name, arity, deterministic, fn)
Napi::Value DefineFunction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnPtr s = ClaimedConnection(info);
  auto* def = new FunctionDef();
  def->conn = s;
  def->name = info[1].As<Napi::String>().Utf8Value();
  int arity = info[2].As<Napi::Number>().Int32Value();
  bool deterministic = info[3].As<Napi::Boolean>().Value();
  def->scalar = Napi::Persistent(info[4].As<Napi::Function>());
  std::string name = def->name;
  int rc = sqlite3_create_function_v2(s->db, name.c_str(), arity, FunctionFlags(deterministic), def,
                                      CallScalar, nullptr, nullptr, DestroyFunction);
  if (rc == SQLITE_OK) s->definedFunctions.emplace_back(name, arity);
  if (rc != SQLITE_OK) {
    throw Napi::Error::New(env, std::string("FUNCTION_REGISTRATION_FAILED: ") + sqlite3_errmsg(s->db));
  }
  return env.Undefined();
}

// defineAggregate(id, name, arity, deterministic, start, step, result|null)
Napi::Value DefineAggregate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConnPtr s = ClaimedConnection(info);
  auto* def = new FunctionDef();
  def->conn = s;
  def->name = info[1].As<Napi::String>().Utf8Value();
  int arity = info[2].As<Napi::Number>().Int32Value();
  bool deterministic = info[3].As<Napi::Boolean>().Value();
  def->start = Napi::Persistent(info[4].As<Napi::Function>());
  def->step = Napi::Persistent(info[5].As<Napi::Function>());
  if (info[6].IsFunction()) def->result = Napi::Persistent(info[6].As<Napi::Function>());
  std::string name = def->name;
  int rc = sqlite3_create_function_v2(s->db, name.c_str(), arity, FunctionFlags(deterministic), def,
                                      nullptr, AggregateStep, AggregateFinal, DestroyFunction);
  if (rc == SQLITE_OK) s->definedFunctions.emplace_back(name, arity);
  if (rc != SQLITE_OK) {
    throw Napi::Error::New(env, std::string("FUNCTION_REGISTRATION_FAILED: ") + sqlite3_errmsg(s->db));
  }
  return env.Undefined();
}

}  // namespace

void InitFunctionExports(Napi::Env env, Napi::Object exports) {
  exports.Set("defineFunction", Napi::Function::New(env, DefineFunction));
  exports.Set("defineAggregate", Napi::Function::New(env, DefineAggregate));
}

}  // namespace liveframe
