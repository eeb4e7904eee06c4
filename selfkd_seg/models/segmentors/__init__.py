from .frskd_segmentor import FRSKDSegmentor  # noqa: F401
