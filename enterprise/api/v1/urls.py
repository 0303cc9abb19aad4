"""URLs of the enterprise API, mounted at ``/enterprise/api/v1/``."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from enterprise.api.v1 import views

app_name = "enterprise-api-v1"

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("catalog/courses", views.CourseViewSet, basename="course")
router.register("catalog/programs", views.ProgramViewSet, basename="program")
router.register("prices", views.PriceViewSet, basename="price")

learners = SimpleRouter()
learners.register("learners", views.LearnerViewSet, basename="learner")

urlpatterns = [
    path("", include(router.urls)),
    path("customers/<uuid:customer_uuid>/learners/", views.LearnerListView.as_view(), name="learner-list"),
    path("customers/<uuid:customer_uuid>/course-feedback/", views.CourseFeedbackView.as_view(), name="course-feedback"),
    path(
        "customers/<uuid:customer_uuid>/self-enrollments/", views.SelfEnrollmentView.as_view(), name="self-enrollment"
    ),
    path("customers/<uuid:customer_uuid>/", include(learners.urls)),
    path("completions/certificates/", views.CertificateView.as_view(), name="certificate"),
    path("completions/grades/", views.GradeView.as_view(), name="grade"),
    re_path(r"", views.ApiNotFound.as_view()),
]
