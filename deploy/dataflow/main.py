"""Dataflow flex-template entry point: ``pipelines.annotate`` with ``--runner=DataflowRunner`` unless one is given.

The template launcher runs this file with the template's parameters as ``--name=value`` flags. ehrbeam's default
runner is the in-process one, which would annotate the whole corpus on the launcher VM, hence the default here.
"""

import sys

from pipelines.annotate import main

if __name__ == "__main__":
    if not any(arg.startswith("--runner") for arg in sys.argv[1:]):
        sys.argv.insert(1, "--runner=DataflowRunner")
    main()
