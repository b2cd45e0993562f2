"""Known debt of issue #25, shared by the documentation and code-shape tests.

Files issue #22 was rewriting while #25 documented and split everything else; they get the same treatment
next. A file leaves this set as soon as it is fixed: the tests fail while a listed file has no debt left
(no undocumented field or output, no function over 60 lines), so the set only shrinks.
"""

PENDING: frozenset[str] = frozenset(
    {
        # The last one: 72 undocumented fields and outputs and a 118-line constructor after issue #22.
        "components/container_service.py",
    }
)
