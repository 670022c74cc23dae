from django.urls import path

app_name = "labeling"

urlpatterns: list = []
