from django import template
from django.contrib.auth.models import AnonymousUser, User

from audit.access import can_read

register = template.Library()


@register.filter
def can_read_audit(user: User | AnonymousUser) -> bool:
    """`{% if user|can_read_audit %}`: the navigation shows the audit trail to its readers."""
    return can_read(user)
