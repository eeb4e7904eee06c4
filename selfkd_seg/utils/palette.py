"""Label palettes."""
from typing import List


def voc_palette(num: int = 256) -> List[List[int]]:
    """The Pascal VOC colour map (the palette of VOC's label PNGs).

    Entry 0 is black, 1 is (128, 0, 0), ..., 255 is (224, 224, 192), the
    colour VOC uses for its ignore border.
    """
    palette = []
    for label in range(num):
        rgb = [0, 0, 0]
        c = label
        for shift in range(7, -1, -1):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << shift
            c >>= 3
        palette.append(rgb)
    return palette
