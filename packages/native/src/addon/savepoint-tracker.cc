// SQLite fires no hook for ROLLBACK TO, yet it undoes the rows written since the savepoint. We
// mirror the savepoint stack from statement text (trace hook, at statement start) and cut the
// pending buffer back to the mark recorded when the savepoint opened.
#include <cctype>
#include <string>

#include "connection-state.h"

namespace liveframe {
namespace {

const char* SkipSpaceAndComments(const char* p) {
  for (;;) {
    while (*p != 0 && std::isspace(static_cast<unsigned char>(*p))) p++;
    if (p[0] == '-' && p[1] == '-') {
      while (*p != 0 && *p != '\n') p++;
    } else if (p[0] == '/' && p[1] == '*') {
      p += 2;
      while (*p != 0 && !(p[0] == '*' && p[1] == '/')) p++;
      if (*p != 0) p += 2;
    } else {
      return p;
    }
  }
}

bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         (static_cast<unsigned char>(c) & 0x80) != 0;
}

// Reads a keyword or identifier (bare or quoted with "", '', [] or ``), folded to lower case the
// way SQLite compares savepoint names (ASCII only).
bool ReadName(const char*& p, std::string& out, bool* quoted = nullptr) {
  p = SkipSpaceAndComments(p);
  out.clear();
  char open = *p;
  char close = open == '"' ? '"' : open == '\'' ? '\'' : open == '`' ? '`' : open == '[' ? ']' : 0;
  if (quoted != nullptr) *quoted = close != 0;
  if (close != 0) {
    p++;
    while (*p != 0) {
      if (*p == close) {
        if (close != ']' && p[1] == close) {
          out += close;
          p += 2;
          continue;
        }
        p++;
        break;
      }
      out += *p++;
    }
  } else {
    while (*p != 0 && IsIdentChar(*p)) out += *p++;
  }
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return !out.empty() || close != 0;
}

// Finds the innermost savepoint with this name, as SQLite does.
int FindSavepoint(const ConnState* s, const std::string& name) {
  for (int i = static_cast<int>(s->savepoints.size()) - 1; i >= 0; i--) {
    if (s->savepoints[static_cast<size_t>(i)].name == name) return i;
  }
  return -1;
}

// Reads the savepoint name after an optional SAVEPOINT keyword ("RELEASE x", "RELEASE SAVEPOINT x").
bool ReadSavepointName(const char*& p, std::string& name) {
  bool quoted = false;
  if (!ReadName(p, name, &quoted)) return false;
  if (!quoted && name == "savepoint") {
    const char* save = p;
    std::string next;
    if (ReadName(p, next) && !next.empty()) {
      name = next;
    } else {
      p = save;  // a savepoint literally named "savepoint"
    }
  }
  return !name.empty();
}

}  // namespace

void HandleSavepointStatement(ConnState* s, const char* sql) {
  const char* p = sql;
  std::string word;
  if (!ReadName(p, word)) return;
  if (word == "savepoint") {
    std::string name;
    if (ReadName(p, name) && !name.empty()) s->savepoints.push_back({name, s->pending.size()});
  } else if (word == "release") {
    std::string name;
    if (!ReadSavepointName(p, name)) return;
    int i = FindSavepoint(s, name);
    if (i >= 0) s->savepoints.resize(static_cast<size_t>(i));
  } else if (word == "rollback") {
    std::string next;
    if (!ReadName(p, next)) return;
    if (next == "transaction" && !ReadName(p, next)) return;
    if (next != "to") return;  // plain ROLLBACK: the rollback hook discards everything
    std::string name;
    if (!ReadSavepointName(p, name)) return;
    int i = FindSavepoint(s, name);
    if (i < 0) return;  // SQLite will fail with "no such savepoint"; nothing is undone
    auto& sp = s->savepoints[static_cast<size_t>(i)];
    s->pending.truncate(sp.mark);
    s->lastTablePtr = nullptr;
    // ROLLBACK TO keeps the savepoint itself open but cancels the nested ones.
    s->savepoints.resize(static_cast<size_t>(i) + 1);
  }
}

}  // namespace liveframe
