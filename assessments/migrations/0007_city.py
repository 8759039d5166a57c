"""Cities as rows: a commune belongs to a City (which appraises it) instead of naming it in
text. Each distinct name already typed becomes one City."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def cities_from_names(apps, schema_editor):
    City = apps.get_model("assessments", "City")
    Commune = apps.get_model("assessments", "Commune")
    for commune in Commune.objects.order_by("pk"):
        name = " ".join((commune.city_name or "Hải Phòng").split())
        commune.city_ref = City.objects.get_or_create(name=name)[0]
        commune.save(update_fields=["city_ref"])


def names_from_cities(apps, schema_editor):
    Commune = apps.get_model("assessments", "Commune")
    for commune in Commune.objects.select_related("city_ref").order_by("pk"):
        commune.city_name = commune.city_ref.name
        commune.save(update_fields=["city_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_commune_administration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="City",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="Ví dụ: Hải Phòng", max_length=200, unique=True, verbose_name="tên")),
                ("is_province", models.BooleanField(default=False, help_text="Bỏ chọn cho thành phố trực thuộc trung ương.", verbose_name="là tỉnh")),
                ("department", models.CharField(default="Sở Nội vụ", help_text="Cơ quan chủ trì thẩm định, ví dụ: Sở Nội vụ.", max_length=200, verbose_name="cơ quan thẩm định")),
                ("place_name", models.CharField(blank=True, help_text="Dùng ở dòng “…, ngày … tháng … năm …” của văn bản; mặc định là tên.", max_length=200, verbose_name="địa danh")),
                ("dac_khu_block", models.CharField(choices=[("xa", "Xếp cùng khối xã"), ("phuong", "Xếp cùng khối phường"), ("dac_khu", "Xếp thành khối riêng")], default="xa", max_length=10, verbose_name="khối xếp hạng của đặc khu")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="ngày tạo")),
            ],
            options={"verbose_name": "tỉnh, thành phố", "verbose_name_plural": "tỉnh, thành phố", "ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="CityMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(choices=[("appraiser", "Chuyên viên thẩm định"), ("council_member", "Thành viên Hội đồng thẩm định"), ("council_chair", "Chủ tịch Hội đồng thẩm định"), ("city_admin", "Quản trị của thành phố")], max_length=20, verbose_name="vai trò")),
                ("title", models.CharField(blank=True, help_text="Ví dụ: Phó Giám đốc Sở Nội vụ", max_length=200, verbose_name="chức danh")),
                ("city", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="members", to="assessments.city", verbose_name="tỉnh, thành phố")),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="city_membership", to=settings.AUTH_USER_MODEL, verbose_name="tài khoản")),
            ],
            options={"verbose_name": "thành viên của thành phố", "verbose_name_plural": "thành viên của thành phố", "ordering": ["city", "role", "user__last_name"]},
        ),
        migrations.RemoveConstraint(model_name="commune", name="commune_unique_name"),
        migrations.RenameField(model_name="commune", old_name="city", new_name="city_name"),
        migrations.AddField(
            model_name="commune",
            name="city_ref",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="assessments.city"),
        ),
        migrations.RunPython(cities_from_names, names_from_cities),
        migrations.RemoveField(model_name="commune", name="city_name"),
        migrations.RenameField(model_name="commune", old_name="city_ref", new_name="city"),
        migrations.AlterField(
            model_name="commune",
            name="city",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="communes", to="assessments.city", verbose_name="tỉnh, thành phố"),
        ),
        migrations.AlterModelOptions(
            name="commune",
            options={"ordering": ["city_id", "name"], "verbose_name": "xã, phường", "verbose_name_plural": "xã, phường"},
        ),
        migrations.AddConstraint(
            model_name="commune",
            constraint=models.UniqueConstraint(fields=("city", "kind", "name"), name="commune_unique_name"),
        ),
    ]
