from .weighted_bifpn import WeightedBiFPN  # noqa: F401
