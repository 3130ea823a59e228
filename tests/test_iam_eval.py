"""The IAM evaluator against worked examples of AWS's IAM and Bedrock documentation.

Each case quotes the policy of a documented example and the outcome the page states for a request.
"""

from __future__ import annotations

import pytest

from tools.iam_eval import Request, evaluate

# IAM user guide, "Policy evaluation logic": an explicit deny in any policy overrides any allow.
ALLOW_S3 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
DENY_BUCKET = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket"}]}


def test_explicit_deny_overrides_an_allow_in_another_policy():
    req = Request("s3:DeleteBucket", "arn:aws:s3:::amzn-s3-demo-bucket")
    assert evaluate([ALLOW_S3, DENY_BUCKET], req) == "explicit_deny"
    assert evaluate([ALLOW_S3], req) == "allow"


def test_nothing_allows_it_is_an_implicit_deny():
    assert evaluate([DENY_BUCKET], Request("s3:GetObject", "arn:aws:s3:::other/key")) == "implicit_deny"


# IAM user guide, "Resource" element: `arn:aws:s3:::amzn-s3-demo-bucket/*` matches every object;
# wildcards stay inside a segment, except a trailing `*` of a segment, which may span colons.
def test_resource_wildcards_follow_the_arn_segments():
    pol = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"},
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::123456789012:user/?ob"}]}
    assert evaluate(pol, Request("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a/b.txt")) == "allow"
    assert evaluate(pol, Request("s3:GetObject", "arn:aws:s3:::other-bucket/a")) == "implicit_deny"
    assert evaluate(pol, Request("iam:GetUser", "arn:aws:iam::123456789012:user/Bob")) == "allow"
    assert evaluate(pol, Request("iam:GetUser", "arn:aws:iam::123456789012:user/Bobby")) == "implicit_deny"


def test_a_wildcard_inside_a_segment_does_not_cross_a_colon():
    pol = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:us-*-1::foundation-model/m"}]}
    assert evaluate(pol, Request("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/m")) == "allow"
    assert evaluate(pol, Request("bedrock:InvokeModel", "arn:aws:bedrock:us-east:x-1::foundation-model/m")) \
        == "implicit_deny"


def test_actions_match_case_insensitively_with_wildcards():
    pol = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:invokemodel*", "Resource": "*"}]}
    assert evaluate(pol, Request("bedrock:InvokeModelWithResponseStream", "x")) == "allow"
    assert evaluate(pol, Request("bedrock:Converse", "x")) == "implicit_deny"


# IAM user guide, "Condition operators", String example: the principal must be tagged
# job-category = iamuser-admin; "if the key is not present in the request context, the values do
# not match" (the condition is false).
PRINCIPAL_TAG = {"Version": "2012-10-17", "Statement": {
    "Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::111122223333:user/*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}}}


def test_string_equals_needs_the_key_with_that_value():
    user = "arn:aws:iam::111122223333:user/alice"
    tagged = Request("iam:CreateAccessKey", user, {"aws:PrincipalTag/job-category": "iamuser-admin"})
    other = Request("iam:CreateAccessKey", user, {"aws:PrincipalTag/job-category": "dev"})
    assert evaluate(PRINCIPAL_TAG, tagged) == "allow"
    assert evaluate(PRINCIPAL_TAG, other) == "implicit_deny"
    assert evaluate(PRINCIPAL_TAG, Request("iam:CreateAccessKey", user)) == "implicit_deny"


# Same page: "If the policy condition requires that the key is not matched, such as StringNotLike
# or ArnNotLike, and the right key is not present, the condition is true."
def test_a_negated_operator_is_true_when_the_key_is_missing():
    pol = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
           "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}}}]}
    assert evaluate(pol, Request("s3:ListBucket", "x")) == "explicit_deny"
    assert evaluate(pol, Request("s3:ListBucket", "x", {"aws:RequestedRegion": "us-west-2"})) == "implicit_deny"
    assert evaluate(pol, Request("s3:ListBucket", "x", {"aws:RequestedRegion": "eu-west-1"})) == "explicit_deny"


# IAM user guide, "...IfExists" example: StringLikeIfExists ec2:InstanceType t1.*, t2.*, m3.* allows
# requests that carry no instance type.
def test_if_exists_is_true_when_the_key_is_missing():
    pol = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
           "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}}}
    assert evaluate(pol, Request("ec2:DescribeInstances", "*")) == "allow"
    assert evaluate(pol, Request("ec2:RunInstances", "*", {"ec2:InstanceType": "t2.micro"})) == "allow"
    assert evaluate(pol, Request("ec2:RunInstances", "*", {"ec2:InstanceType": "p4d.24xlarge"})) == "implicit_deny"


# IAM user guide, "Conditions with multiple context keys or values": operators AND, keys AND,
# values of one key OR; a negated operator's values NOR.
def test_operators_and_keys_are_anded_values_ored():
    pol = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
           "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"], "aws:PrincipalTag/env": "prod"},
                         "Bool": {"aws:SecureTransport": "true"}}}}
    ok = {"aws:PrincipalTag/team": "b", "aws:PrincipalTag/env": "prod", "aws:SecureTransport": "true"}
    assert evaluate(pol, Request("s3:GetObject", "o", ok)) == "allow"
    assert evaluate(pol, Request("s3:GetObject", "o", {**ok, "aws:SecureTransport": "false"})) == "implicit_deny"
    assert evaluate(pol, Request("s3:GetObject", "o", {**ok, "aws:PrincipalTag/env": "dev"})) == "implicit_deny"


# IAM user guide, NotAction example: deny everything except IAM actions.
def test_not_action_inverts_the_action_match():
    pol = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]}
    assert evaluate(pol, Request("iam:ListUsers", "*")) == "allow"
    assert evaluate(pol, Request("s3:ListBucket", "*")) == "explicit_deny"


# Bedrock user guide, "Geographic cross-Region inference", IAM policy requirements: the profile in
# the source Region, and the model in every destination Region scoped to the profile.
PROFILE = "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0"
GEO = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": PROFILE},
    {"Effect": "Allow", "Action": "bedrock:InvokeModel*",
     "Resource": [f"arn:aws:bedrock:{r}::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"
                  for r in ("us-east-1", "us-east-2", "us-west-2")],
     "Condition": {"StringLike": {"bedrock:InferenceProfileArn": PROFILE}}}]}


@pytest.mark.parametrize("region,via,want", [
    ("us-east-2", PROFILE, "allow"),      # routed to a destination Region through the profile
    ("us-east-2", None, "implicit_deny"),  # the same model called directly
    ("us-west-1", PROFILE, "implicit_deny"),  # a Region the policy does not list
])
def test_geographic_profile_example(region, via, want):
    ctx = {"bedrock:InferenceProfileArn": via} if via else {}
    arn = f"arn:aws:bedrock:{region}::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"
    assert evaluate(GEO, Request("bedrock:InvokeModel", arn, ctx)) == want


# Bedrock user guide, "Global cross-Region inference": the Region-less model ARN.
def test_region_less_arn_matches_only_a_region_wildcard_or_itself():
    fm = "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"
    any_region = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6"}]}
    one_region = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"}]}
    assert evaluate(any_region, Request("bedrock:InvokeModel", fm)) == "explicit_deny"
    assert evaluate(one_region, Request("bedrock:InvokeModel", fm)) == "implicit_deny"


def test_an_unknown_operator_is_refused_not_guessed():
    pol = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
           "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}
    with pytest.raises(ValueError, match="DateGreaterThan"):
        evaluate(pol, Request("s3:GetObject", "x", {"aws:CurrentTime": "2026-01-01T00:00:00Z"}))
