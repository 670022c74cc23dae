from django.urls import path

from retraining import views

app_name = "retraining"

urlpatterns = [
    path(
        "sessions/<uuid:session_uuid>/predictions.json",
        views.session_predictions_json,
        name="session_predictions",
    ),
    path(
        "sessions/<uuid:session_uuid>/prelabels.json",
        views.session_prelabels_json,
        name="session_prelabels",
    ),
]
