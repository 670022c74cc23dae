from django.urls import path

from labeling.views import exports

urlpatterns = [
    path("<slug:slug>/exports/", exports.export_page, name="exports"),
    path("<slug:slug>/exports/status.json", exports.export_status, name="export_status"),
    path("<slug:slug>/exports/<uuid:uid>/download/", exports.export_download,
         name="export_download"),
]
