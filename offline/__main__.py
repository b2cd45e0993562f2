import gc
import sys

from offline.cli import main

# A command of this CLI lives seconds and keeps nearly everything it allocates (pulumi-aws's modules, the plan, the
# reports) until it exits, so automatic collections walk those objects again and again and find little: 0.5-0.9 s
# of a staging preview's 7-8 s of CPU, measured (docs/benchmark.md, fifth pass). A render leaves about 7,400
# objects of cyclic garbage, and a preview's peak memory is the same without collections (205 MB). The commands
# import what they need when they run, so this is early enough; only the process entry does it, so
# `offline.cli.main()` called from Python leaves the caller's collector alone.
gc.disable()
sys.exit(main())
