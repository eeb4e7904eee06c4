from .export import export_student_checkpoint

__all__ = ['export_student_checkpoint']
