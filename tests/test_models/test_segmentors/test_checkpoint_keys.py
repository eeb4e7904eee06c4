"""The FRSKD segmentors' state-dict keys and shapes are those the code
wrote before the self-teacher became a composed part (issue 31), so
checkpoints of FRSKDEncoderDecoder, FRSKDCascadeEncoderDecoder and gated
runs load strictly. ``tests/data/frskd_seg_checkpoint_keys_v0.json.gz`` was
written by the pre-issue-31 code (keys and shapes of each config's model,
in order; its config paths renamed with the config layout,
docs/config_renames.md); FRSKDSegmentor's weights and outputs are also
checked by ``test_legacy_checkpoints.py``."""
import gzip
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import selfkd_seg  # noqa: F401

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
with gzip.open(
        osp.join(REPO, 'tests', 'data',
                 'frskd_seg_checkpoint_keys_v0.json.gz'), 'rt') as f:
    SAVED = json.load(f)


@pytest.mark.parametrize('config', sorted(SAVED))
def test_state_dict_keys_and_shapes_are_the_pre_composition_ones(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    saved = SAVED[config]
    state = model.state_dict()
    assert list(state) == list(saved)
    assert {k: list(v.shape) for k, v in state.items()} == saved
    # a checkpoint of that layout loads strictly
    model.load_state_dict(
        {
            k: torch.zeros(shape, dtype=state[k].dtype)
            for k, shape in saved.items()
        },
        strict=True)
    assert all(float(v.abs().sum()) == 0 for v in model.state_dict().values())
