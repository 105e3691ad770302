from django import forms

from lessons.content import get_steps


class StepDoneForm(forms.Form):
    """Mark a step done or not done. The step must be one that exists."""

    step = forms.TypedChoiceField(coerce=int, choices=())
    done = forms.TypedChoiceField(coerce=lambda v: v == "1", choices=[("1", "done"), ("0", "not")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(s.number, s.title) for s in get_steps()]
