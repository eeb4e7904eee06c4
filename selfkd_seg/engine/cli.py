"""Deprecated: import from :mod:`selfkd_seg.apis.config` (config
preparation) and :mod:`selfkd_seg.apis.runtime` (process group, teardown).

Config preparation is no engine code; this module only re-exports the old
names for existing imports and will be removed.  Nothing in
:mod:`selfkd_seg.engine` imports it, so ``selfkd_seg.apis`` is not needed to
import the engine.
"""
from selfkd_seg.apis.config import (  # noqa: F401
    COMPILE_MODES, DOWNLOADING_DATASETS, RELIABILITY_HOOKS, SUPPORTED_SCOPES,
    adapt_to_device, add_reliability_hooks, apply_speed_options,
    default_work_dir, enable_test_visualization, find_downloading_datasets,
    load_config, prepare_test_cfg, prepare_train_cfg, replace_sync_bn)
from selfkd_seg.apis.runtime import (  # noqa: F401
    _shutdown_loader_workers, init_cpu_distributed, teardown)
