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
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    config_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'interrupted', 'failed', 'done', 'cancelled')),
    sample_count INTEGER NOT NULL,
    provider TEXT,
    provider_attempts_json TEXT,
    error TEXT,
    summary_json TEXT,
    app_version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    -- Time actually spent running, summed over resumes.
    active_ms INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  -- One row per evaluated sample, written batch by batch in one transaction each.
  CREATE TABLE run_samples (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sample_index INTEGER NOT NULL,
    label INTEGER NOT NULL,
    pred INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    logits BLOB NOT NULL,
    logit_margin REAL NOT NULL,
    feature_margin_linf REAL,
    feature_margin_l2 REAL,
    PRIMARY KEY (run_id, position)
  ) STRICT;

  CREATE TABLE run_log (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    line TEXT NOT NULL
  ) STRICT;
  CREATE INDEX run_log_by_run ON run_log(run_id);
  `,
  `
  -- What Brink found in the graph at import: differentiability report and linear head.
  ALTER TABLE models ADD COLUMN analysis_json TEXT;
  `,
  `
  -- Files a model keeps its weights in (ONNX external data, how models over 2 GB are saved),
  -- stored with the project so that a copied project still runs. Keyed by the normalised
  -- location the model names; the bytes go in chunks, since one SQLite blob holds at most 1 GB.
  CREATE TABLE model_external_files (
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    location TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    chunk_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (model_id, location)
  ) STRICT;

  CREATE TABLE model_external_chunks (
    model_id TEXT NOT NULL,
    location TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (model_id, location, chunk),
    FOREIGN KEY (model_id, location) REFERENCES model_external_files(model_id, location) ON DELETE CASCADE
  ) STRICT;
  `,
  `
  -- Minimal-norm attacks: each sample's best verified input margin (in the run's norm), the
  -- attack that found it, its norms, and the verified adversarial example (deflated float32).
  ALTER TABLE run_samples ADD COLUMN input_margin REAL;
  ALTER TABLE run_samples ADD COLUMN margin_found INTEGER;
  ALTER TABLE run_samples ADD COLUMN best_attack TEXT;
  ALTER TABLE run_samples ADD COLUMN adv_linf REAL;
  ALTER TABLE run_samples ADD COLUMN adv_l2 REAL;
  ALTER TABLE run_samples ADD COLUMN adv_l1 REAL;
  ALTER TABLE run_samples ADD COLUMN adversarial BLOB;
  ALTER TABLE run_samples ADD COLUMN adversarial_logits BLOB;

  -- Every attack's verified outcome per sample; epsilon 0 marks the unconstrained (margin) mode.
  CREATE TABLE run_attack_samples (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    attack TEXT NOT NULL,
    epsilon REAL NOT NULL,
    found INTEGER NOT NULL,
    linf REAL,
    l2 REAL,
    l1 REAL,
    iterations INTEGER NOT NULL,
    PRIMARY KEY (run_id, position, attack, epsilon)
  ) STRICT;
  `,
  `
  -- The paper's "feature dist" (Fig. 6): how far the best verified adversarial moved the
  -- penultimate features h (the linear head's input), ||h(x) - h(x_adv)|| in l_inf as the paper's
  -- code computes it, and in l2. Null without a detected linear head or without an adversarial,
  -- and on rows written before this migration.
  ALTER TABLE run_samples ADD COLUMN feature_distance_linf REAL;
  ALTER TABLE run_samples ADD COLUMN feature_distance_l2 REAL;
  `,
  `
  -- Issue 10 (audits an auditor can trust). Each part below belongs to one piece of work; keep
  -- every statement inside its own part.

  -- Part A: where the logits are, the input layout, the image input.
  -- How Brink reads the model (JSON: image input, layout, logits source, the trailing Softmax,
  -- the batch the file fixes and whether it was made symbolic); null on models imported before,
  -- which get the detected reading when the project opens. Each run keeps the reading it was
  -- created with, so that a resume after an edit of the model stays one run.
  ALTER TABLE models ADD COLUMN reading_json TEXT;
  ALTER TABLE runs ADD COLUMN reading_json TEXT;

  -- Part B: preprocessing confirmation and the preprocessing each run used.
  -- A model's preprocessing is unconfirmed until someone gives or confirms it. A model whose
  -- preprocessing differs from the import default ([0,1], mean 0, std 1) had it set by hand.
  ALTER TABLE models ADD COLUMN preprocessing_confirmed INTEGER NOT NULL DEFAULT 0;
  UPDATE models SET preprocessing_confirmed = 1 WHERE preprocessing_json <> '{"valueRange":[0,1],"mean":[0],"std":[1]}';
  -- The preprocessing (JSON, with whether it was confirmed) the run was created with; the worker
  -- folds this one, so a resume after an edit of the model keeps the run's own settings. Null on
  -- runs made before Brink recorded it.
  ALTER TABLE runs ADD COLUMN preprocessing_json TEXT;

  -- Part C: evaluation reliability.
  -- ||grad_x (f_pred - f_second)(x)|| in the dual norm of the run's norm, at the clean sample, from
  -- one vector-Jacobian product per attacked batch: exactly 0 flags a sample that gradient attacks
  -- cannot move (AutoAttack's check_zero_gradients). Null on forward runs and older rows.
  ALTER TABLE run_samples ADD COLUMN margin_gradient_norm REAL;
  -- What the worker checked once per run (JSON): two forward passes of the first batch compared.
  ALTER TABLE runs ADD COLUMN reliability_json TEXT;

  -- Part D: run names and notes.
  ALTER TABLE runs ADD COLUMN name TEXT;
  ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
  -- When the running stretch under way began, so that "time running" counts on after a resume.
  ALTER TABLE runs ADD COLUMN running_since TEXT;
  `,
  `
  -- Issue 11: the memory plan the job recorded when it last started (JSON RunPlan: budget, batch,
  -- rows per chunk, expected peak, FAB's form, out-of-memory exits); null before it started.
  ALTER TABLE runs ADD COLUMN plan_json TEXT;
  `,
  `
  -- Issue 11: how an image folder's images were brought to one size (JSON ImageFit: strict, crop,
  -- stretch or pad, with the sizes); null for the other formats. Image folders imported before
  -- kept only the images of the most common size, which is strict.
  ALTER TABLE datasets ADD COLUMN fit_json TEXT;
  UPDATE datasets SET fit_json = '{"mode":"strict"}' WHERE format = 'image-folder';
  `,
  `
  -- Issue 14: each sample's margin in each perturbation family the run measured (engine/perturb):
  -- the smallest strength found that changes the prediction (null: censored, none within the
  -- family's range), the largest seen to keep it, the changed prediction, the direction that gave
  -- it, and the predictions at the benchmark's five severities (JSON array; null for spatial).
  CREATE TABLE run_family_samples (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    family TEXT NOT NULL,
    strength REAL,
    below REAL NOT NULL,
    prediction INTEGER,
    direction INTEGER,
    severity_predictions TEXT,
    PRIMARY KEY (run_id, position, family)
  ) STRICT;
  `,
  `
  -- Issue 12: datasets without labels (a flat image folder, x without y), for screening and for
  -- margins measured from the prediction. Their stored labels are all -1; every dataset imported
  -- before had labels.
  ALTER TABLE datasets ADD COLUMN labeled INTEGER NOT NULL DEFAULT 1;
  `,
  `
  -- Issue 12: learned pseudo-margins. One network per row, stored as ONNX bytes (raw logits or
  -- penultimate features in, the sigmoid estimate of sqrt(input margin / bound) out), with its
  -- provenance: the run it learned from (kept as text: the network outlives a removed run), the
  -- input it reads, the network variant, the seed, the held-out sample positions (split_json),
  -- the settings and the held-out metrics beside the logit margin's (JSON).
  CREATE TABLE pseudo_margins (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    input_kind TEXT NOT NULL CHECK (input_kind IN ('logits', 'features')),
    variant TEXT NOT NULL CHECK (variant IN ('code', 'paper')),
    seed INTEGER NOT NULL,
    split_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    validation_json TEXT NOT NULL,
    losses BLOB NOT NULL,
    onnx BLOB NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX pseudo_margins_by_model ON pseudo_margins(model_id);
  `,
  `
  -- Issue 13: the audit reports made from the project: the PDF's name, where it was written and
  -- its SHA-256, the hashes of its sidecar JSON and per-sample CSV, the runs and settings it
  -- describes (JSON ReportSettings) and its recorded time (printed on it and in the PDF's dates).
  CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER NOT NULL,
    sidecar_sha256 TEXT NOT NULL,
    samples_sha256 TEXT NOT NULL,
    run_ids_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- Issue 14: the audit group of a run queued with others (run.startMany): one configuration
  -- against several models, on the same samples, so that their results line up row by row.
  -- Null for a run started on its own.
  ALTER TABLE runs ADD COLUMN audit_group TEXT;
  `,
  `
  -- Issue 14: the Lipschitz estimate of each sample's margin (engine/margins/lipschitz, Wu and Yu
  -- eq. 16) in the norm of the run's Lipschitz settings, capped at their radius: an estimate, not
  -- a certificate. Null on runs that made none.
  ALTER TABLE run_samples ADD COLUMN lipschitz_margin REAL;

  -- Issue 14: checkpoint series: checkpoints of one model in training order (position), and the
  -- runs queued for them, so that a series view compares runs made with one configuration.
  CREATE TABLE series (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE series_models (
    series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    PRIMARY KEY (series_id, position)
  ) STRICT;
  CREATE TABLE series_runs (
    series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    PRIMARY KEY (series_id, run_id)
  ) STRICT;
  `,
  `
  -- Issue 13: what printed a report (e.g. "Chromium 143.0.7499.40"): another printer gives other
  -- bytes, so a re-export is checked against it. Null for reports made before it was recorded.
  ALTER TABLE reports ADD COLUMN printer TEXT;
  `,
];
