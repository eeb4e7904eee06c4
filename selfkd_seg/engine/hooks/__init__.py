from .distill_weight_schedule_hook import DistillWeightScheduleHook, sigmoid_rampup  # noqa: F401
from .dataset_model_check_hook import DatasetModelCheckHook, check_num_classes  # noqa: F401
from .self_distill_hook import SelfDistillHook, hflip_parameter  # noqa: F401
