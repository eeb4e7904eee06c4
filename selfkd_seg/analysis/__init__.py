"""Measurement and pictures: benchmarks, complexity, attention maps, dataset
browsing, the demo picture.  Imported by tools, never by ``import
selfkd_seg``; may import :mod:`selfkd_seg.apis` and the floors below it."""
