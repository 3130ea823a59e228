"""Which question family a question belongs to: an ordered table of rules, the first that holds wins.

Writes come first (recognised by their imperative verb), then reads from the most specific wording to
the least. Each rule is a named test over the read question (agent.question.Question).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.comparisons import COMPARE_WORDS, read_comparison
from agent.grouping import grouping_of
from agent.plan import can_call
from agent.question import Question
from agent.unit_plans import asks_unit_cost
from agent.vocabulary import (
    ANOMALY_WORDS,
    BREAKDOWN_WORDS,
    CARD_WORDS,
    CATALOG_WORDS,
    DECIDE_VERBS,
    DONE_WORDS,
    DRIFT_WORDS,
    ESTIMATE_WORDS,
    IAM_WORDS,
    LIFECYCLE_PHRASES,
    LIFECYCLE_WORDS,
    PAUSE_VERBS,
    QUOTA_WORDS,
    RESUME_VERBS,
    SAVINGS_WORDS,
    SET_VERBS,
    SOFT_STATUS_WORDS,
    STATEMENT_WORDS,
    TASK_WORDS,
    UNATTRIBUTED_WORDS,
    USE_WORDS,
)

FAMILIES = ("estimate_status", "breakdown", "unattributed", "drift", "catalog", "spend_card", "anomalies",
            "recommendations", "quota", "tasks", "claims", "set_estimate", "access_requests",
            "model_decisions", "pause", "iam_policy", "lifecycle", "scope", "cache", "pause_status",
            "claim_status", "charges", "chargeback", "tag_coverage", "unit_cost", "unknown")

TASK_CLOSING_VERBS = ("mark", "complete", "close", "finish")
ESTIMATE_NOUNS = {"estimate", "estimates", "budget", "budgets"}
ACCESS_ASKING = ("need access", "want access", "get access", "like access", "ask for access", "apply for access",
                 "request access", "requesting access")
SCOPE_PHRASES = ("who am i", "what can i ask", "what can you do", "what can i do", "what do you do", "what can i see",
                 "my scope", "what is my role", "what are my roles", "whats my role", "what am i",
                 "what should i ask", "what can you tell me", "what do i have access to")
UNOWNED_PHRASES = ("not attributed", "no owner", "nobody owns", "who owns", "not claimed", "without an owner",
                   "no one has claimed", "no product", "without a product", "not mapped to")
PERMISSION_PHRASES = ("can i", "may i", "can we", "could i", "am i allowed", "are we allowed")
NOT_APPROVED_PHRASES = ("not approved", "haven't approved", "havent approved", "not been approved",
                        "never approved", "never signed off", "not signed off", "havent signed off",
                        "outside the catalog", "not in the catalog", "outside catalog", "without approval",
                        "isn't approved", "isnt approved", "aren't approved", "arent approved", "non compliant",
                        "no approval", "no decision", "not reviewed", "never reviewed", "without a decision")
FORBIDDEN_PHRASES = ("shouldnt", "should not", "not supposed", "not allowed", "isnt allowed", "arent allowed")
CAN_USE_PHRASES = ("can i use", "may i use", "could i use", "am i allowed", "are we allowed", "can we use",
                   "may we use", "allowed to use", "permitted to use", "ok to use", "okay to use", "can use",
                   "may use")
MODEL_STATUS_PHRASES = CAN_USE_PHRASES + ("allowed in", "approved in", "approved for", "allowed for")
SAVING_PHRASES = ("spend less", "bring down", "lower my", "lower our", "save money")
OVER_WORDS = {"over", "exceeded", "exceeding", "exceed", "above", "near"}
STATUS_PHRASES = ("on track", "how am i doing", "how are we doing", "am i over", "are we over", "how am i",
                  "how are we", "how are my", "how is my")
CACHE_PHRASES = ("hit rate", "cache hit", "cache hits", "cache rate", "cache ratio", "caching rate",
                 "from the prompt cache", "from prompt cache", "from the cache", "from cache")
PAUSED_WORDS = {"paused", "suspended", "frozen", "halted"}
CHARGE_WORDS = {"credit", "credits", "refund", "refunds", "tax", "taxes", "discount", "discounts", "fee", "fees"}
CLAIMED_WORDS = {"claimed", "owns", "owner", "belongs", "belong"}


@dataclass(frozen=True)
class Rule:
    family: str
    holds: Callable[[Question], bool]


# ------------------------------------------------------------------------------ writes


def marks_task_done(q: Question) -> bool:
    if q.task_ids and q.wordset & DONE_WORDS:
        return True
    return (q.verb in TASK_CLOSING_VERBS and bool(q.wordset & ({"task", "tasks"} | DONE_WORDS))
            and not q.has(CARD_WORDS, ESTIMATE_WORDS))


def claims_principal(q: Question) -> bool:
    return bool(q.arns and q.has({"claim", "assign", "attribute"})) or q.verb == "claim"


def sets_estimate(q: Question) -> bool:
    if not q.has(ESTIMATE_NOUNS):
        return False
    return (q.verb in SET_VERBS or q.phrase("new estimate", "new budget")
            or (bool(q.wordset & SET_VERBS or q.phrase("should be")) and q.amount() is not None))


def approves_card(q: Question) -> bool:
    return q.verb in ("approve", "sign") and q.has(CARD_WORDS | {"week"})


def requests_access(q: Question) -> bool:
    return (q.verb == "request" and not q.has({"requests"})) or q.phrase(*ACCESS_ASKING)


def decides_model(q: Question) -> bool:
    return q.verb in DECIDE_VERBS


def pauses_or_resumes(q: Question) -> bool:
    return (q.verb in PAUSE_VERBS or q.verb in RESUME_VERBS) and bool(q.name_targets)


# ------------------------------------------------------------------------------ reads


def asks_who_claimed(q: Question) -> bool:
    return bool(q.arns or q.principal_names) and q.has(CLAIMED_WORDS) and q.has({"who", "which", "whose", "what"})


PAUSED_PHRASES = ("on pause", "on hold", "pause status", "under a pause", "a pause on")


def asks_if_paused(q: Question) -> bool:
    """'Is Fraud Scoring paused?', 'is Checkout on pause right now?' (not an order to pause it)."""
    return (q.has(PAUSED_WORDS) or q.phrase(*PAUSED_PHRASES)) and bool(q.name_targets or q.ctx.caller.owned_products)


def asks_charges(q: Question) -> bool:
    return q.has(CHARGE_WORDS)


def compares_periods(q: Question) -> bool:
    return read_comparison(q, q.ctx.today) is not None


CACHE_RATE_WORDS = {"hit", "hits", "hitting", "rate", "ratio", "often", "effective", "effectiveness"}


def asks_cache_rate(q: Question) -> bool:
    """'cache hit rate', 'how often is X hitting the prompt cache', 'cache ... rate' with a word between."""
    return q.phrase(*CACHE_PHRASES) or (q.has({"cache", "caching"}) and q.has(CACHE_RATE_WORDS))


def lists_access_requests(q: Question) -> bool:
    return q.phrase("access request", "access requests", "pending requests", "open requests", "my requests") or (
        q.has({"requests", "requested"}) and q.has({"access", "model", "models"}))


def asks_scope(q: Question) -> bool:
    return q.phrase(*SCOPE_PHRASES) or bool(q.words and set(q.words) <= {"help", "me", "please", "examples"})


def asks_tasks(q: Question) -> bool:
    return q.has(TASK_WORDS) or (q.phrase("to do", "commands to run", "should i run", "waiting for me", "for me to run",
                                          "for me to apply") and can_call(q.ctx, "task_queue"))


def asks_unattributed(q: Question) -> bool:
    return (q.has(UNATTRIBUTED_WORDS) or q.phrase(*UNOWNED_PHRASES)
            or (q.has({"claim", "claiming"}) and not q.arns)
            or (q.has({"claimed"}) and q.has({"nobody", "noone", "not", "never", "no"})))


def asks_chargeback(q: Question) -> bool:
    return q.has(STATEMENT_WORDS) or q.phrase("charged back", "charge back", "charging back", "charges back")


SHARE_WORDS = {"share", "percent", "percentage", "proportion", "fraction", "coverage", "covered", "much"}


def asks_tag_coverage(q: Question) -> bool:
    """'What share of our spend is tagged?', 'tag coverage by account' (not who owns untagged spend)."""
    return q.has({"tagged", "tagging"}) or (q.has({"tag", "tags"}) and q.has(SHARE_WORDS))


def asks_drift(q: Question) -> bool:
    asking_permission = q.phrase(*PERMISSION_PHRASES)
    in_use = q.has(USE_WORDS) and not asking_permission
    return (q.has(DRIFT_WORDS) or (q.phrase(*NOT_APPROVED_PHRASES) and not asking_permission)
            or (in_use and (q.has({"blocked", "restricted", "unreviewed"}) or q.phrase(*FORBIDDEN_PHRASES))))


def asks_lifecycle(q: Question) -> bool:
    return q.has(LIFECYCLE_WORDS) or q.phrase(*LIFECYCLE_PHRASES)


POLICY_CONTEXT = {"role", "roles", "need", "needs", "apply", "command", "commands", "aws", "cli", "attach",
                  "permission", "permissions", "generate", "json", "statement", "statements", "my", "our"}


def asks_iam_policy(q: Question) -> bool:
    """'what IAM policy does Checkout need', 'the policy for my role': a policy said of IAM, a product or a
    role (not 'a new policy from the FinOps team', which is news, not a request for one)."""
    return q.has({"iam"}) or (q.has(IAM_WORDS) and (bool(q.name_targets or q.arns or q.principal_names)
                                                      or q.has(POLICY_CONTEXT)))


# 'can the data-science account use Sonnet', 'can payments-prod call Opus 4.6': asking whether it may
PERMISSION_PATTERN = re.compile(r" (?:can|may|could) (?:\w+ ){0,3}(?:use|call|invoke|run|access) ")


def asks_model_status(q: Question) -> bool:
    return q.phrase(*MODEL_STATUS_PHRASES) or (
        q.model is not None and q.first in ("is", "are", "can", "may") and q.has(CATALOG_WORDS)) or (
        q.model is not None and PERMISSION_PATTERN.search(q.text) is not None)


def asks_catalog(q: Question) -> bool:
    return q.has({"catalog", "catalogue"}) or (q.has(CATALOG_WORDS) and (q.has({"model", "models"}) or bool(q.model)))


def asks_card(q: Question) -> bool:
    return q.has(CARD_WORDS)


def asks_anomalies(q: Question) -> bool:
    return q.has(ANOMALY_WORDS)


def asks_savings(q: Question) -> bool:
    return q.has(SAVINGS_WORDS) or q.phrase(*SAVING_PHRASES)


def asks_quota(q: Question) -> bool:
    return q.has(QUOTA_WORDS) or (q.has({"which", "who", "products"}) and q.has(OVER_WORDS)
                                  and q.has(ESTIMATE_NOUNS))


def asks_estimate(q: Question) -> bool:
    return q.has(ESTIMATE_WORDS) or q.phrase(*STATUS_PHRASES)


def asks_breakdown(q: Question) -> bool:
    return (q.has(BREAKDOWN_WORDS, COMPARE_WORDS) or q.phrase("how much") or q.top() is not None
            or grouping_of(q) is not None)  # 'compare my last 7 days with the 7 before': spend, and the period before


def asks_status_of_named(q: Question) -> bool:
    return q.has(SOFT_STATUS_WORDS) and bool(q.name_targets or q.portfolios)


def names_a_person(q: Question) -> bool:
    """'What did Lena's products spend?': the spend of a person's products."""
    return bool(q.people)


def names_a_product(q: Question) -> bool:
    return bool(q.products or (q.unknown_names and not q.model))


def names_a_product_and_days(q: Question) -> bool:
    """A product and a window of days ('Knowledge Search, last 90 days'): its spend over those days (an
    estimate is per month)."""
    return names_a_product(q) and q.period().start is not None


def names_a_group(q: Question) -> bool:
    return bool(q.portfolios or q.departments)


def asks_service_over_period(q: Question) -> bool:
    """'what's the month-to-date Bedrock number': the service and a period, no other cue: its spend (words
    the reading does not cover are named, so the answer is partial, never another question's)."""
    return q.has({"bedrock", "genai", "ai", "llm"}) and bool(q.period().args())


def names_a_model(q: Question) -> bool:
    return q.model is not None


RULES: tuple[Rule, ...] = (
    Rule("tasks", marks_task_done),
    Rule("claims", claims_principal),
    Rule("set_estimate", sets_estimate),
    Rule("spend_card", approves_card),
    Rule("access_requests", requests_access),
    Rule("model_decisions", decides_model),
    Rule("pause", pauses_or_resumes),
    Rule("claim_status", asks_who_claimed),
    Rule("pause_status", asks_if_paused),
    Rule("cache", asks_cache_rate),
    Rule("unit_cost", asks_unit_cost),
    Rule("access_requests", lists_access_requests),
    Rule("scope", asks_scope),
    Rule("tasks", asks_tasks),
    Rule("chargeback", asks_chargeback),
    Rule("tag_coverage", asks_tag_coverage),
    Rule("unattributed", asks_unattributed),
    Rule("lifecycle", asks_lifecycle),
    Rule("drift", asks_drift),
    Rule("iam_policy", asks_iam_policy),
    Rule("catalog", asks_model_status),
    Rule("catalog", asks_catalog),
    Rule("spend_card", asks_card),
    Rule("anomalies", asks_anomalies),
    Rule("breakdown", compares_periods),  # before savings: 'cheaper in October than in September' compares
    Rule("recommendations", asks_savings),
    Rule("quota", asks_quota),
    Rule("charges", asks_charges),
    Rule("breakdown", names_a_person),
    Rule("estimate_status", asks_estimate),
    Rule("breakdown", asks_breakdown),
    Rule("estimate_status", asks_status_of_named),
    Rule("breakdown", names_a_product_and_days),
    Rule("estimate_status", names_a_product),
    Rule("breakdown", names_a_group),
    Rule("breakdown", asks_service_over_period),
    Rule("catalog", names_a_model),
)


def family(q: Question) -> str:
    """The question family (see FAMILIES): the family of the first rule that holds, else 'unknown'."""
    return next((rule.family for rule in RULES if rule.holds(q)), "unknown")
