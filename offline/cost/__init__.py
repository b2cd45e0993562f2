"""Offline monthly cost estimate of a plan: price table (prices.json), usage assumptions, rules per resource
type, estimate and delta, JSON/Markdown writers, and the refresh from the AWS Price List bulk files.

See docs/cost.md for what is priced, from which sources, and what is not.
"""
