"""The system administrator's pages, under /quan-tri-he-thong/."""

app_name = "system_admin"
urlpatterns: list = []
