from .frskd_encoder_decoder import (  # noqa: F401
    FRSKDCascadeEncoderDecoder, FRSKDEncoderDecoder)
from .frskd_segmentor import FRSKDSegMixin, FRSKDSegmentor  # noqa: F401
from .sfd_segmentor import SFDSegmentor  # noqa: F401
