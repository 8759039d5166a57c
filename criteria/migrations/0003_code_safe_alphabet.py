import re

from django.db import migrations, models

import criteria.codes

# The pattern as of this migration (criteria.codes.CODE_PATTERN may change later).
SAFE_CODE = r"\A[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*\Z"


def refuse_unsafe_codes(apps, schema_editor):
    """Stop with the list of codes to fix rather than let the constraint fail unexplained."""
    Criterion = apps.get_model("criteria", "Criterion")
    pattern = re.compile(SAFE_CODE)
    unsafe = [
        (set_id, code)
        for set_id, code in Criterion.objects.using(schema_editor.connection.alias)
        .order_by("criteria_set_id", "order")
        .values_list("criteria_set_id", "code")
        if not pattern.search(code)
    ]
    if unsafe:
        listed = "; ".join(f"set {set_id}: {code!r}" for set_id, code in unsafe[:50])
        raise RuntimeError(
            f"{len(unsafe)} criterion code(s) use characters outside digits, ASCII letters, "
            f"dots and dashes: {listed}. Rename them (admin, Tiêu chí) and migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("criteria", "0002_scoring_rules"),
    ]

    operations = [
        migrations.RunPython(refuse_unsafe_codes, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="criterion",
            name="code",
            field=models.CharField(
                help_text="Chữ số, chữ cái không dấu, dấu chấm và dấu gạch ngang, ví dụ 1.2.a.",
                max_length=50,
                validators=[criteria.codes.validate_code],
                verbose_name="mã",
            ),
        ),
        migrations.AddConstraint(
            model_name="criterion",
            constraint=models.CheckConstraint(
                condition=models.Q(code__regex=SAFE_CODE),
                name="criterion_code_safe_alphabet",
            ),
        ),
    ]
