from .frskd_encoder_decoder import FRSKDEncoderDecoder  # noqa: F401
from .frskd_segmentor import FRSKDSegmentor  # noqa: F401
from .sfd_segmentor import SFDSegmentor  # noqa: F401
