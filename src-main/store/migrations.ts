/**
 * Schema migrations, keyed by SQLite's user_version: migration i brings the file from
 * version i to i + 1. Never edit a landed migration; append a new one.
 */
export const migrations: string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    info_json TEXT NOT NULL,
    preprocessing_json TEXT NOT NULL,
    labels_json TEXT,
    created_at TEXT NOT NULL
  ) STRICT;

  -- Model bytes live in the project so that a copied project still opens.
  CREATE TABLE model_files (
    model_id TEXT PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
    bytes BLOB NOT NULL
  ) STRICT;

  CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    source_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    count INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    height INTEGER NOT NULL,
    width INTEGER NOT NULL,
    dtype TEXT NOT NULL CHECK (dtype IN ('uint8', 'float32')),
    class_names_json TEXT,
    class_counts_json TEXT NOT NULL,
    skipped_json TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;

  -- Samples in fixed-size chunks so that jobs can stream them without loading a dataset whole.
  CREATE TABLE dataset_chunks (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    chunk INTEGER NOT NULL,
    first_index INTEGER NOT NULL,
    count INTEGER NOT NULL,
    pixels BLOB NOT NULL,
    labels BLOB NOT NULL,
    PRIMARY KEY (dataset_id, chunk)
  ) STRICT;
  `,
];
