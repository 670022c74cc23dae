from django.urls import path

from labeling.views import research, workspace

urlpatterns = [
    path("<slug:slug>/", workspace.workspace, name="workspace"),
    path("<slug:slug>/sessions/<uuid:uuid>/", workspace.player, name="player"),
    path("<slug:slug>/sessions/<uuid:uuid>/meta.json", workspace.session_meta,
         name="session_meta"),
    path("<slug:slug>/sessions/<uuid:uuid>/landmarks.bin", workspace.session_landmarks,
         name="session_landmarks"),
    path("<slug:slug>/sessions/<uuid:uuid>/segments/", workspace.segment_create_view,
         name="segment_create"),
    path("<slug:slug>/segments/<uuid:uid>/", workspace.segment_detail, name="segment_detail"),
    path("<slug:slug>/assignments/", research.assignments, name="assignments"),
    path("<slug:slug>/agreement/", research.agreement, name="agreement"),
    path("<slug:slug>/consensus/", research.consensus, name="consensus"),
]
