"""Export the deployable student to ONNX; check it against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx

CONFIG is the plain student config, CHECKPOINT the exported student or a
FRSKD/SFD training checkpoint; ``--help`` for the options, ONNX Runtime parity
and latency.
Library: selfkd_seg.deploy.onnx_export (docs/deployment.md).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
from selfkd_seg.deploy.onnx_export import main  # noqa: E402

if __name__ == '__main__':
    main()
