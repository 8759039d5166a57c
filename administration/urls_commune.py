"""The commune administrator's pages, under /quan-tri-xa/."""

app_name = "commune_admin"
urlpatterns: list = []
