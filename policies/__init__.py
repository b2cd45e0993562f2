"""The CrossGuard policy pack. `pulumi preview --policy-pack policies` runs `__main__.py` with this folder on
`sys.path`; the rules live in `policies/rules/` and import each other relatively, so they load the same way
under the CLI (as `rules`) and in the tests and the offline runner (as `policies.rules`)."""
