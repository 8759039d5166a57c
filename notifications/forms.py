from django import forms
from django.utils.translation import gettext_lazy as _

from guards.inputs import CleanInputMixin


class EmailSettingForm(CleanInputMixin, forms.Form):
    email = forms.BooleanField(
        label=_("Nhận thông báo qua thư điện tử"),
        required=False,
        help_text=_("Bỏ chọn: chỉ xem thông báo trong cổng (biểu tượng chuông)."),
    )
