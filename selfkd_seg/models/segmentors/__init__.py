from .frskd_encoder_decoder import (FRSKDCascadeEncoderDecoder,
                                    FRSKDEncoderDecoder)
from .frskd_segmentor import FRSKDSegmentor, FRSKDSegMixin  # noqa: F401
from .sfd_segmentor import SFDSegmentor  # noqa: F401
