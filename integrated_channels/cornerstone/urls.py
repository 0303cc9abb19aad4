from django.urls import path

from integrated_channels.cornerstone import views

app_name = "cornerstone"

urlpatterns = [
    path("course-list", views.course_list, name="course_list"),
    path("launch/", views.launch, name="launch"),
]
