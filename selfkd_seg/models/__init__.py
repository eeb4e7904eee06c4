from . import (backbones, classifiers, decode_heads, integrators, losses,
               necks, segmentors, self_teachers)
