from django import template

from reports.names import common_name

register = template.Library()
register.filter("common_name", common_name)
