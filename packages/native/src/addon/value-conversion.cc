// SQLite <-> JS value conversion for user-defined functions. Integers outside the JS safe range
// travel as bigint so nothing is silently rounded.
#include <cmath>
#include <cstring>
#include <string>

#include "connection-state.h"

namespace liveframe {

namespace {
constexpr int64_t kMaxSafe = 9007199254740991LL;
}

Napi::Value ToJs(Napi::Env env, sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: {
      sqlite3_int64 i = sqlite3_value_int64(v);
      if (i > kMaxSafe || i < -kMaxSafe) return Napi::BigInt::New(env, static_cast<int64_t>(i));
      return Napi::Number::New(env, static_cast<double>(i));
    }
    case SQLITE_FLOAT:
      return Napi::Number::New(env, sqlite3_value_double(v));
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return Napi::String::New(env, text == nullptr ? "" : text, static_cast<size_t>(sqlite3_value_bytes(v)));
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_value_blob(v);
      auto n = static_cast<size_t>(sqlite3_value_bytes(v));
      auto buf = Napi::Buffer<uint8_t>::New(env, n);
      if (n > 0) std::memcpy(buf.Data(), blob, n);
      return buf;
    }
    default:
      return env.Null();
  }
}

std::string SetResult(sqlite3_context* ctx, Napi::Value value) {
  if (value.IsNull() || value.IsUndefined()) {
    sqlite3_result_null(ctx);
  } else if (value.IsBoolean()) {
    sqlite3_result_int(ctx, value.As<Napi::Boolean>().Value() ? 1 : 0);
  } else if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    // Integral numbers come back as SQLite integers so typeof() and comparisons behave.
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= static_cast<double>(kMaxSafe)) {
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(d));
    } else {
      sqlite3_result_double(ctx, d);
    }
  } else if (value.IsBigInt()) {
    bool lossless = false;
    int64_t i = value.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) return "liveframe: bigint result does not fit in a 64-bit SQLite integer";
    sqlite3_result_int64(ctx, i);
  } else if (value.IsString()) {
    std::string s = value.As<Napi::String>().Utf8Value();
    sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else if (value.IsTypedArray()) {
    auto ta = value.As<Napi::TypedArray>();
    if (ta.ByteLength() == 0) {
      sqlite3_result_zeroblob(ctx, 0);  // a null data pointer would make SQLite return NULL
    } else {
      auto* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      sqlite3_result_blob64(ctx, base, ta.ByteLength(), SQLITE_TRANSIENT);
    }
  } else if (value.IsDataView()) {
    auto dv = value.As<Napi::DataView>();
    if (dv.ByteLength() == 0) {
      sqlite3_result_zeroblob(ctx, 0);
    } else {
      auto* base = static_cast<uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
      sqlite3_result_blob64(ctx, base, dv.ByteLength(), SQLITE_TRANSIENT);
    }
  } else if (value.IsArrayBuffer()) {
    auto ab = value.As<Napi::ArrayBuffer>();
    if (ab.ByteLength() == 0) {
      sqlite3_result_zeroblob(ctx, 0);
    } else {
      sqlite3_result_blob64(ctx, ab.Data(), ab.ByteLength(), SQLITE_TRANSIENT);
    }
  } else {
    return "liveframe: a SQL function returned an unsupported value (use null, number, bigint, string, "
           "boolean or Uint8Array)";
  }
  return {};
}

}  // namespace liveframe
