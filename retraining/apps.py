from django.apps import AppConfig


class RetrainingConfig(AppConfig):
    name = "retraining"
    verbose_name = "Retraining and model registry"

    def ready(self) -> None:
        from retraining import signals  # noqa: F401  (connects the session-ended receiver)
