from django import template

from audit.access import can_read

register = template.Library()


@register.filter
def can_read_audit(user) -> bool:
    """`{% if user|can_read_audit %}`: the navigation shows the audit trail to its readers."""
    return can_read(user)
