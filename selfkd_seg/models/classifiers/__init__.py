# Classification parts need mmpretrain; the package must import without it.
try:
    import mmpretrain  # noqa: F401
except ImportError:  # building one names the extra to install
    from selfkd_seg.registry import register_needing_extra
    register_needing_extra(
        ('FRSKDClassifier', 'FRSKDSLAClassifier', 'SFDClassifier'),
        'mmpretrain')
else:
    from .frskd_classifier import FRSKDClassifier  # noqa: F401
    from .frskd_sla_classifier import FRSKDSLAClassifier  # noqa: F401
    from .sfd_classifier import SFDClassifier  # noqa: F401
