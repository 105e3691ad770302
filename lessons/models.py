"""The anonymous learner and what they have done. No account: a session cookie finds them."""

import uuid

from django.db import models

CONFIDENCE_CHOICES = [
    ("sure", "I'm sure"),
    ("think", "I think so"),
    ("guess", "I'm guessing"),
]


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


class QuizAttempt(models.Model):
    """One go at a quiz, a review round or the final assessment, kept forever.

    It stores the question order it was given. The order of each question's choices is not
    stored: it is shuffled from this attempt's id (``lessons.quizzes.choice_order``), so a reload
    shows the same order and the next attempt a new one.
    """

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="attempts")
    quiz = models.CharField(max_length=20)  # "myths", "pitfalls", "review" or "assessment"
    number = models.PositiveIntegerField()  # 1 for the first attempt at this quiz, then 2, ...
    question_keys = models.JSONField()  # ["myths/async-means-instant", ...] in the order shown
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "quiz", "number"], name="attempts_numbered_per_quiz"
            )
        ]
        ordering = ["quiz", "number"]

    def __str__(self) -> str:
        return f"{self.quiz} attempt {self.number}"


class Answer(models.Model):
    """A committed answer. Quiz answers belong to an attempt; predictions stand alone."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="answers")
    attempt = models.ForeignKey(
        QuizAttempt, on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    quiz = models.CharField(max_length=20)  # "myths", "pitfalls", "assessment" or "predictions"
    question_id = models.CharField(max_length=80)
    choice_id = models.CharField(max_length=40, blank=True)  # empty for a typed number
    number = models.DecimalField(  # the typed number, for questions that ask for one
        max_digits=20, decimal_places=6, null=True, blank=True
    )
    correct = models.BooleanField()
    confidence = models.CharField(max_length=8, blank=True, choices=CONFIDENCE_CHOICES)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "quiz", "question_id"],
                name="one_answer_per_question_per_attempt",
                condition=models.Q(attempt__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["learner", "question_id"],
                name="one_prediction_per_question",
                condition=models.Q(attempt__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["quiz", "question_id"])]
        ordering = ["answered_at", "id"]

    def __str__(self) -> str:
        return f"{self.quiz}/{self.question_id}: {self.choice_id}"
