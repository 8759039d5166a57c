from django.db import migrations

# Leaders, secretaries and administrators sign, approve and manage: the second factor is
# required. Unit staff may enrol. Roles with no row (the city's, added later) are required.
RULES = {"admin": True, "leader": True, "secretary": True, "staff": False}


def seed(apps, schema_editor):
    TwoFactorRule = apps.get_model("accounts", "TwoFactorRule")
    for role_key, required in RULES.items():
        TwoFactorRule.objects.get_or_create(role_key=role_key, defaults={"required": required})


def unseed(apps, schema_editor):
    apps.get_model("accounts", "TwoFactorRule").objects.filter(role_key__in=RULES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
