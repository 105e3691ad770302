"""Services for classes: create, manage, join, leave, delete. Views call these; nothing else
writes a class.

A teacher link carries a random key of 256 bits (``secrets.token_urlsafe(32)``); the class
stores only its SHA-256, so the key is shown once and never again. Guessing a key is hopeless,
and refused attempts are still counted per client (a keyed hash of its address) so that a
script hammering teacher links or join codes is slowed down instead of served.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from classroom.models import CLASS_NAME_MAX, NICKNAME_MAX, Classroom, Membership, RefusedAttempt
from config.text import text_clean
from lessons.models import Learner

# Join codes avoid characters that are misread from a projector: no 0/O, 1/I/L.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
TEACHER_KEY_BYTES = 32

# Refused attempts a client may make in one window before further attempts are refused unread.
ATTEMPT_WINDOW = timedelta(minutes=10)
ATTEMPT_LIMITS = {RefusedAttempt.TEACHER_LINK: 10, RefusedAttempt.JOIN_CODE: 60}

MAX_COMBINING_RUN = 3  # accents stack; a tower of them ("Zalgo" text) is refused


class ClassroomRefused(ValueError):
    """Input a class cannot take. ``field`` names the form field the message belongs to."""

    def __init__(self, field: str, message: str, *, unknown_code: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.unknown_code = unknown_code  # a join code that opens no class: counted as a guess


class NotAMember(PermissionError):
    """The learner is not in that class, so cannot act in it."""


# ----- text ------------------------------------------------------------------------------------


def plain_line(value: str) -> str:
    """``value`` as one safe line: no bidi or other control/format characters, spaces folded.

    Bidi controls go first (``config.text.text_clean``); then every other control, format
    (zero-width spaces and joiners, soft hyphens), private-use or unassigned character; line
    breaks and tabs become spaces, and runs of spaces one space.
    """
    text = unicodedata.normalize("NFC", text_clean(value or ""))
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif not unicodedata.category(ch).startswith("C"):
            kept.append(ch)
    return " ".join("".join(kept).split())


def _check_line(text: str, *, field: str, what: str, limit: int) -> str:
    if not text:
        raise ClassroomRefused(field, f"Type a {what}.")
    if len(text) > limit:
        raise ClassroomRefused(field, f"A {what} can be at most {limit} characters long.")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise ClassroomRefused(field, f"A {what} needs at least one letter or digit.")
    run = 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        if run > MAX_COMBINING_RUN:
            raise ClassroomRefused(field, f"That {what} stacks too many accents on one letter.")
    return text


def nickname_clean(raw: str) -> str:
    """A student's nickname as it will be shown, or :class:`ClassroomRefused`."""
    return _check_line(plain_line(raw), field="nickname", what="nickname", limit=NICKNAME_MAX)


def nickname_key(nickname: str) -> str:
    """What makes two nicknames "the same" in a class: "Ana", "ana" and "Ａｎａ" are one."""
    return unicodedata.normalize("NFKC", nickname).casefold()


def class_name_clean(raw: str) -> str:
    return _check_line(plain_line(raw), field="name", what="class name", limit=CLASS_NAME_MAX)


def join_code_normalise(raw: str) -> str:
    """What a student typed as a code, as stored: capitals, no spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch not in " -\t")[:16]


# ----- teacher keys ----------------------------------------------------------------------------


def teacher_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_teacher_key() -> tuple[str, str]:
    key = secrets.token_urlsafe(TEACHER_KEY_BYTES)
    return key, teacher_key_hash(key)


def _new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


@dataclass(frozen=True)
class NewTeacherLink:
    classroom: Classroom
    key: str  # the only time the key exists outside the teacher's hands


def class_create(*, name: str) -> NewTeacherLink:
    """A new class, open for joins, with a fresh join code and teacher key."""
    clean = class_name_clean(name)
    for _ in range(20):  # a code already in use is drawn again
        key, digest = _new_teacher_key()
        try:
            with transaction.atomic():
                classroom = Classroom.objects.create(
                    name=clean, join_code=_new_join_code(), teacher_key_hash=digest
                )
        except IntegrityError:
            continue
        return NewTeacherLink(classroom=classroom, key=key)
    raise RuntimeError("Could not draw an unused join code in 20 tries.")


def teacher_key_rotate(*, classroom: Classroom) -> NewTeacherLink:
    """Replace the teacher key: the old link stops working at once."""
    key, digest = _new_teacher_key()
    classroom.teacher_key_hash = digest
    classroom.key_rotated_at = timezone.now()
    classroom.save(update_fields=["teacher_key_hash", "key_rotated_at"])
    return NewTeacherLink(classroom=classroom, key=key)


def class_set_joins_open(*, classroom: Classroom, joins_open: bool) -> None:
    classroom.joins_open = joins_open
    classroom.save(update_fields=["joins_open"])


def class_delete(*, classroom: Classroom) -> None:
    """Delete the class and its memberships. The students' own progress stays theirs."""
    classroom.delete()


# ----- students --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    membership: Membership
    already: bool  # the learner was in the class before: nothing changed


def class_join(*, learner: Learner, code: str, nickname: str) -> Joined:
    """Put the learner (with everything they did so far) into the class with that code."""
    normalised = join_code_normalise(code)
    if not normalised:
        raise ClassroomRefused("code", "Type the join code your teacher shows.")
    classroom = Classroom.objects.filter(join_code=normalised).first()
    if classroom is None:
        raise ClassroomRefused(
            "code", "No class has that code. Check it with your teacher.", unknown_code=True
        )
    existing = Membership.objects.filter(classroom=classroom, learner=learner).first()
    if existing is not None:
        return Joined(membership=existing, already=True)
    if not classroom.joins_open:
        raise ClassroomRefused(
            "code", "This class is closed to new students. Ask your teacher to open it."
        )
    clean = nickname_clean(nickname)
    key = nickname_key(clean)
    if Membership.objects.filter(classroom=classroom, nickname_key=key).exists():
        raise _nickname_taken(clean)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                classroom=classroom, learner=learner, nickname=clean, nickname_key=key
            )
    except IntegrityError:  # a classmate took the name a moment ago, or a double submit
        existing = Membership.objects.filter(classroom=classroom, learner=learner).first()
        if existing is not None:
            return Joined(membership=existing, already=True)
        raise _nickname_taken(clean) from None
    return Joined(membership=membership, already=False)


def _nickname_taken(nickname: str) -> ClassroomRefused:
    return ClassroomRefused(
        "nickname", f"Someone in this class is already called “{nickname}”. Choose another."
    )


def class_leave(*, learner: Learner, classroom: Classroom) -> None:
    """Take the learner out of the class. Their progress stays theirs; the teacher no longer
    sees it."""
    deleted, _ = Membership.objects.filter(classroom=classroom, learner=learner).delete()
    if not deleted:
        raise NotAMember("You are not in this class.")


# ----- guessing --------------------------------------------------------------------------------


def client_fingerprint(*, address: str) -> str:
    """A keyed hash of a client address: enough to count its attempts, not to find it."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def attempts_blocked(*, kind: str, client: str) -> bool:
    """True once the client has made the allowed number of refused attempts in the window."""
    since = timezone.now() - ATTEMPT_WINDOW
    count = RefusedAttempt.objects.filter(kind=kind, client=client, at__gte=since).count()
    return count >= ATTEMPT_LIMITS[kind]


def attempt_refused(*, kind: str, client: str) -> None:
    """Count one refused attempt; forget those older than the window."""
    RefusedAttempt.objects.filter(at__lt=timezone.now() - ATTEMPT_WINDOW).delete()
    RefusedAttempt.objects.create(kind=kind, client=client)
