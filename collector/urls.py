from django.urls import path

from collector.views import participant, researcher

app_name = "collector"

urlpatterns = [
    path("", participant.home, name="home"),
    path("s/<slug:slug>/", participant.study_entry, name="study_entry"),
    path("flow/", participant.flow_router, name="flow"),
    path("flow/about-you/", participant.demographics, name="demographics"),
    path("flow/questionnaires/<str:timing>/<str:code>/", participant.questionnaire,
         name="questionnaire"),
    path("flow/session/", participant.session_page, name="session_page"),
    path("flow/session/finish/", participant.session_finish, name="session_finish"),
    path("flow/thanks/", participant.thanks, name="thanks"),
    path("withdraw/", participant.withdraw, name="withdraw"),
    path("withdraw/done/", participant.withdraw_done, name="withdraw_done"),
    path("researcher/", researcher.researcher_home, name="researcher_home"),
    path("researcher/studies/<slug:slug>/", researcher.study_detail, name="study_detail"),
]
