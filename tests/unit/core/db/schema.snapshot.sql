CREATE INDEX audit_log_at ON audit_log(at);
CREATE TABLE audit_log ( id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail_json TEXT NOT NULL DEFAULT '{}' ) STRICT;
CREATE TABLE catalogue_cache ( network_id TEXT PRIMARY KEY NOT NULL, fetched_at TEXT NOT NULL, catalogue_json TEXT NOT NULL ) STRICT;
CREATE TABLE memberships ( network_id TEXT NOT NULL, competition_id TEXT NOT NULL, kind TEXT NOT NULL, hotkey TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('joining', 'joined', 'leaving', 'left', 'failed')), intent TEXT NOT NULL CHECK (intent IN ('join', 'leave')), steps_json TEXT NOT NULL, pending_tx TEXT, attempts INTEGER NOT NULL DEFAULT 0, retry_at TEXT, error_code TEXT, error_message TEXT, joined_at TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (network_id, competition_id) ) STRICT;
CREATE TABLE network_profiles ( id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, chain_url TEXT NOT NULL, hub_url TEXT NOT NULL, created_at TEXT NOT NULL ) STRICT;
CREATE TABLE settings ( key TEXT PRIMARY KEY NOT NULL, value_json TEXT NOT NULL, updated_at TEXT NOT NULL ) STRICT;
