"""``python -m rlhf_rm.cli ...`` (what ``accelerate launch -m`` and ``torchrun -m`` run): ``rlhf-rm ...``."""

import sys

from rlhf_rm.cli import main

sys.exit(main())
