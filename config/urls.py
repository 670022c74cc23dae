from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("labeling/", include("labeling.urls")),
    path("retraining/", include("retraining.urls")),
    path("", include("collector.capture_urls")),
    path("", include("collector.urls")),
]
