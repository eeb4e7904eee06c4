from .weighted_bifpn import WeightedBiFPN  # noqa: F401
from .frskd_bifpn import BiFPN  # noqa: F401
from .frskd_bifpnc import BiFPNc  # noqa: F401
from .frskd_official_bifpn import FRSKDSegBiFPN  # noqa: F401
