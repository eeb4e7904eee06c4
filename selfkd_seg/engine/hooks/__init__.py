from .distill_weight_schedule_hook import DistillWeightScheduleHook, sigmoid_rampup  # noqa: F401
from .dataset_model_check_hook import DatasetModelCheckHook, check_num_classes  # noqa: F401
from .self_distill_hook import SelfDistillHook, hflip_parameter  # noqa: F401
from .rng_state_hook import RNGStateHook, capture_rng_state, restore_rng_state  # noqa: F401
from .nonfinite_loss_hook import NonFiniteLossError, NonFiniteLossHook  # noqa: F401
from .self_teacher_lead_hook import SelfTeacherLeadHook  # noqa: F401
from .interrupt_checkpoint_hook import InterruptCheckpointHook, TrainingInterrupted  # noqa: F401
# needs mmpretrain (an extra); the package imports without it
try:
    import mmpretrain  # noqa: F401
except ImportError:  # using it names the extra to install
    from selfkd_seg.registry import HOOKS, register_needing_extra
    register_needing_extra(('ClassFolderVisualizationHook', ), 'mmpretrain',
                           HOOKS)
else:
    from .cls_visualization_hook import ClassFolderVisualizationHook  # noqa: F401
