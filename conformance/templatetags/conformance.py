"""``{% checked_against profile_key %}``: the one-line "checked against RabbitMQ" summary.

Drop it next to anything that names a broker profile (the playground's broker panel, a
scenario's header): it renders ``conformance/_checked_line.html`` with the figures for that
profile, or says the profile was not checked against a real broker.
"""

from django import template

from conformance.evidence import evidence_summary

register = template.Library()


@register.inclusion_tag("conformance/_checked_line.html")
def checked_against(profile_key):
    return {"checked": evidence_summary(profile_key)}
