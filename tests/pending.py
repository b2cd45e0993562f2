"""Known debt of issue #25, shared by the documentation and code-shape tests.

Files issue #22 was rewriting while #25 documented and split everything else; they get the same treatment
next. A file leaves this set as soon as it is fixed: the tests fail while a listed file has no debt left
(no undocumented field or output, no function over 60 lines), so the set only shrinks.
"""

PENDING: frozenset[str] = frozenset(
    {
        # Release strategies and the test listener (issue #22) are being added to this component.
        "components/container_service.py",
        # The tiers that compose them (issue #22 wires the smoke-test hook and the release settings here).
        "infra/tiers/observability.py",
    }
)
