from .frskd_bifpn import FRSKDBiFPN  # noqa: F401
from .frskd_bifpnc import FRSKDBiFPNc  # noqa: F401
from .frskd_official_bifpn import FRSKDSegBiFPN  # noqa: F401
from .weighted_bifpn import WeightedBiFPN  # noqa: F401
