from .dataset_model_check_hook import DatasetModelCheckHook, check_num_classes
from .distill_weight_schedule_hook import (DistillWeightScheduleHook,
                                           sigmoid_rampup)
from .interrupt_checkpoint_hook import (InterruptCheckpointHook,
                                        TrainingInterrupted)
from .nonfinite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .rng_state_hook import RNGStateHook, capture_rng_state, restore_rng_state
from .self_distill_hook import SelfDistillHook, hflip_parameter  # noqa: F401
from .self_teacher_lead_hook import SelfTeacherLeadHook  # noqa: F401

# needs mmpretrain (an extra); the package imports without it
try:
    import mmpretrain  # noqa: F401
except ImportError:  # using it names the extra to install
    from selfkd_seg.registry import HOOKS, register_needing_extra
    register_needing_extra(('ClassFolderVisualizationHook', ), 'mmpretrain',
                           HOOKS)
else:
    from .cls_visualization_hook import ClassFolderVisualizationHook
