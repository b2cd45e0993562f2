"""One module per tier: each composes its components for a stack and returns typed outputs."""
