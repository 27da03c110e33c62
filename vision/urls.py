"""URLs of the vision app; included by the project under ``vision/``."""

from django.urls import path

from vision import views

app_name = "vision"

urlpatterns = [
    path("upload/<int:camera_id>/", views.trap_upload, name="trap-upload"),
    path("", views.camera_wall, name="camera-wall"),
    path("cameras/", views.camera_health, name="camera-health"),
    path("detections/", views.detection_timeline, name="detection-timeline"),
    path("traps/", views.trap_photos, name="trap-photos"),
    path("traps/<int:pk>/", views.trap_review, name="trap-review"),
    path("traps/<int:pk>/photo", views.trap_photo_image, name="trap-photo-image"),
    path("traps/<int:pk>/annotated.jpg", views.trap_photo_annotated, name="trap-photo-annotated"),
    path("detections/<int:pk>/snapshot.jpg", views.detection_snapshot, name="detection-snapshot"),
    path("sites/<int:site_id>/pests/", views.pest_trends, name="pest-trends"),
]
