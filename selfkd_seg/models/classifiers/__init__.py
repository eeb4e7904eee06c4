# Classification parts need mmpretrain; the package must import without it.
try:
    import mmpretrain  # noqa: F401
except ImportError:  # pragma: no cover
    pass
else:
    from .sfd_classifier import SFDClassifier  # noqa: F401
