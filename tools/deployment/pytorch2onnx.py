"""Export the deployable student to ONNX; check it against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx

CONFIG is the plain student config (mmseg EncoderDecoder or mmpretrain
ImageClassifier); CHECKPOINT the exported student (tools/export_student.py),
a FRSKD/SFD training checkpoint (the student is split out) or a plain one.
The graph takes the normalised N x 3 x H x W image (N, H, W dynamic) and
returns logits (segmentation: at the input size, --seg-output native for the
head's resolution).  ONNX Runtime is compared with PyTorch on real images
(--images, default: the config's test set) through the config's test
pipeline at the native size and at a second size (--shapes); the exit status
is 1 if the max |logit diff| exceeds the tolerance or argmax agrees on less
than 99.9 % of the pixels / images.  CPU latency of both is printed.
Library: selfkd_seg.apis.onnx_export (docs/deployment.md).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
from selfkd_seg.apis.onnx_export import main  # noqa: E402

if __name__ == '__main__':
    main()
