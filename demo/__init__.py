"""The demo world and its CUR generator: data for people to try Steward on, not domain code.

`demo.generate.generate(out_dir, as_of=...)` writes three billing periods of a mid-size bank's
Amazon Bedrock spend (about $43k a month, plus a few percent of EC2/S3 rows Steward must ignore)
ending the day before `as_of`, and `org.yaml` (hierarchy, people, claims, estimates, model catalog) that matches it.
Costs are usage amount x list price from `ledger/data/prices.yaml`; net_unblended_cost is 0.95x
(EDP), or 0.90x on SavingsPlanCoveredUsage / DiscountedUsage rows.

The story (names in `demo.world.STORY`; dates and figures for a given as_of in `DemoResult.facts`). "Current
month" is the latest billing period; spend means unblended usage cost counted from each claim's
date; a month-end forecast is, as in tools/spend.py estimate_status, month to date + the average
of the last 7 days of data x the days left in the month.

- Unclaimed roles: github-actions-ci (payments-prod, Claude 3 Haiku), ds-notebook-experiments
  (data-science: Llama 3 70B in 4 days of the current month, 8 line items, ~$45, a blocked model;
  plus a little Nova Micro), AWSReservedSSO_DataScientist_4f2a9c1e7b3d8a65 (data-science, Nova Pro,
  sessions are people's emails), corp-it-helpdesk-bot (corp-shared). IAM users alice (data-science)
  and bob (payments-prod) and the API key user BedrockAPIKey-7f3k (corp-shared) are unclaimed too.
  Marketplace Claude 3 Haiku in us-west-2 and the payments-prod guardrail have an empty principal.
- Claimed mid-month: loan-docs-pipeline (payments-prod) is claimed for Document Intake on the 15th
  of the current month, so its earlier spend that month and before stays unattributed.
- Shared role: shared-genai-gateway (corp-shared) carries sessions hr-portal-* (Claude Sonnet 4.6)
  and talent-match-* (Nova Lite). The Talent Match calls go through the application inference profile
  talentmatch01, which Talent Match claims; the role itself is claimed by HR Portal, so the role's
  spend is split by profile (profile claims come before the principal's).
- Over estimate: Checkout Service's month-end forecast is ~127% of its current-month estimate
  (unblended; ~121% on net); its cache hit rate is ~17% and its output tokens are 2x its output
  token estimate (full months exactly; current month on the forecast).
- HR Portal (~$14k a month) is the biggest spender of the People portfolio and the org; Customer
  Insights ~$9k. Other products stay within 50-90% of their estimates.
- Drift: Claude Opus 4.6 (Claude4.6Opus, not in the catalog = unreviewed) used by
  checkout-service-bedrock in payments-prod us-west-2 from the 4th of the current month (a few
  thousand dollars); Llama 3 70B (blocked) by the unclaimed ds-notebook-experiments role; billing
  name Mistral-Large-3 (user alice) is not in model_names.yaml, so it is unmapped.
- Lifecycle: Loan Advisor also calls Claude Opus 4.1 (approved, Legacy since 2026-07-08, end of life
  2027-01-08) in payments-prod us-east-1; Claude 3 Haiku, past its end of life (2026-09-10) in the
  Regions AWS lists, is still called by several products (lifecycle.yaml says where each date is from).
- Spike: Customer Insights spends 5x its usual on the 10th of the current month (or the last day
  with data, if earlier).
- Pricing unit change: Nova Lite rows are billed in '1M tokens' in the current month, '1K tokens'
  before. Catalog: Claude Sonnet 4.6 is approved in payments-prod and corp-shared only; Llama 3.1
  405B is restricted to Research Copilot (batch rows); Nova Lite has action_scope agentic_read_only.
- Other charges: a Tax row (6% of first-party Bedrock usage) per account and month; a -$500 Credit
  per month in data-science and a -$250 one in corp-shared in the current month; no principal.

For as_of 2026-11-23, seed 7: Checkout Service $5,767.52 month to date, forecast $8,039.70 against
an estimate of $6,330 (127%), cache hit rate 17%, output tokens 2.0x; Opus $2,337.06; Llama 3 70B
$43.65 in 8 line items; spike on 2026-11-10 at 5.2x the median day; $1,491.62 unattributed in
November. Estimates are derived from the data (demo.world.ESTIMATE_RATIOS), so the ratios hold for any as_of.

`rows=N` splits each stream-day into hourly rows (then application-inference-profile resource ids)
whose amounts sum to the same daily totals, so every total is the same at any scale.

Modules: world (the org, roles and story), workloads (who uses what), days (periods, calendar, daily
levels), streams (usage types with daily amounts), cur_schema and cur_writer (Parquet and manifests),
facts (the story's figures and estimates), org_file (org.yaml), generate (the entry point).
"""
