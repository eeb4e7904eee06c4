from .efficientnet import EfficientNetBackbone  # noqa: F401
