from .distill_weight_schedule_hook import DistillWeightScheduleHook, sigmoid_rampup  # noqa: F401
