// The addon never links libsqlite3: every sqlite3_* call goes through the API table that
// libSQL hands to sqlite3_extension_init, so we always talk to libSQL's own engine (a second
// SQLite copy in the process would corrupt shared files through separate lock tables).
#pragma once

#include <sqlite3ext.h>

SQLITE_EXTENSION_INIT3
