"""The shapes of what teachers and students post. The rules (lengths, characters, uniqueness)
live in classroom.services; these only bound the raw input."""

from django import forms


class ClassCreateForm(forms.Form):
    name = forms.CharField(max_length=400, strip=False, required=False)


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, strip=False, required=False)
    nickname = forms.CharField(max_length=400, strip=False, required=False)


class JoinsOpenForm(forms.Form):
    joins_open = forms.TypedChoiceField(
        coerce=lambda v: v == "1", choices=[("1", "open"), ("0", "closed")]
    )
