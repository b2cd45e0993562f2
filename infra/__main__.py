"""The Pulumi program (`main: infra/` in Pulumi.yaml). The offline engine runs this same file."""

from infra.program import main

main()
