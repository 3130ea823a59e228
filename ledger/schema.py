"""The store's schema: every table and view of the one DuckDB file, created by Store.ensure_schema.

One list, so the store needs no module that needs the store: usage and rollups (ingest), the
governance registry (org file, claims, estimates, catalog, tasks, requests), the audit log, the MCP
door's tokens and grants, discovered models, inference-profile routes, model lifecycle statuses and
business volumes.
"""

SCHEMA_VERSION = 2

# Raw Bedrock rows, normalised. One row per CUR line item that concerns Bedrock.
USAGE_DDL = """
CREATE TABLE IF NOT EXISTS bedrock_usage (
    billing_period      VARCHAR NOT NULL,   -- YYYY-MM
    usage_start         TIMESTAMP NOT NULL, -- UTC, hour or day as delivered
    usage_date          DATE NOT NULL,
    payer_account       VARCHAR,
    account_id          VARCHAR NOT NULL,
    region              VARCHAR NOT NULL,   -- source region for cross-region; 'unknown' if not derivable
    principal           VARCHAR NOT NULL,   -- role ARN for assumed roles; 'unknown' when empty
    principal_raw       VARCHAR,
    principal_type      VARCHAR NOT NULL,   -- role | user | api_key | root | unknown | other
    line_item_type      VARCHAR NOT NULL,
    charge_class        VARCHAR NOT NULL,   -- usage | credit | refund | tax | discount | fee | other
    billing_entity      VARCHAR,
    product_code        VARCHAR,
    usage_type          VARCHAR NOT NULL,
    operation           VARCHAR,
    billing_model       VARCHAR,            -- model name as billed ('Claude4.6Sonnet', 'Claude 3 Haiku')
    model_id            VARCHAR,            -- resolved Bedrock model id, NULL when unmapped
    model_family        VARCHAR,
    kind                VARCHAR NOT NULL,   -- model tokens: input | output | cache_read | cache_write |
                                            -- embedding; else its own kind (ledger/usage_types.py OTHER_KINDS)
    tier                VARCHAR NOT NULL,   -- standard | batch | flex | priority | latency-optimized | reserved
    routing             VARCHAR NOT NULL,   -- in-region | geo | global
    pricing_unit        VARCHAR,
    usage_amount        DOUBLE,
    tokens              DOUBLE,             -- usage_amount scaled by pricing_unit; NULL for non-token units
    unblended_cost      DOUBLE NOT NULL,
    net_unblended_cost  DOUBLE NOT NULL,
    resource_id         VARCHAR,
    source_file         VARCHAR,
    line_item_key       UBIGINT,            -- hash(identity_line_item_id): with usage_start, one line item
    tag_set             UBIGINT,            -- the row's tags in usage_tag_sets; NULL when it has none
    modality            VARCHAR,            -- text | speech | audio | image | video | document, when billed apart
    cache_ttl           VARCHAR,            -- cache writes: 5m | 1h
    base_model          VARCHAR,            -- custom models and customization: the base model as billed
    base_model_id       VARCHAR             -- ... and its Bedrock model id
);
"""

# Columns added to bedrock_usage after stores were first created: Store.ensure_schema adds them.
USAGE_ADDED_COLUMNS = {"line_item_key": "UBIGINT", "tag_set": "UBIGINT", "modality": "VARCHAR",
                       "cache_ttl": "VARCHAR", "base_model": "VARCHAR", "base_model_id": "VARCHAR"}

# Tags live beside the rows, one row per distinct set per period: per-row MAP columns made ingest
# write every map again (the largest cost in the profile), and most rows share a handful of sets.
TAGS_DDL = """
CREATE TABLE IF NOT EXISTS usage_tag_sets (
    billing_period      VARCHAR NOT NULL,
    tag_set             UBIGINT NOT NULL,        -- hash of the raw maps; bedrock_usage.tag_set
    resource_tags       MAP(VARCHAR, VARCHAR),   -- CUR resource_tags (user_<key>, aws_<key>)
    principal_tags      MAP(VARCHAR, VARCHAR)    -- tags['iamPrincipal/<key>'] without the prefix
);
"""

# Daily rollup: every answer reads this, never the raw rows.
ROLLUP_DDL = """
CREATE TABLE IF NOT EXISTS usage_daily (
    billing_period      VARCHAR NOT NULL,
    usage_date          DATE NOT NULL,
    account_id          VARCHAR NOT NULL,
    region              VARCHAR NOT NULL,
    principal           VARCHAR NOT NULL,
    billing_model       VARCHAR,
    model_id            VARCHAR,
    model_family        VARCHAR,
    kind                VARCHAR NOT NULL,
    tier                VARCHAR NOT NULL,
    routing             VARCHAR NOT NULL,
    charge_class        VARCHAR NOT NULL,
    tokens              DOUBLE,
    usage_amount        DOUBLE,
    unblended_cost      DOUBLE NOT NULL,
    net_unblended_cost  DOUBLE NOT NULL,
    line_items          BIGINT NOT NULL,
    profile_id          VARCHAR,            -- the application inference profile ARN, else NULL
    tag_set             UBIGINT             -- the rows' tags in usage_tag_sets (with billing_period)
);
"""

# Columns added to usage_daily after stores were first created (claims by profile and tag need
# them): Store.ensure_schema adds them; rollup rows written before have none until re-ingested.
ROLLUP_ADDED_COLUMNS = {"profile_id": "VARCHAR", "tag_set": "UBIGINT"}

META_DDL = """
CREATE TABLE IF NOT EXISTS ingested_periods (
    billing_period  VARCHAR PRIMARY KEY,
    ingested_at     TIMESTAMP NOT NULL,
    source          VARCHAR NOT NULL,
    files           BIGINT NOT NULL,
    rows            BIGINT NOT NULL,
    bedrock_rows    BIGINT NOT NULL,
    data_through    DATE
);
CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR);
"""

# The governance registry (ledger.registry and the org_* modules).
REGISTRY_DDL = """
CREATE TABLE IF NOT EXISTS org_nodes (
    kind        VARCHAR NOT NULL,   -- business_unit | portfolio | department | product
    name        VARCHAR NOT NULL,   -- unique across the whole hierarchy
    parent      VARCHAR,            -- NULL for business units
    position    INTEGER NOT NULL    -- index within the parent's list in the org file
);
CREATE VIEW IF NOT EXISTS org_products AS
SELECT prod.name AS product, dept.name AS department, folio.name AS portfolio, unit.name AS business_unit
FROM org_nodes prod
JOIN org_nodes dept ON dept.kind = 'department' AND dept.name = prod.parent
JOIN org_nodes folio ON folio.kind = 'portfolio' AND folio.name = dept.parent
JOIN org_nodes unit ON unit.kind = 'business_unit' AND unit.name = folio.parent
WHERE prod.kind = 'product';
CREATE TABLE IF NOT EXISTS accounts (
    account_id  VARCHAR NOT NULL,
    name        VARCHAR,
    owner_node  VARCHAR,
    owner_kind  VARCHAR,
    position    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS people (
    email       VARCHAR NOT NULL,   -- lower case
    name        VARCHAR,
    slack_id    VARCHAR,
    position    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS person_roles (
    email       VARCHAR NOT NULL,
    persona     VARCHAR NOT NULL,
    role_index  INTEGER NOT NULL,   -- index in the person's roles list
    node_kind   VARCHAR,            -- NULL when the role has no scope (one row for the role)
    node_name   VARCHAR,
    scope_index INTEGER             -- index within the role's list for that kind
);
CREATE TABLE IF NOT EXISTS claims (
    principal   VARCHAR NOT NULL,   -- normalised (assumed-role sessions -> role ARN)
    product     VARCHAR NOT NULL,
    claimed_by  VARCHAR NOT NULL,
    claimed_on  DATE NOT NULL,
    note        VARCHAR,
    position    INTEGER NOT NULL    -- index in the org file's claims list
);
-- Claims by inference profile, resource tag or principal tag (claims by principal are in `claims`).
CREATE TABLE IF NOT EXISTS selector_claims (
    kind        VARCHAR NOT NULL,   -- inference_profile | tag | principal_tag
    selector    VARCHAR NOT NULL,   -- the ARN, or key=value as written in the org file
    match_keys  VARCHAR[],          -- tag kinds: the map keys the tag may have in CUR (user_<key>, ...)
    match_value VARCHAR NOT NULL,   -- the profile ARN, or the tag's value
    product     VARCHAR NOT NULL,
    claimed_by  VARCHAR NOT NULL,
    claimed_on  DATE NOT NULL,
    note        VARCHAR,
    position    INTEGER NOT NULL,   -- index in the org file's claims list
    precedence  INTEGER NOT NULL    -- kind rank x 1,000,000 + position: the lowest in effect wins
);
CREATE TABLE IF NOT EXISTS estimates (
    product       VARCHAR NOT NULL,
    month         VARCHAR NOT NULL, -- YYYY-MM
    usd           DOUBLE NOT NULL,
    input_tokens  BIGINT,
    output_tokens BIGINT,
    set_by        VARCHAR,          -- actor of the apply that set this value
    set_at        TIMESTAMP,
    position      INTEGER NOT NULL,
    unit          VARCHAR,          -- the business metric a per-unit estimate is for ('document'), else NULL
    usd_per_unit  DOUBLE            -- the expected cost per unit of `unit`, in USD
);
CREATE TABLE IF NOT EXISTS model_catalog (
    model_id     VARCHAR NOT NULL,
    state        VARCHAR NOT NULL,  -- approved | restricted | blocked
    products     VARCHAR[],         -- restricted: the products allowed
    accounts     VARCHAR[],         -- empty = all
    regions      VARCHAR[],         -- empty = all
    action_scope VARCHAR NOT NULL,  -- inference_only | agentic_read_only | agentic_read_write
    rationale    VARCHAR NOT NULL,
    decided_by   VARCHAR NOT NULL,
    decided_on   DATE,
    position     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS model_name_overrides (
    billing_name VARCHAR NOT NULL,
    model_id     VARCHAR NOT NULL,
    family       VARCHAR,
    position     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS engineer_tasks (
    task_id      VARCHAR PRIMARY KEY,
    created_at   TIMESTAMP,
    kind         VARCHAR,
    title        VARCHAR,
    product      VARCHAR,
    principal    VARCHAR,
    command      VARCHAR,
    undo_command VARCHAR,
    policy_json  VARCHAR,
    status       VARCHAR,
    created_by   VARCHAR,
    source_ref   VARCHAR,
    completed_by VARCHAR,
    completed_at TIMESTAMP,
    note         VARCHAR
);
CREATE TABLE IF NOT EXISTS access_requests (
    request_id   VARCHAR PRIMARY KEY,
    created_at   TIMESTAMP,
    requested_by VARCHAR,
    product      VARCHAR,
    model_id     VARCHAR,
    accounts     VARCHAR[],
    regions      VARCHAR[],
    reason       VARCHAR,
    status       VARCHAR,
    decided_by   VARCHAR,
    decided_at   TIMESTAMP
);
CREATE TABLE IF NOT EXISTS spend_card_approvals (
    product      VARCHAR,
    week_start   DATE,
    approved_by  VARCHAR,
    approved_at  TIMESTAMP,
    note         VARCHAR
);
"""

# The tables `org apply` replaces with the file's content; nothing else is touched.
REGISTRY_TABLES = (
    "org_nodes",
    "accounts",
    "people",
    "person_roles",
    "claims",
    "selector_claims",
    "estimates",
    "model_catalog",
    "model_name_overrides",
)

# The append-only, hash-chained audit log (ledger.audit).
AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq        BIGINT PRIMARY KEY,  -- 1, 2, 3 ... no gaps
    "at"       TIMESTAMP NOT NULL,  -- UTC (quoted: AT is a keyword in DuckDB 2)
    actor      VARCHAR NOT NULL,    -- email, slack id or 'system'
    persona    VARCHAR,
    action     VARCHAR NOT NULL,    -- e.g. org.apply
    subject    VARCHAR NOT NULL,
    outcome    VARCHAR NOT NULL,    -- ok | denied | error ...
    details    VARCHAR NOT NULL,    -- canonical JSON (sorted keys, no whitespace)
    why        VARCHAR,
    prev_hash  VARCHAR NOT NULL,
    hash       VARCHAR NOT NULL
);
"""

# Who may use the MCP front door and with which action scopes (ledger.access).
ACCESS_DDL = """
CREATE TABLE IF NOT EXISTS mcp_tokens (
    token_id    VARCHAR NOT NULL,   -- public handle: the token starts with stw_<token_id>_
    token_hash  VARCHAR NOT NULL,   -- sha256 hex of the whole token; the token is never stored
    email       VARCHAR NOT NULL,   -- the person the token speaks for (lower case)
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL,
    revoked_at  TIMESTAMP,
    label       VARCHAR
);
CREATE TABLE IF NOT EXISTS mcp_grants (
    email       VARCHAR NOT NULL,   -- lower case
    scope       VARCHAR NOT NULL,   -- write | agentic
    granted_by  VARCHAR NOT NULL,
    granted_at  TIMESTAMP NOT NULL,
    rationale   VARCHAR NOT NULL,
    revoked_at  TIMESTAMP,
    revoked_by  VARCHAR
);
"""

# Models listed by bedrock:ListFoundationModels (ledger.model_sync).
DISCOVERED_MODELS_DDL = """
CREATE TABLE IF NOT EXISTS discovered_models (
    model_id    VARCHAR NOT NULL,   -- one row per model id
    provider    VARCHAR,
    name        VARCHAR,
    regions     VARCHAR[],          -- regions where ListFoundationModels last listed it
    first_seen  TIMESTAMP NOT NULL,
    last_seen   TIMESTAMP NOT NULL
);
"""

# Inference-profile routes recorded by `steward models sync` from ListInferenceProfiles (ledger.routing).
ROUTES_DDL = """
CREATE TABLE IF NOT EXISTS inference_routes (
    source_region  VARCHAR NOT NULL,   -- where ListInferenceProfiles was called
    profile_id     VARCHAR NOT NULL,   -- us.anthropic.claude-sonnet-4-6
    family         VARCHAR NOT NULL,   -- us | eu | apac | jp | au | ca | us-gov | global
    model_id       VARCHAR NOT NULL,
    destinations   VARCHAR[] NOT NULL, -- Regions of the model ARNs the profile lists ('' = Region-less)
    synced_at      TIMESTAMP NOT NULL
);
"""

# Model lifecycle status per Region recorded by `steward models sync` from ListFoundationModels'
# modelLifecycle (ledger.lifecycle).
LIFECYCLE_DDL = """
CREATE TABLE IF NOT EXISTS model_lifecycle (
    model_id     VARCHAR NOT NULL,
    region       VARCHAR NOT NULL,   -- where ListFoundationModels reported it
    status       VARCHAR NOT NULL,   -- active | legacy (as reported)
    legacy_on    DATE,
    eol_on       DATE,
    synced_at    TIMESTAMP NOT NULL
);
"""

# Claim requests: claims a Product Owner may not make directly, until a FinOps Lead decides (tools.claims).
# Not part of the org file (org apply leaves them); `steward org export` lists the open ones as comments.
CLAIM_REQUESTS_DDL = """
CREATE TABLE IF NOT EXISTS claim_requests (
    request_id    VARCHAR PRIMARY KEY,  -- CR-0001
    created_at    TIMESTAMP NOT NULL,
    requested_by  VARCHAR NOT NULL,
    principal     VARCHAR NOT NULL,     -- normalised, as the claim would store it; for other kinds the
                                        -- profile ARN or key=value (`kind` says which)
    product       VARCHAR NOT NULL,
    reason        VARCHAR,
    claimed_on    DATE NOT NULL,        -- the asked-for start date
    status        VARCHAR NOT NULL,     -- open | approved | rejected
    decided_by    VARCHAR,
    decided_at    TIMESTAMP,
    decision_note VARCHAR,
    kind          VARCHAR               -- principal (NULL in stores made before) | inference_profile | tag |
                                        -- principal_tag
);
"""

# Business volumes per product and day (documents drafted, chats served), recorded by the people who own
# the products (tools.unit_costs): what a unit of value costs is the product's attributed spend over them.
# Not part of the org file: `org apply` leaves them. One value per product, day and metric (a new one replaces).
VOLUMES_DDL = """
CREATE TABLE IF NOT EXISTS business_volumes (
    product      VARCHAR NOT NULL,
    date         DATE NOT NULL,
    metric       VARCHAR NOT NULL,   -- the unit, singular and lower case: document, chat, pr_review
    value        DOUBLE NOT NULL,    -- >= 0
    recorded_by  VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (product, date, metric)
);
"""

# Columns added to tables after stores were first created: Store.ensure_schema adds them.
ADDED_COLUMNS = {"bedrock_usage": USAGE_ADDED_COLUMNS, "usage_daily": ROLLUP_ADDED_COLUMNS,
                 "claim_requests": {"kind": "VARCHAR"},
                 "estimates": {"unit": "VARCHAR", "usd_per_unit": "DOUBLE"}}

ALL_DDL = (USAGE_DDL, TAGS_DDL, ROLLUP_DDL, META_DDL, REGISTRY_DDL, AUDIT_DDL, ACCESS_DDL, DISCOVERED_MODELS_DDL,
           ROUTES_DDL, LIFECYCLE_DDL, CLAIM_REQUESTS_DDL, VOLUMES_DDL)
