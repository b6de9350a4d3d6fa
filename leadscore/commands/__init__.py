"""CLI commands kept in their own modules; each registers itself on `leadscore.cli.main`.

A command module imports `main` (and shared helpers such as `data_options`)
from `leadscore.cli` and is listed here.
"""

from . import backtest  # noqa: F401,E402
from . import fmt  # noqa: F401,E402
from . import test  # noqa: F401,E402
from . import diff  # noqa: F401,E402
from . import calibrate  # noqa: F401,E402
from . import sql  # noqa: F401,E402
from . import live  # noqa: F401,E402
from . import serve  # noqa: F401,E402
