import sys

from termfit.cli import main

sys.exit(main())
