from django.urls import include, path

app_name = "labeling"

# Two route modules: the workspace (player, segments, assignments, agreement,
# consensus) and exports. Both live under /labeling/<study slug>/.
urlpatterns: list = [
    path("", include("labeling.urls_workspace")),
    path("", include("labeling.urls_exports")),
]
