// The one authorizer SQLite allows per connection. It serves three masters: the JS authorizer
// callback (permissions, read-set capture), the re-entrancy guard (no prepares on a connection
// while one of its JS callbacks runs) and change capture (write targets, truncate optimization).
#include <cstring>
#include <string>

#include "connection-state.h"

namespace liveframe {
namespace {

bool IsSchemaChange(int action) {
  return (action >= SQLITE_CREATE_INDEX && action <= SQLITE_DROP_VIEW && action != SQLITE_DELETE) ||
         action == SQLITE_ALTER_TABLE || action == SQLITE_CREATE_VTABLE || action == SQLITE_DROP_VTABLE;
}

napi_value OptionalString(Napi::Env env, const char* s) {
  return s == nullptr ? env.Null() : Napi::String::New(env, s);
}

}  // namespace

int OnAuthorize(void* p, int action, const char* a1, const char* a2, const char* dbName,
                const char* trigger) {
  auto* s = static_cast<ConnState*>(p);
  bool isWrite = action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE;
  if (s->probing) {
    if (isWrite) NoteWriteTarget(s, action, a1, dbName);
    return SQLITE_OK;
  }
  if (s->callbackDepth > 0 && std::this_thread::get_id() == s->owner) {
    // libsql-js would re-enter its own connection object from inside its own call; refuse at
    // prepare time, where SQLite lets us fail cleanly.
    s->recordFailure("REENTRANT_CALL",
                     "liveframe: connection " + std::to_string(s->id) +
                         " is busy running a JS callback (SQL function, hook or authorizer); "
                         "re-entrant use of the same connection is refused");
    return SQLITE_DENY;
  }
  int rc = SQLITE_OK;
  if (!s->js.authorizer.IsEmpty()) {
    JsCallGuard guard(s);
    if (!guard.ok()) {
      s->recordFailure(guard.error(), std::string("liveframe: the authorizer callback could not run (") +
                                          guard.error() + "); statement denied");
      return SQLITE_DENY;
    }
    Napi::Env env = guard.env();
    try {
      Napi::Value verdict = s->js.authorizer.Call({Napi::Number::New(env, action), OptionalString(env, a1),
                                                   OptionalString(env, a2), OptionalString(env, dbName),
                                                   OptionalString(env, trigger)});
      int v = verdict.IsNumber() ? verdict.As<Napi::Number>().Int32Value() : -1;
      if (v == 1) {
        rc = SQLITE_DENY;
        s->recordFailure("AUTHORIZATION_DENIED", "liveframe: the authorizer denied this statement");
      } else if (v == 2) {
        rc = SQLITE_IGNORE;
      } else if (v != 0) {
        s->recordFailure("CALLBACK_ERROR", "liveframe: the authorizer returned an invalid verdict");
        return SQLITE_DENY;
      }
    } catch (const Napi::Error& e) {
      s->recordFailure("CALLBACK_ERROR", "authorizer threw: " + e.Message());
      s->failure.cause = Napi::Persistent(e.Value().As<Napi::Value>());
      return SQLITE_DENY;
    }
  }
  if (IsSchemaChange(action)) ForgetSchemaKnowledge(s);
  // DROP TABLE/VIEW also asks for SQLITE_DELETE on the dropped object (and on the schema table);
  // answering IGNORE there would silently skip the DROP.
  bool partOfDrop = s->lastAuthAction >= SQLITE_DROP_INDEX && s->lastAuthAction <= SQLITE_DROP_VIEW;
  s->lastAuthAction = action;
  if (isWrite && s->capture && rc == SQLITE_OK && !partOfDrop) {
    NoteWriteTarget(s, action, a1, dbName);
    // IGNORE on DELETE keeps the row-by-row delete: SQLite's truncate optimization (DELETE
    // without WHERE) skips the update hook entirely.
    if (action == SQLITE_DELETE && a1 != nullptr && std::strncmp(a1, "sqlite_", 7) != 0) {
      rc = SQLITE_IGNORE;
    }
  }
  return rc;
}

}  // namespace liveframe
