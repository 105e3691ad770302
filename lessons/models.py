"""The anonymous learner and what they have done. No account: a session cookie finds them."""

import uuid

from django.db import models


class Learner(models.Model):
    """One person learning, known only by the long-lived session that points here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Learner {self.id}"


class StepProgress(models.Model):
    """A learner's history with one lesson step: first and last visit, and when marked done."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField()
    first_visited_at = models.DateTimeField(auto_now_add=True)
    last_visited_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "step"], name="one_progress_row_per_step")
        ]
        ordering = ["step"]

    def __str__(self) -> str:
        return f"{self.learner_id} step {self.step}"
