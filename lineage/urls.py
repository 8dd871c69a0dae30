app_name = "lineage"

urlpatterns: list = []
