app_name = "lineage-api"

urlpatterns: list = []
