"""Reusable Pulumi components for the container platform. They know nothing of stacks or config files."""
