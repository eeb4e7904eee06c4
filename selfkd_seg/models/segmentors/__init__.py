from .frskd_segmentor import FRSKDSegmentor  # noqa: F401
from .sfd_segmentor import SFDSegmentor  # noqa: F401
