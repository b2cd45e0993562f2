"""Builds the policy pack; nothing else, apart from installing analyzer_memo first (a speed-up inside pulumi-policy,
no finding changes). `pulumi preview --policy-pack policies` (and the offline runner, the same way:
`python -m pulumi.policy <engine> .` in this folder) runs this file with `policies/` on sys.path."""

import analyzer_memo  # type: ignore[import-not-found]
from pulumi_policy import EnforcementLevel, PolicyPack
from rules import PACK_DESCRIPTION, PACK_NAME, POLICIES  # type: ignore[import-not-found]

analyzer_memo.install()  # each resource's properties converted once, not once per policy (analyzer_memo.py)

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,
    description=PACK_DESCRIPTION,
    display_name="app-platform AWS controls",
    provider="aws",
    tags=["aws", "fsbp", "app-platform"],
)
