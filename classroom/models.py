"""A class a teacher runs, and the students in it. No accounts for anyone.

The teacher holds a capability: a long random key in the teacher link. Only its SHA-256 is
stored, so neither the database nor its backups can give a teacher link away. Students join
with the class's short join code and a nickname; their membership points at the anonymous
learner their browser already has (``lessons.models.Learner``), so everything they did before
joining counts, and leaving or a deleted class takes none of it away.
"""

import uuid

from django.db import models

from lessons.models import Learner

NICKNAME_MAX = 24  # characters, after cleaning
CLASS_NAME_MAX = 80


class Classroom(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=CLASS_NAME_MAX)
    join_code = models.CharField(max_length=8, unique=True)
    teacher_key_hash = models.CharField(max_length=64, unique=True)  # sha256 hex of the key
    joins_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def join_code_display(self) -> str:
        """The code in two halves ("KX7 M4P"), easier to read off a projector."""
        half = len(self.join_code) // 2
        return f"{self.join_code[:half]} {self.join_code[half:]}"


class Membership(models.Model):
    """One student in one class, under a nickname unique in that class."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="members")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="memberships")
    nickname = models.CharField(max_length=NICKNAME_MAX)
    nickname_key = models.CharField(max_length=NICKNAME_MAX * 3)  # for "is it taken": casefolded
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "learner"], name="one_membership_per_class"
            ),
            models.UniqueConstraint(
                fields=["classroom", "nickname_key"], name="nicknames_unique_per_class"
            ),
        ]
        ordering = ["nickname_key"]

    def __str__(self) -> str:
        return f"{self.nickname} in {self.classroom_id}"


class RefusedAttempt(models.Model):
    """A wrong teacher link or join code, kept briefly to slow down guessing.

    ``client`` is a keyed hash of the client's address (never the address itself).
    """

    TEACHER_LINK = "teacher-link"
    JOIN_CODE = "join-code"

    kind = models.CharField(max_length=16)
    client = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "client", "at"])]
