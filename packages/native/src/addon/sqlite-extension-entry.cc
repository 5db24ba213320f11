// The SQLite side of the shared object: libSQL's loadExtension() dlopens this same file and
// calls sqlite3_extension_init with its own connection and API table.
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

namespace liveframe {
int AttachToConnection(sqlite3* db, char** pzErrMsg);
}

extern "C" __attribute__((visibility("default"))) int sqlite3_extension_init(
    sqlite3* db, char** pzErrMsg, const sqlite3_api_routines* pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  return liveframe::AttachToConnection(db, pzErrMsg);
}
