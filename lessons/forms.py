from decimal import Decimal

from django import forms

from config.text import text_clean
from lessons.content import get_steps
from lessons.quizzes import CONFIDENCE_CHOICES, NUMBER, Question, parse_number


class StepDoneForm(forms.Form):
    """Mark a step done or not done. The step must be one that exists."""

    step = forms.TypedChoiceField(coerce=int, choices=())
    done = forms.TypedChoiceField(coerce=lambda v: v == "1", choices=[("1", "done"), ("0", "not")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(s.number, s.title) for s in get_steps()]


class AnswerForm(forms.Form):
    """One committed answer. Choices come from the question; anything else is tampering.

    A typed-number question (final assessment) takes ``number`` instead of ``choice``.
    """

    choice = forms.CharField(max_length=40, required=False)
    number = forms.CharField(max_length=40, required=False)
    confidence = forms.ChoiceField(choices=CONFIDENCE_CHOICES, required=False)

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question

    def clean_choice(self) -> str:
        value = text_clean(self.cleaned_data["choice"])
        if self.question.format == NUMBER:
            return ""
        if not value:
            raise forms.ValidationError("Choose an answer first, then commit to it.", code="empty")
        if self.question.choice(value) is None:
            raise forms.ValidationError(
                "That is not one of this question's answers.", code="tampered"
            )
        return value

    def clean_number(self) -> Decimal | None:
        if self.question.format != NUMBER:
            return None
        text = text_clean(self.cleaned_data["number"]).strip()
        if not text:
            raise forms.ValidationError("Type a number first, then commit to it.", code="empty")
        value = parse_number(text)
        if value is None:
            # Not tampering: a person can mistype. Say what is accepted and keep what they typed.
            raise forms.ValidationError(
                "That is not a number this question can take: type digits, such as 15 or 2.5.",
                code="not_a_number",
            )
        return value

    @property
    def tampered(self) -> bool:
        """True when a value could only come from an edited form (not a forgotten choice)."""
        codes = {e.code for errors in self.errors.as_data().values() for e in errors}
        return bool(codes - {"empty", "not_a_number"})
