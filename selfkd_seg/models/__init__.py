from . import (backbones, classifiers, decode_heads, integrators,  # noqa: F401
               losses, necks, segmentors, self_teachers)
